"""Every string users see exists in French, Spanish and Arabic.

The catalogues are checked as they are committed (complete, no fuzzy guesses, placeholders
that match — msgfmt --check), and against the code: the strings are extracted again into a
scratch copy, so a string marked for translation but never added to the catalogues fails here
rather than falling back to English in front of a journalist or a gate agent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "es", "ar")
SOURCES = ("accreditation", "events", "config", "templates", "static", "manage.py", "locale")

pytestmark = pytest.mark.skipif(
    not (shutil.which("msgfmt") and shutil.which("xgettext") and shutil.which("msgattrib")),
    reason="needs GNU gettext (apt-get install gettext)",
)


def statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip()


def untranslated(po: Path) -> str:
    listing = subprocess.run(
        ["msgattrib", "--untranslated", "--no-wrap", str(po)], capture_output=True, text=True
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-wrap", str(po)], capture_output=True, text=True
    ).stdout
    return "\n".join(re.findall(r"^msgid .+$", listing + fuzzy, flags=re.MULTILINE)[1:])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_catalogue_is_complete(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    assert re.fullmatch(r"\d+ translated messages\.", statistics(po)), untranslated(po)


def test_every_marked_string_is_in_the_catalogues(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
        else:
            shutil.copy2(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--verbosity", "0"]
        + [f"-l{language}" for language in LANGUAGES],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    for language in LANGUAGES:
        po = tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"
        missing = untranslated(po)
        assert not missing, f"{language}: not translated (run `make messages`):\n{missing}"
