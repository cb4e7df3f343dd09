"""The week or month as a picture, drawn with Pillow alone (no plotting library).

``ReportData`` holds every figure the picture shows, already worked out (see
``cli_insight``); ``render`` only draws. Layout: the headline in words at the top; a bar per
day of the minutes moved, stacked by how they were moved, with the daily goal as a dashed line;
under each day, how many breaks were skipped and missed (counts: they moved no minutes, so they
have no place on a minutes axis); below, a 12-week calendar heatmap of goal minutes and the
walking plan's target week by week. Colours are the Okabe-Ito palette, which people with any
common colour-vision deficiency can tell apart; skipped and missed also differ in shape.
Everything is laid out in logical pixels and drawn at ``SCALE`` (2x) for HiDPI screens
(``canvas``). Pillow is imported inside functions, so importing this module costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from posturebreak.core.insight import DayOutcomes, Outcome
from posturebreak.frontends.canvas import Box, Canvas

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["Box", "DayBar", "ReportData", "render", "save"]

SCALE = 2
WIDTH, HEIGHT = 960, 850

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO: Mapping[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "orange": (230, 159, 0),
    "sky_blue": (86, 180, 233),
    "bluish_green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "blue": (0, 114, 178),
    "vermillion": (213, 94, 0),
    "reddish_purple": (204, 121, 167),
}
OUTCOME_COLOURS: Mapping[Outcome, tuple[int, int, int]] = {
    Outcome.TAKEN: OKABE_ITO["blue"],
    Outcome.SNOOZED_TAKEN: OKABE_ITO["sky_blue"],
    Outcome.NATURAL: OKABE_ITO["bluish_green"],
    Outcome.SKIPPED: OKABE_ITO["orange"],
    Outcome.MISSED: OKABE_ITO["vermillion"],
}
# The outcomes that move minutes, bottom to top: the only ones a bar is made of.
STACK_ORDER = (Outcome.TAKEN, Outcome.SNOOZED_TAKEN, Outcome.NATURAL)
PLAN_COLOUR = OKABE_ITO["reddish_purple"]
GOAL_COLOUR = OKABE_ITO["black"]
HEAT_COLOUR = OKABE_ITO["bluish_green"]
INK = (34, 34, 34)
MUTED = (110, 110, 110)
GRID = (228, 228, 228)
PAPER = (255, 255, 255)
EMPTY_CELL = (236, 238, 240)

# The bar panel, in logical pixels (the right margin holds the goal's label), and the two count
# rows (skipped, missed) under its days; then the heatmap and the plan side by side.
BARS_LEFT, BARS_RIGHT, BARS_TOP, BARS_BOTTOM = 78, WIDTH - 92, 142, 420
HEAT_LEFT, HEAT_TOP = 78, 612
COUNT_ROWS = ((Outcome.SKIPPED, BARS_BOTTOM + 52.0), (Outcome.MISSED, BARS_BOTTOM + 70.0))


@dataclass(frozen=True)
class DayBar:
    """One day: the minutes moved, by how (the bar), and the breaks skipped and missed (counts).

    ``minutes`` holds only the outcomes of ``STACK_ORDER``; a skipped or missed break moved
    nothing, so it is counted, never given minutes.
    """

    day: date
    minutes: Mapping[Outcome, float]
    skipped: int = 0
    missed: int = 0

    def __post_init__(self) -> None:
        """Refuse minutes for an outcome that moves none, and negative figures."""
        stray = sorted(o.value for o in self.minutes if o not in STACK_ORDER)
        if stray:
            raise ValueError(f"{self.day}: {', '.join(stray)} moved no minutes; count them")
        if self.skipped < 0 or self.missed < 0 or any(m < 0 for m in self.minutes.values()):
            raise ValueError(f"{self.day}: negative figures")

    @classmethod
    def of(cls, outcomes: DayOutcomes) -> DayBar:
        """The bar of one day's outcomes: its minutes moved, and its skipped and missed counts."""
        return cls(
            outcomes.day,
            {o: outcomes.minutes[o] for o in STACK_ORDER},
            skipped=outcomes.counts[Outcome.SKIPPED],
            missed=outcomes.counts[Outcome.MISSED],
        )

    def count(self, outcome: Outcome) -> int:
        """How many breaks ended ``outcome`` (``SKIPPED`` or ``MISSED``) that day."""
        return {Outcome.SKIPPED: self.skipped, Outcome.MISSED: self.missed}[outcome]


@dataclass(frozen=True)
class ReportData:
    """Everything the picture shows."""

    title: str
    headline: str
    subline: str
    goal_minutes: float
    bars: tuple[DayBar, ...]
    heat: Mapping[date, float]
    heat_last: date
    plan: tuple[tuple[date, float], ...]
    plan_cap: float


