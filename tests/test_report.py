"""The chart: it renders, its bars follow the data, and its colours are the palette's."""

from __future__ import annotations

from datetime import date, timedelta
from types import MappingProxyType

import pytest

from posturebreak import report
from posturebreak.insight import Outcome
from posturebreak.report import OUTCOME_COLOURS, SCALE, DayBar, ReportData

MONDAY = date(2026, 11, 16)


def data(bars: list[dict[Outcome, float]], goal: float = 120.0) -> ReportData:
    return ReportData(
        title="posturebreak · Week of 16 Nov 2026",
        headline="You moved 5 h this week.",
        subline="Today's walk: 7 min — 1 more than last week.",
        goal_minutes=goal,
        bars=tuple(
            DayBar(MONDAY + timedelta(days=i), MappingProxyType(b)) for i, b in enumerate(bars)
        ),
        heat=MappingProxyType({MONDAY - timedelta(days=i): 20.0 * i for i in range(40)}),
        heat_last=MONDAY + timedelta(days=6),
        plan=((MONDAY - timedelta(weeks=1), 6.0), (MONDAY, 7.0)),
        plan_cap=15.0,
    )


WEEK = [
    {Outcome.TAKEN: 40, Outcome.NATURAL: 30, Outcome.SKIPPED: 6},
    {Outcome.TAKEN: 90, Outcome.SNOOZED_TAKEN: 20, Outcome.MISSED: 10},
    {Outcome.TAKEN: 10},
    {},
    {Outcome.NATURAL: 60, Outcome.SNOOZED_TAKEN: 15, Outcome.SKIPPED: 12, Outcome.MISSED: 3},
    {},
    {},
]


def colour_run(image, x: float, colour: tuple[int, int, int]) -> int:
    """How many pixels of ``colour`` the column at logical ``x`` holds in the bar panel."""
    px = round(x * SCALE)
    top, bottom = report.BARS_TOP * SCALE - 4, report.BARS_BOTTOM * SCALE
    return sum(image.getpixel((px, y)) == colour for y in range(top, bottom))


def test_the_bars_heights_follow_the_minutes():
    d = data(WEEK)
    image = report.render(d)
    assert image.size == (report.WIDTH * SCALE, report.HEIGHT * SCALE)
    per_minute = (report.BARS_BOTTOM - report.BARS_TOP) / report.bar_scale(d) * SCALE
    boxes = report.bar_boxes(d)
    for bar, segments in zip(d.bars, boxes, strict=True):
        for outcome, minutes in bar.minutes.items():
            # Off the centre line, so the dashes of the goal line are the only thing on top.
            x = (segments[outcome].x0 + segments[outcome].x1) / 2 + 2
            expected = minutes * per_minute
            # The goal line may cross a segment: allow its thickness.
            assert colour_run(image, x, OUTCOME_COLOURS[outcome]) == pytest.approx(
                expected, abs=SCALE * 2 + 1
            ), (bar.day, outcome)
    # Taller data, taller bar: Tuesday's taken segment is 9 times Wednesday's.
    tue = colour_run(
        image,
        (boxes[1][Outcome.TAKEN].x0 + boxes[1][Outcome.TAKEN].x1) / 2 + 2,
        OUTCOME_COLOURS[Outcome.TAKEN],
    )
    wed = colour_run(
        image,
        (boxes[2][Outcome.TAKEN].x0 + boxes[2][Outcome.TAKEN].x1) / 2 + 2,
        OUTCOME_COLOURS[Outcome.TAKEN],
    )
    assert tue == pytest.approx(9 * wed, rel=0.05)


def test_the_segments_are_stacked_in_order_and_painted_with_the_palette():
    d = data(WEEK)
    image = report.render(d)
    palette = set(report.OKABE_ITO.values())
    for segments in report.bar_boxes(d):
        ys = [segments[o].y1 for o in report.STACK_ORDER if o in segments]
        assert ys == sorted(ys, reverse=True)  # each one above the previous
        for outcome, box in segments.items():
            centre = (
                round((box.x0 + box.x1) / 2 * SCALE) + 5,
                round((box.y0 + box.y1) / 2 * SCALE),
            )
            assert image.getpixel(centre) == OUTCOME_COLOURS[outcome]
            assert OUTCOME_COLOURS[outcome] in palette
    assert len(set(OUTCOME_COLOURS.values())) == len(Outcome)  # every outcome tells apart


def test_an_empty_day_has_no_bar_and_the_goal_line_is_drawn_at_the_goal():
    d = data(WEEK, goal=60)
    image = report.render(d)
    thursday = report.bar_boxes(d)[3]
    assert thursday == {}
    gy = round(report.goal_y(d) * SCALE)
    row = [image.getpixel((x, gy)) for x in range(report.BARS_LEFT * SCALE, 500 * SCALE)]
    assert row.count(report.GOAL_COLOUR) > 100  # a dashed line, across the panel
    assert report.goal_y(d) < report.BARS_BOTTOM


def test_the_heatmap_shades_deepen_toward_the_goal():
    shades = [report.heat_colour(m, 120) for m in (0, 10, 50, 80, 119, 120, 400)]
    assert shades[0] == report.EMPTY_CELL
    assert shades[-1] == shades[-2] == report.HEAT_COLOUR
    greens = [s[1] for s in shades[:6]]
    reds = [s[0] for s in shades[:6]]
    assert reds == sorted(reds, reverse=True)  # more minutes, a deeper green
    assert greens[0] >= greens[-1]
    d = data(WEEK)
    image = report.render(d)
    cell = report.heat_cell(d, MONDAY - timedelta(days=10), 78, 590)
    centre = (round((cell.x0 + cell.x1) / 2 * SCALE), round((cell.y0 + cell.y1) / 2 * SCALE))
    assert image.getpixel(centre) == report.heat_colour(200, 120)


def test_a_month_and_an_empty_log_render(tmp_path):
    month = [{Outcome.TAKEN: float(i)} for i in range(30)]
    out = tmp_path / "m.png"
    report.save(data(month), str(out))
    assert out.read_bytes().startswith(b"\x89PNG")
    empty = report.render(data([{}] * 7))
    assert empty.getbbox() is not None
