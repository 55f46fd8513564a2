"""The statistics page's charts, drawn on the server as SVG (templates/admin/accreditation/
charts/): the geometry only, from numbers the selectors count. No script draws them, so they
print, need no library and pass the strict Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 720  # the day chart's viewBox width; it scales to its column
HBAR_WIDTH = 480  # a bar chart's, drawn at this size where there is room (12px text)
LABEL_CHARS = 26


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def nice_ceiling(value: int) -> int:
    """The axis end: 1, 2, 2.5 or 5 times a power of ten, at least ``value`` (and 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return math.ceil(step * power)
    return 10 * power  # pragma: no cover - the loop always ends at 10


@dataclass(frozen=True)
class Segment:
    series: int  # the colour (pp-series-0, -1)
    value: int
    x: float
    y: float
    width: float
    height: float
    text_x: float  # where the value is written, after the bar
    text_y: float


@dataclass(frozen=True)
class Row:
    label: str  # written in full in the row's title and the table
    short: str  # written on the chart
    values: tuple[int, ...]
    y: float  # the label's baseline
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    label_width: int
    rows: list[Row]
    peak: int
    series: int


def hbar_chart(
    rows: Sequence[tuple[str, tuple[int, ...]]],
    *,
    peak: int | None = None,
    width: int = HBAR_WIDTH,
    label_width: int = 170,
    row_height: int = 26,
) -> HBarChart:
    """Horizontal bars, one row per label, one bar per series in the row (e.g. admitted and
    denied), each with its value written after it. ``peak`` shares a scale between charts."""
    series = max((len(values) for _label, values in rows), default=1)
    top = peak or max((max(values, default=0) for _label, values in rows), default=0)
    top = max(top, 1)
    plot = width - label_width - 50  # room for the values after the longest bar
    bar_height = (row_height - 6) / series
    laid_out = []
    for i, (label, values) in enumerate(rows):
        y0 = 4 + i * row_height
        segments = []
        for s, value in enumerate(values):
            length = plot * value / top
            y = y0 + s * bar_height
            segments.append(
                Segment(
                    series=s,
                    value=value,
                    x=label_width,
                    y=round(y, 1),
                    width=round(max(length, 1 if value else 0), 1),
                    height=round(bar_height - 1, 1),
                    text_x=round(label_width + length + 6, 1),
                    text_y=round(y + bar_height / 2 + 4, 1),
                )
            )
        laid_out.append(
            Row(
                label=str(label),
                short=_short(label),
                values=tuple(values),
                y=round(y0 + (row_height - 6) / 2 + 4, 1),
                segments=segments,
            )
        )
    return HBarChart(
        width=width,
        height=max(4 + len(rows) * row_height, row_height),
        label_width=label_width,
        rows=laid_out,
        peak=top,
        series=series,
    )


@dataclass(frozen=True)
class DayBar:
    day: dt.date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Marker:
    label: str
    day: dt.date
    x: float
    kind: str  # "deadline" | "today"
    label_y: float
    anchor: str  # where the label hangs from the line: "start" (right of it) or "end"


@dataclass(frozen=True)
class Tick:
    value: int | dt.date
    x: float
    y: float
    text_y: float
    anchor: str = "middle"  # a date near an end of the axis is written inwards


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    plot_left: int
    plot_right: int
    bars: list[DayBar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    markers: list[Marker]
    peak: int
    days: list[tuple[dt.date, int]]


def day_chart(
    per_day: dict[dt.date, int],
    *,
    first: dt.date,
    last: dt.date,
    markers: Sequence[tuple[str, dt.date, str]] = (),
    height: int = 260,
) -> DayChart:
    """Requests per day from ``first`` to ``last`` (every day, empty ones too), with vertical
    markers (the deadline at the end of its day, today in its middle), a y axis in round
    numbers and about ten dates along the x axis."""
    shown = [(label, day, kind) for label, day, kind in markers if first <= day <= last]
    left, right, top, bottom = 44, WIDTH - 10, 16 + 14 * max(len(shown), 1), height - 28
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    column = (right - left) / max(len(days), 1)
    peak = nice_ceiling(max(per_day.values(), default=0))
    bars = []
    for i, day in enumerate(days):
        value = per_day.get(day, 0)
        h = (bottom - top) * value / peak
        bars.append(
            DayBar(
                day=day,
                value=value,
                x=round(left + i * column + column * 0.1, 2),
                y=round(bottom - h, 2),
                width=round(max(column * 0.8, 0.5), 2),
                height=round(h, 2),
            )
        )
    step = max(1, math.ceil(len(days) / 10))
    x_ticks = []
    for i in range(0, len(days), step):
        x = round(left + i * column + column / 2, 2)
        anchor = "end" if x > right - 24 else "start" if x < left + 24 else "middle"
        x_ticks.append(Tick(days[i], x, bottom + 16, bottom + 16, anchor))
    y_ticks = []
    for value in sorted({0, peak // 2, peak}):
        y = round(bottom - (bottom - top) * value / peak, 2)
        y_ticks.append(Tick(value, left - 6, y, y + 4))
    placed: list[Marker] = []
    for label, day, kind in shown:
        offset = (day - first).days + (1 if kind == "deadline" else 0.5)
        x = left + offset * column
        placed.append(
            Marker(
                label=label,
                day=day,
                x=round(x, 2),
                kind=kind,
                label_y=12 + 14 * len(placed),
                anchor="end" if x > left + (right - left) * 0.6 else "start",
            )
        )
    return DayChart(
        width=WIDTH,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        plot_left=left,
        plot_right=right,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        markers=placed,
        peak=peak,
        days=[(bar.day, bar.value) for bar in bars],
    )