def bar_scale(data: ReportData) -> float:
    """The top of the bar panel's minute axis: a round number above the goal and every bar."""
    tallest = max((sum(b.minutes.values()) for b in data.bars), default=0.0)
    top = max(data.goal_minutes * 1.15, tallest * 1.05, 30.0)
    step = _tick_step(top)
    return math.ceil(top / step) * step


def _tick_step(top: float) -> float:
    for step in (10, 15, 30, 60, 120, 240):
        if top / step <= 6:
            return step
    return 480


def bar_boxes(data: ReportData) -> list[dict[Outcome, Box]]:
    """Where each day's segments are drawn (logical pixels); empty segments are left out."""
    n = max(1, len(data.bars))
    slot = (BARS_RIGHT - BARS_LEFT) / n
    width = min(56.0, slot * 0.7)
    per_minute = (BARS_BOTTOM - BARS_TOP) / bar_scale(data)
    out: list[dict[Outcome, Box]] = []
    for i, bar in enumerate(data.bars):
        x0 = BARS_LEFT + slot * i + (slot - width) / 2
        y = float(BARS_BOTTOM)
        boxes: dict[Outcome, Box] = {}
        for o in STACK_ORDER:
            height = bar.minutes.get(o, 0.0) * per_minute
            if height <= 0:
                continue
            boxes[o] = Box(x0, y - height, x0 + width, y)
            y -= height
        out.append(boxes)
    return out


def goal_y(data: ReportData) -> float:
    """The goal line's height in the bar panel (logical pixels)."""
    per_minute = (BARS_BOTTOM - BARS_TOP) / bar_scale(data)
    return BARS_BOTTOM - data.goal_minutes * per_minute


# --- drawing -----------------------------------------------------------------------------------


def render(data: ReportData) -> Image.Image:
    """The report as an RGB image, ``WIDTH`` x ``HEIGHT`` logical pixels at ``SCALE``."""
    c = Canvas(WIDTH, HEIGHT, SCALE, PAPER)
    c.text((32, 26), data.title, 22, INK, bold=True)
    c.text((32, 62), data.headline, 15, INK)
    c.text((32, 88), data.subline, 13, MUTED)
    _draw_bars(c, data)
    _draw_heatmap(c, data, left=HEAT_LEFT, top=HEAT_TOP)
    _draw_plan(c, data, Box(600, HEAT_TOP, WIDTH - 40, HEAT_TOP + 180))
    return c.image


def save(data: ReportData, path: str) -> None:
    """Render ``data`` to a PNG file at ``path`` (``OSError`` if it cannot be written)."""
    image = render(data)
    image.save(path, format="PNG", dpi=(72 * SCALE, 72 * SCALE), optimize=True)


