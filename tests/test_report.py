"""The chart: it renders, its bars are minutes moved and nothing else, skipped and missed
breaks are counted under the days, every month of the heatmap is named, and its colours are
the palette's."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posturebreak.cli.insight import build_report
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.insight import Outcome, Period, period_bounds
from posturebreak.core.settings import Settings
from posturebreak.frontends import report
from posturebreak.frontends.report import OUTCOME_COLOURS, SCALE, DayBar, ReportData
from posturebreak.storage.store import EventStore

MONDAY = date(2026, 11, 16)
SKIPPED, MISSED = Outcome.SKIPPED, Outcome.MISSED


def data(
    bars: list[dict[Outcome, float]],
    goal: float = 120.0,
    counts: list[tuple[int, int]] | None = None,
    heat_last: date = MONDAY + timedelta(days=6),
) -> ReportData:
    counts = counts or [(0, 0)] * len(bars)
    return ReportData(
        title="posturebreak · Week of 16 Nov 2026",
        headline="You moved 5 h this week.",
        subline="Today's walk: 7 min — 1 more than last week.",
        goal_minutes=goal,
        bars=tuple(
            DayBar(MONDAY + timedelta(days=i), MappingProxyType(b), skipped=s, missed=m)
            for i, (b, (s, m)) in enumerate(zip(bars, counts, strict=True))
        ),
        heat=MappingProxyType({MONDAY - timedelta(days=i): 20.0 * i for i in range(40)}),
        heat_last=heat_last,
        plan=((MONDAY - timedelta(weeks=1), 6.0), (MONDAY, 7.0)),
        plan_cap=15.0,
    )


WEEK = [
    {Outcome.TAKEN: 40, Outcome.NATURAL: 30},
    {Outcome.TAKEN: 90, Outcome.SNOOZED_TAKEN: 20},
    {Outcome.TAKEN: 10},
    {},
    {Outcome.NATURAL: 60, Outcome.SNOOZED_TAKEN: 15},
    {},
    {},
]
# Skipped and missed breaks that week, Monday to Sunday.
WEEK_COUNTS = [(2, 0), (0, 3), (0, 0), (1, 1), (4, 2), (0, 0), (0, 0)]


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
    cell = report.heat_cell(d, MONDAY - timedelta(days=10), report.HEAT_LEFT, report.HEAT_TOP)
    centre = (round((cell.x0 + cell.x1) / 2 * SCALE), round((cell.y0 + cell.y1) / 2 * SCALE))
    assert image.getpixel(centre) == report.heat_colour(200, 120)


def test_a_month_and_an_empty_log_render(tmp_path):
    month = [{Outcome.TAKEN: float(i)} for i in range(30)]
    out = tmp_path / "m.png"
    report.save(data(month), str(out))
    assert out.read_bytes().startswith(b"\x89PNG")
    empty = report.render(data([{}] * 7))
    assert empty.getbbox() is not None


# --- minutes moved, and skipped/missed as counts -----------------------------------------------


def test_a_bar_takes_minutes_only_for_breaks_that_moved_some():
    with pytest.raises(ValueError, match="skipped moved no minutes"):
        DayBar(MONDAY, {Outcome.TAKEN: 10.0, SKIPPED: 5.0})
    with pytest.raises(ValueError, match="missed moved no minutes"):
        DayBar(MONDAY, {MISSED: 3.0})
    with pytest.raises(ValueError, match="negative"):
        DayBar(MONDAY, {}, skipped=-1)
    bar = DayBar(MONDAY, {Outcome.NATURAL: 12.0}, skipped=2, missed=1)
    assert (bar.count(SKIPPED), bar.count(MISSED)) == (2, 1)


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def offered(at: datetime, kind: BreakKind, answer: Action, minutes: float = 0) -> list[Event]:
    """One prompt and its outcome, as the app logs them."""
    events = [Event.new(at, kind, Action.PROMPTED)]
    if answer is Action.COMPLETED:
        events.append(Event.new(at, kind, Action.STARTED, minutes * 60))
    after = at + timedelta(minutes=max(minutes, 1))
    events.append(Event.new(after, kind, answer, minutes * 60 if minutes else None))
    return events


def test_the_reports_bars_are_the_minutes_moved_and_skips_and_misses_are_counted(utc):
    monday = datetime(2026, 11, 16, 9, tzinfo=timezone.utc)
    tuesday = monday + timedelta(days=1)
    store = EventStore.memory()
    store.merge(
        [
            *offered(monday, BreakKind.WALK, Action.COMPLETED, 10),
            *offered(monday + timedelta(hours=1), BreakKind.WALK, Action.SKIPPED),
            *offered(monday + timedelta(hours=2), BreakKind.STRETCH, Action.SKIPPED),
            *offered(monday + timedelta(hours=3), BreakKind.STAND, Action.MISSED),
            *offered(tuesday, BreakKind.STAND, Action.NATURAL, 8),
            *offered(tuesday + timedelta(hours=1), BreakKind.WALK, Action.MISSED),
        ]
    )
    start, end = period_bounds(Period.WEEK, monday.date(), None)
    d = build_report(
        store,
        settings=Settings(),
        period=Period.WEEK,
        start=start,
        end=end,
        now=tuesday + timedelta(hours=8),
    )
    mon, tue = d.bars[0], d.bars[1]
    assert {o for b in d.bars for o, m in b.minutes.items() if m} <= set(report.STACK_ORDER)
    assert sum(mon.minutes.values()) == pytest.approx(10.0)  # the walk; nothing for the skips
    assert (mon.skipped, mon.missed) == (2, 1)
    assert sum(tue.minutes.values()) == pytest.approx(8.0)
    assert (tue.skipped, tue.missed) == (0, 1)
    assert all((b.skipped, b.missed) == (0, 0) for b in d.bars[2:])
    # The picture's bar is as tall as the minutes moved, and no taller.
    boxes = report.bar_boxes(d)[0]
    per_minute = (report.BARS_BOTTOM - report.BARS_TOP) / report.bar_scale(d)
    height = sum(b.y1 - b.y0 for b in boxes.values())
    assert height == pytest.approx(10.0 * per_minute)


def count_row_pixels(image, outcome: Outcome, day: int, n: int) -> int:
    """Pixels of the outcome's colour in its count row, under day ``day`` of ``n``."""
    y = dict(report.COUNT_ROWS)[outcome]
    slot = (report.BARS_RIGHT - report.BARS_LEFT) / n
    x0 = report.BARS_LEFT + slot * day
    box = (
        round(x0 * SCALE),
        round((y - 8) * SCALE),
        round((x0 + slot) * SCALE),
        round((y + 8) * SCALE),
    )
    colour = OUTCOME_COLOURS[outcome]
    return sum(px == colour for px in image.crop(box).get_flattened_data())


