"""Celery's settings against the broker's visibility timeout (SECURITY.md row 28): a task
delayed or running past it would be delivered a second time while the first copy still waits
or runs."""

from __future__ import annotations

import re
from pathlib import Path

from celery import current_app
from django.conf import settings

from accreditation import tasks

ROOT = Path(__file__).resolve().parents[1]


def visibility_timeout() -> int:
    return settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_the_longest_retry_delay_stays_far_below_the_visibility_timeout():
    longest = max(tasks._backoff(n) for n in range(50) for _ in range(20))
    assert longest <= 605 < visibility_timeout() / 2


def test_every_task_ends_before_the_visibility_timeout():
    ours = {
        name: task for name, task in current_app.tasks.items() if name.startswith("accreditation.")
    }
    assert len(ours) >= 12
    for name, task in ours.items():
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert limit < visibility_timeout(), name


def test_no_task_is_delayed_by_an_eta_or_a_countdown_other_than_the_retry_backoff():
    """The only delayed sends are tasks._run's retries (bounded above); an eta or a countdown
    anywhere else would need the same check."""
    found = []
    for path in (ROOT / "accreditation").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\b(eta|countdown)=", line):  # as a keyword argument
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert len(found) == 1 and found[0].startswith("accreditation/tasks.py:"), found
    line = int(found[0].split(":")[1])
    source = (ROOT / "accreditation/tasks.py").read_text().splitlines()
    assert "task.retry(" in source[line - 1]  # the retry in _run, delayed by _backoff


def test_no_result_backend_needs_a_visibility_timeout_of_its_own():
    assert settings.CELERY_TASK_IGNORE_RESULT is True
    assert not getattr(settings, "CELERY_RESULT_BACKEND", None)