def _draw_bars(c: Canvas, data: ReportData) -> None:
    top_minutes = bar_scale(data)
    step = _tick_step(top_minutes)
    per_minute = (BARS_BOTTOM - BARS_TOP) / top_minutes
    ticks = int(top_minutes // step)
    for i in range(ticks + 1):
        y = BARS_BOTTOM - i * step * per_minute
        c.line([(BARS_LEFT, y), (BARS_RIGHT, y)], GRID if i else MUTED, 1)
        c.text((BARS_LEFT - 8, y), f"{int(i * step)}", 11, MUTED, anchor="rm")
    c.vertical_text(
        (BARS_LEFT - 48, (BARS_TOP + BARS_BOTTOM) / 2), "Minutes moved per day", 11, MUTED
    )
    boxes = bar_boxes(data)
    n = max(1, len(data.bars))
    slot = (BARS_RIGHT - BARS_LEFT) / n
    monthly = n > 7
    for i, (bar, segments) in enumerate(zip(data.bars, boxes, strict=True)):
        for outcome, box in segments.items():
            c.rect(box, OUTCOME_COLOURS[outcome])
        x = BARS_LEFT + slot * (i + 0.5)
        if monthly:
            c.text((x, BARS_BOTTOM + 8), f"{bar.day.day}", 10, MUTED, anchor="ma")
            if bar.day.weekday() == 0:
                c.text((x, BARS_BOTTOM + 22), "Mon", 9, MUTED, anchor="ma")
        else:
            c.text((x, BARS_BOTTOM + 8), f"{bar.day:%a}", 12, INK, anchor="ma")
            c.text((x, BARS_BOTTOM + 24), f"{bar.day:%d %b}", 10, MUTED, anchor="ma")
    _draw_counts(c, data)
    gy = goal_y(data)
    x = float(BARS_LEFT)
    while x < BARS_RIGHT:  # dashed, so the bars behind it stay readable
        c.line([(x, gy), (min(x + 8, BARS_RIGHT), gy)], GOAL_COLOUR, 1.5)
        x += 13
    # In the right margin, level with the line: no bar can hide it, and it hides no bar.
    c.text((BARS_RIGHT + 8, gy - 1), "Goal", 11, GOAL_COLOUR, bold=True, anchor="ld")
    c.text((BARS_RIGHT + 8, gy + 2), f"{data.goal_minutes:.0f} min", 10, GOAL_COLOUR, anchor="la")
    _draw_legend(c, top=BARS_BOTTOM + 98)


def _marker(c: Canvas, outcome: Outcome, centre: tuple[float, float]) -> None:
    """Skipped: an orange triangle; missed: a vermillion cross (shape and colour both differ)."""
    x, y = centre
    r = 4.5
    colour = OUTCOME_COLOURS[outcome]
    if outcome is Outcome.SKIPPED:
        c.polygon([(x - r, y + r * 0.8), (x + r, y + r * 0.8), (x, y - r)], colour)
        return
    for dx in (-r, r):
        c.line([(x - dx, y - r), (x + dx, y + r)], colour, 2.2)


def _draw_counts(c: Canvas, data: ReportData) -> None:
    """Under each day, how many breaks were skipped and missed: a marker and the number."""
    n = max(1, len(data.bars))
    slot = (BARS_RIGHT - BARS_LEFT) / n
    size = 10 if n > 7 else 11
    c.line([(BARS_LEFT, BARS_BOTTOM + 40), (BARS_RIGHT, BARS_BOTTOM + 40)], GRID, 1)
    for outcome, y in COUNT_ROWS:
        c.text((BARS_LEFT - 8, y), outcome.label, 10, MUTED, anchor="rm")
        for i, bar in enumerate(data.bars):
            count = bar.count(outcome)
            if not count:
                continue
            label = str(count)
            width = 9 + 2 + c.text_width(label, size)
            x = BARS_LEFT + slot * (i + 0.5) - width / 2
            _marker(c, outcome, (x + 4.5, y))
            c.text((x + 11, y), label, size, INK, anchor="lm")


def _draw_legend(c: Canvas, top: float) -> None:
    x = float(BARS_LEFT)
    for outcome in STACK_ORDER:
        c.rect(Box(x, top, x + 12, top + 12), OUTCOME_COLOURS[outcome])
        c.text((x + 18, top + 6), outcome.label, 12, INK, anchor="lm")
        x += 18 + c.text_width(outcome.label, 12) + 24
    c.line([(x, top + 6), (x + 22, top + 6)], GOAL_COLOUR, 1.5)
    c.text((x + 28, top + 6), "Goal", 12, INK, anchor="lm")
    x += 28 + c.text_width("Goal", 12) + 36
    for outcome in (Outcome.SKIPPED, Outcome.MISSED):
        _marker(c, outcome, (x + 5, top + 6))
        c.text((x + 15, top + 6), outcome.label, 12, INK, anchor="lm")
        x += 15 + c.text_width(outcome.label, 12) + 14
    c.text((x, top + 6), "breaks per day (a count, not minutes)", 12, MUTED, anchor="lm")


def heat_colour(minutes: float, goal: float) -> tuple[int, int, int]:
    """The cell colour for a day: grey for nothing, deepening green toward the goal."""
    if minutes <= 0 or goal <= 0:
        return EMPTY_CELL
    level = min(4, 1 + int(4 * minutes / goal)) if minutes < goal else 4
    share = (0.3, 0.5, 0.72, 1.0)[level - 1]
    return (
        round(EMPTY_CELL[0] + (HEAT_COLOUR[0] - EMPTY_CELL[0]) * share),
        round(EMPTY_CELL[1] + (HEAT_COLOUR[1] - EMPTY_CELL[1]) * share),
        round(EMPTY_CELL[2] + (HEAT_COLOUR[2] - EMPTY_CELL[2]) * share),
    )


CELL, GAP = 22, 4


def _first_monday(heat_last: date) -> date:
    return heat_last - timedelta(days=heat_last.weekday(), weeks=11)


def month_labels(heat_last: date) -> tuple[tuple[int, date], ...]:
    """``(column, 1st of the month)`` for every month with a day in the heatmap, left to right.

    A month's name sits over the column of its first Monday, or over the column of its first
    day shown when no Monday of it is (a month that ends early in the first week or begins in
    the last). Two names are therefore always at least a column apart.
    """
    first_monday = _first_monday(heat_last)
    columns: dict[date, int] = {}
    for n in range((heat_last - first_monday).days + 1):
        day = first_monday + timedelta(days=n)
        month = day.replace(day=1)
        if month not in columns or (day.weekday() == 0 and day.day <= 7):
            columns[month] = n // 7
    return tuple(sorted((col, month) for month, col in columns.items()))


def heat_cell(data: ReportData, day: date, left: float, top: float) -> Box:
    """Where ``day``'s cell sits in the heatmap (columns are weeks, rows Monday to Sunday)."""
    col = (day - _first_monday(data.heat_last)).days // 7
    row = day.weekday()
    x = left + col * (CELL + GAP)
    y = top + row * (CELL + GAP)
    return Box(x, y, x + CELL, y + CELL)


def _draw_heatmap(c: Canvas, data: ReportData, left: float, top: float) -> None:
    c.text((32, top - 42), "Last 12 weeks", 15, INK, bold=True)
    c.text(
        (32 + c.text_width("Last 12 weeks", 15, bold=True) + 10, top - 40),
        "minutes moved per day against the goal",
        12,
        MUTED,
    )
    first_monday = _first_monday(data.heat_last)
    for row, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        if name:
            c.text((left - 8, top + row * (CELL + GAP) + CELL / 2), name, 10, MUTED, anchor="rm")
    for col, month in month_labels(data.heat_last):
        c.text((left + col * (CELL + GAP), top - 6), f"{month:%b}", 10, MUTED, anchor="ld")
    for week in range(12):
        monday = first_monday + timedelta(weeks=week)
        for d in range(7):
            day = monday + timedelta(days=d)
            box = heat_cell(data, day, left, top)
            if day > data.heat_last:
                c.outline(box, GRID)
                continue
            c.rect(box, heat_colour(data.heat.get(day, 0.0), data.goal_minutes))
    key_top = top + 7 * (CELL + GAP) + 8
    c.text((left, key_top + 6), "Less", 10, MUTED, anchor="lm")
    x = left + c.text_width("Less", 10) + 6
    for share in (0.0, 0.2, 0.45, 0.7, 1.0):
        c.rect(
            Box(x, key_top, x + 12, key_top + 12),
            heat_colour(share * data.goal_minutes, data.goal_minutes),
        )
        x += 15
    c.text((x + 3, key_top + 6), "goal met", 10, MUTED, anchor="lm")


def _draw_plan(c: Canvas, data: ReportData, area: Box) -> None:
    left, top, right, bottom = area.x0, area.y0, area.x1, area.y1
    c.text((left - 40, top - 42), "Walking plan", 15, INK, bold=True)
    c.text(
        (left - 40 + c.text_width("Walking plan", 15, bold=True) + 10, top - 40),
        "walk length, week by week",
        12,
        MUTED,
    )
    points = data.plan[-12:]
    top_minutes = max(data.plan_cap, max((m for _, m in points), default=0.0), 5.0)
    step = 5.0 if top_minutes <= 30 else 10.0
    top_minutes = math.ceil(top_minutes / step) * step
    per_minute = (bottom - top) / top_minutes
    for i in range(int(top_minutes // step) + 1):
        y = bottom - i * step * per_minute
        c.line([(left, y), (right, y)], GRID if i else MUTED, 1)
        c.text((left - 6, y), f"{int(i * step)}", 10, MUTED, anchor="rm")
    c.vertical_text((left - 30, (top + bottom) / 2), "Minutes", 10, MUTED)
    if not points:
        c.text(((left + right) / 2, (top + bottom) / 2), "No walks yet", 12, MUTED, anchor="mm")
        return
    n = len(points)
    slot = (right - left) / n
    xy = [(left + slot * (i + 0.5), bottom - m * per_minute) for i, (_, m) in enumerate(points)]
    steps: list[tuple[float, float]] = []
    for i, (x, y) in enumerate(xy):
        if i:
            steps.append((x - slot / 2, steps[-1][1]))
            steps.append((x - slot / 2, y))
        else:
            steps.append((x - slot / 2, y))
        steps.append((x + slot / 2 if i == n - 1 else x, y))
    c.line(steps, PLAN_COLOUR, 2.5)
    for i, ((monday, _m), (x, y)) in enumerate(zip(points, xy, strict=True)):
        c.dot((x, y), 3.5, PLAN_COLOUR)
        if n <= 6 or i % 2 == (n - 1) % 2:
            c.text((x, bottom + 6), f"{monday:%d %b}", 9, MUTED, anchor="ma")
    c.text(((left + right) / 2, bottom + 22), "Week starting", 10, MUTED, anchor="ma")
    last_x, last_y = xy[-1]
    label = f"now {points[-1][1]:.0f} min"
    c.text((last_x, last_y - 10), label, 11, PLAN_COLOUR, bold=True, anchor="rd")
