"""The shared table of gate cases (rules_cases.json), read by the Python and the browser test."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

CASES = json.loads((Path(__file__).with_name("rules_cases.json")).read_text())["cases"]
ORIGIN = dt.datetime(2025, 11, 24, 9, 30, tzinfo=dt.UTC)


def at(minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else ORIGIN + dt.timedelta(minutes=minutes)
