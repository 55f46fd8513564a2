"""The statistics' charts are drawn on the server: bars in proportion on a round scale, every
day of the window (empty ones too), the deadline at the end of its day, labels inside."""

from __future__ import annotations

import datetime as dt

from accreditation.review.admin_charts import day_chart, hbar_chart, nice_ceiling


def test_the_scale_ends_on_a_round_number_at_or_above_the_largest_value():
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 10, 11, 24, 26, 480, 1234)] == [
        1,
        1,
        5,
        10,
        10,
        20,
        25,
        50,
        500,
        2000,
    ]


def test_bars_are_in_proportion_and_share_a_scale_when_asked():
    chart = hbar_chart([("Print", (10,)), ("Television", (5,)), ("Radio", (0,))])
    widths = [row.segments[0].width for row in chart.rows]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    shared = hbar_chart([("Rejected", (5,))], peak=10)
    assert shared.rows[0].segments[0].width == widths[1]


def test_two_series_share_a_row_and_long_labels_are_shortened_on_the_chart_only():
    long = "Saint Vincent and the Grenadines, a long name"
    chart = hbar_chart([(long, (4, 1))])
    (row,) = chart.rows
    assert [s.series for s in row.segments] == [0, 1]
    assert row.segments[1].y > row.segments[0].y
    assert row.label == long and row.short.endswith("…") and len(row.short) <= 26
    assert all(s.text_x <= chart.width for s in row.segments)


def test_the_day_chart_has_every_day_and_marks_the_deadline_at_the_end_of_its_day():
    first = dt.date(2025, 10, 20)
    chart = day_chart(
        {dt.date(2025, 10, 21): 4, dt.date(2025, 10, 25): 2},
        first=first,
        last=dt.date(2025, 10, 31),
        markers=[
            ("Deadline", dt.date(2025, 10, 31), "deadline"),
            ("Later", dt.date(2026, 1, 1), "today"),
        ],
    )
    assert [bar.day for bar in chart.bars][0] == first and len(chart.bars) == 12
    assert [bar.value for bar in chart.bars][:2] == [0, 4]
    (deadline,) = chart.markers  # a marker outside the window is left out
    assert deadline.x == chart.plot_right and deadline.anchor == "end"
    assert chart.peak == 5 and [t.value for t in chart.y_ticks] == [0, 2, 5]
    assert all(chart.plot_left - 30 <= t.x <= chart.plot_right for t in chart.x_ticks)
    assert chart.x_ticks[-1].anchor in ("middle", "end")
