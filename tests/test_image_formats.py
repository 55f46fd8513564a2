"""Pillow is never asked to guess a format: every Image.open in the application names the
formats it accepts (a FITS, PSD or TGA file is never parsed, whatever its name)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_image_open_names_its_formats():
    missing = []
    for package in ("accreditation", "events", "config"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "open"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "Image"
                    and not any(k.arg == "formats" for k in node.keywords)
                ):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