def test_skips_and_misses_are_marked_under_their_days_and_never_in_the_bars():
    d = data(WEEK, counts=WEEK_COUNTS)
    image = report.render(d)
    for i, (skipped, missed) in enumerate(WEEK_COUNTS):
        assert (count_row_pixels(image, SKIPPED, i, 7) > 0) == (skipped > 0), i
        assert (count_row_pixels(image, MISSED, i, 7) > 0) == (missed > 0), i
    panel = image.crop(
        (
            report.BARS_LEFT * SCALE,
            report.BARS_TOP * SCALE,
            report.BARS_RIGHT * SCALE,
            report.BARS_BOTTOM * SCALE,
        )
    )
    colours = set(panel.get_flattened_data())
    assert OUTCOME_COLOURS[SKIPPED] not in colours
    assert OUTCOME_COLOURS[MISSED] not in colours
    # The legend explains both markers, below the count rows.
    legend = image.crop(
        (
            0,
            round((report.BARS_BOTTOM + 90) * SCALE),
            report.WIDTH * SCALE,
            round((report.BARS_BOTTOM + 112) * SCALE),
        )
    )
    assert {OUTCOME_COLOURS[SKIPPED], OUTCOME_COLOURS[MISSED]} <= set(legend.get_flattened_data())


# --- the heatmap's months ----------------------------------------------------------------------


def test_twelve_weeks_across_four_months_name_all_four():
    # 31 Aug to 22 Nov 2026: one day of August, then September, October and November.
    labels = report.month_labels(date(2026, 11, 22))
    assert [m for _, m in labels] == [date(2026, m, 1) for m in (8, 9, 10, 11)]
    assert [col for col, _ in labels] == [0, 1, 5, 9]  # over each month's first Monday


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
def test_every_month_in_the_heatmap_is_named_once_left_to_right(last):
    first = last - timedelta(days=last.weekday(), weeks=11)
    shown = {(first + timedelta(days=n)).replace(day=1) for n in range((last - first).days + 1)}
    labels = report.month_labels(last)
    assert [m for _, m in labels] == sorted(shown)
    columns = [col for col, _ in labels]
    assert columns == sorted(set(columns))  # never two names over one column
    assert columns[0] >= 0
    assert columns[-1] <= 11


def test_month_names_fit_in_one_column_so_neighbours_never_overlap():
    canvas = report.Canvas(100, 100, SCALE, report.PAPER)
    widest = max(canvas.text_width(f"{date(2026, m, 1):%b}", 10) for m in range(1, 13))
    assert widest < report.CELL + report.GAP - 2


def test_the_month_names_are_drawn_over_their_columns():
    d = data(WEEK, heat_last=date(2026, 11, 22))
    image = report.render(d)
    for col, month in report.month_labels(d.heat_last):
        x0 = report.HEAT_LEFT + col * (report.CELL + report.GAP)
        band = image.crop(
            (
                round(x0 * SCALE),
                round((report.HEAT_TOP - 18) * SCALE),
                round((x0 + report.CELL) * SCALE),
                round((report.HEAT_TOP - 6) * SCALE),
            )
        )
        assert any(px != report.PAPER for px in band.get_flattened_data()), month
