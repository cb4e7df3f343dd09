"""The week or month as a picture, drawn with Pillow alone (no plotting library).

``ReportData`` holds every figure the picture shows, already worked out (see
``cli_insight``); ``render`` only draws. Layout: the headline in words at the top; a bar per
day stacked by outcome with the daily goal as a dashed line; below, a 12-week calendar
heatmap of goal minutes and the walking plan's target week by week. Colours are the
Okabe-Ito palette, which people with any common colour-vision deficiency can tell apart.
Everything is laid out in logical pixels and drawn at ``SCALE`` (2x) for HiDPI screens.
Pillow is imported inside functions, so importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from posturebreak.insight import Outcome

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

SCALE = 2
WIDTH, HEIGHT = 960, 830

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
# Bottom to top: what was moved first, what was left on the table above it.
STACK_ORDER = (
    Outcome.TAKEN,
    Outcome.SNOOZED_TAKEN,
    Outcome.NATURAL,
    Outcome.SKIPPED,
    Outcome.MISSED,
)
PLAN_COLOUR = OKABE_ITO["reddish_purple"]
GOAL_COLOUR = OKABE_ITO["black"]
HEAT_COLOUR = OKABE_ITO["bluish_green"]
INK = (34, 34, 34)
MUTED = (110, 110, 110)
GRID = (228, 228, 228)
PAPER = (255, 255, 255)
EMPTY_CELL = (236, 238, 240)

# The bar panel, in logical pixels.
BARS_LEFT, BARS_RIGHT, BARS_TOP, BARS_BOTTOM = 78, WIDTH - 40, 142, 420


@dataclass(frozen=True)
class DayBar:
    """One day's bar: minutes per outcome (skipped/missed weigh what could have been moved)."""

    day: date
    minutes: Mapping[Outcome, float]


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


@dataclass(frozen=True)
class Box:
    """A rectangle in logical pixels, ``y0`` at the top."""

    x0: float
    y0: float
    x1: float
    y1: float


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


class _Canvas:
    """ImageDraw in logical pixels: every coordinate is multiplied by ``SCALE``."""

    def __init__(self) -> None:
        from PIL import Image, ImageDraw

        self.image: Image.Image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), PAPER)
        self.draw: ImageDraw.ImageDraw = ImageDraw.Draw(self.image)
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def font(
        self, size: int, *, bold: bool = False
    ) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        key = (size, bold)
        if key not in self._fonts:
            self._fonts[key] = _load_font(size * SCALE, bold=bold)
        return self._fonts[key]

    def rect(self, box: Box, fill: tuple[int, int, int]) -> None:
        s = SCALE
        # Integer edges (no anti-aliasing): neighbouring segments meet without a seam.
        self.draw.rectangle(
            (round(box.x0 * s), round(box.y0 * s), round(box.x1 * s) - 1, round(box.y1 * s) - 1),
            fill=fill,
        )

    def line(
        self, points: Sequence[tuple[float, float]], fill: tuple[int, int, int], width: float = 1
    ) -> None:
        self.draw.line(
            [(x * SCALE, y * SCALE) for x, y in points], fill=fill, width=round(width * SCALE)
        )

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        fill: tuple[int, int, int] = INK,
        *,
        bold: bool = False,
        anchor: str = "la",
    ) -> None:
        self.draw.text(
            (xy[0] * SCALE, xy[1] * SCALE),
            text,
            fill=fill,
            font=self.font(size, bold=bold),
            anchor=anchor,
        )

    def text_width(self, text: str, size: int, *, bold: bool = False) -> float:
        return self.draw.textlength(text, font=self.font(size, bold=bold)) / SCALE

    def vertical_text(self, centre: tuple[float, float], text: str, size: int) -> None:
        from PIL import Image, ImageDraw

        font = self.font(size)
        left, top, right, bottom = font.getbbox(text)
        label = Image.new("RGB", (int(right - left) + 4, int(bottom - top) + 4), PAPER)
        ImageDraw.Draw(label).text((2 - left, 2 - top), text, fill=MUTED, font=font)
        turned = label.rotate(90, expand=True)
        x = round(centre[0] * SCALE - turned.width / 2)
        y = round(centre[1] * SCALE - turned.height / 2)
        self.image.paste(turned, (x, y))


def _load_font(px: int, *, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    names = ("DejaVuSans-Bold.ttf",) if bold else ("DejaVuSans.ttf",)
    for name in (*names, "Arial Bold.ttf" if bold else "Arial.ttf", "arial.ttf"):
        with contextlib.suppress(OSError):  # not installed here: try the next one
            return ImageFont.truetype(name, px)
    return ImageFont.load_default(px)


def render(data: ReportData) -> Image.Image:
    """The report as an RGB image, ``WIDTH`` x ``HEIGHT`` logical pixels at ``SCALE``."""
    c = _Canvas()
    c.text((32, 26), data.title, 22, bold=True)
    c.text((32, 62), data.headline, 15)
    c.text((32, 88), data.subline, 13, MUTED)
    _draw_bars(c, data)
    _draw_heatmap(c, data, left=78, top=590)
    _draw_plan(c, data, Box(600, 590, WIDTH - 40, 770))
    return c.image


def save(data: ReportData, path: str) -> None:
    """Render ``data`` to a PNG file at ``path`` (``OSError`` if it cannot be written)."""
    image = render(data)
    image.save(path, format="PNG", dpi=(72 * SCALE, 72 * SCALE), optimize=True)


def _draw_bars(c: _Canvas, data: ReportData) -> None:
    top_minutes = bar_scale(data)
    step = _tick_step(top_minutes)
    per_minute = (BARS_BOTTOM - BARS_TOP) / top_minutes
    ticks = int(top_minutes // step)
    for i in range(ticks + 1):
        y = BARS_BOTTOM - i * step * per_minute
        c.line([(BARS_LEFT, y), (BARS_RIGHT, y)], GRID if i else MUTED, 1)
        c.text((BARS_LEFT - 8, y), f"{int(i * step)}", 11, MUTED, anchor="rm")
    c.vertical_text((BARS_LEFT - 48, (BARS_TOP + BARS_BOTTOM) / 2), "Minutes moved per day", 11)
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
    c.text(((BARS_LEFT + BARS_RIGHT) / 2, BARS_BOTTOM + 42), "Day", 11, MUTED, anchor="ma")
    gy = goal_y(data)
    x = float(BARS_LEFT)
    while x < BARS_RIGHT:  # dashed, so the bars behind it stay readable
        c.line([(x, gy), (min(x + 8, BARS_RIGHT), gy)], GOAL_COLOUR, 1.5)
        x += 13
    label = f"Daily goal {data.goal_minutes:.0f} min"
    width = c.text_width(label, 11, bold=True)
    # On a white tab at the right end, so a tall bar there cannot hide it.
    c.rect(Box(BARS_RIGHT - width - 8, gy - 19, BARS_RIGHT, gy - 2), PAPER)
    c.text((BARS_RIGHT - 4, gy - 5), label, 11, GOAL_COLOUR, bold=True, anchor="rd")
    _draw_legend(c, top=BARS_BOTTOM + 68)


def _draw_legend(c: _Canvas, top: float) -> None:
    x = float(BARS_LEFT)
    for outcome in STACK_ORDER:
        c.rect(Box(x, top, x + 12, top + 12), OUTCOME_COLOURS[outcome])
        c.text((x + 18, top + 6), outcome.label, 12, INK, anchor="lm")
        x += 18 + c.text_width(outcome.label, 12) + 26
    c.line([(x, top + 6), (x + 22, top + 6)], GOAL_COLOUR, 1.5)
    c.text((x + 28, top + 6), "Goal", 12, INK, anchor="lm")


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


def heat_cell(data: ReportData, day: date, left: float, top: float) -> Box:
    """Where ``day``'s cell sits in the heatmap (columns are weeks, rows Monday to Sunday)."""
    last_monday = data.heat_last - timedelta(days=data.heat_last.weekday())
    first_monday = last_monday - timedelta(weeks=11)
    col = (day - first_monday).days // 7
    row = day.weekday()
    x = left + col * (CELL + GAP)
    y = top + row * (CELL + GAP)
    return Box(x, y, x + CELL, y + CELL)


def _draw_heatmap(c: _Canvas, data: ReportData, left: float, top: float) -> None:
    c.text((32, top - 42), "Last 12 weeks", 15, bold=True)
    c.text(
        (32 + c.text_width("Last 12 weeks", 15, bold=True) + 10, top - 40),
        "minutes moved per day against the goal",
        12,
        MUTED,
    )
    last_monday = data.heat_last - timedelta(days=data.heat_last.weekday())
    first_monday = last_monday - timedelta(weeks=11)
    for row, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        if name:
            c.text((left - 8, top + row * (CELL + GAP) + CELL / 2), name, 10, MUTED, anchor="rm")
    previous_month, previous_col = 0, -9
    for week in range(12):
        monday = first_monday + timedelta(weeks=week)
        if monday.month != previous_month and week - previous_col >= 3:
            x = left + week * (CELL + GAP)
            c.text((x, top - 6), f"{monday:%b}", 10, MUTED, anchor="ld")
            previous_month, previous_col = monday.month, week
        for d in range(7):
            day = monday + timedelta(days=d)
            box = heat_cell(data, day, left, top)
            if day > data.heat_last:
                c.draw.rectangle(_scaled(box), outline=GRID, width=SCALE)
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


def _scaled(box: Box) -> tuple[int, int, int, int]:
    s = SCALE
    return (round(box.x0 * s), round(box.y0 * s), round(box.x1 * s) - 1, round(box.y1 * s) - 1)


def _draw_plan(c: _Canvas, data: ReportData, area: Box) -> None:
    left, top, right, bottom = area.x0, area.y0, area.x1, area.y1
    c.text((left - 40, top - 42), "Walking plan", 15, bold=True)
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
    c.vertical_text((left - 30, (top + bottom) / 2), "Minutes", 10)
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
        r = 3.5
        c.draw.ellipse(
            (
                round((x - r) * SCALE),
                round((y - r) * SCALE),
                round((x + r) * SCALE),
                round((y + r) * SCALE),
            ),
            fill=PLAN_COLOUR,
        )
        if n <= 6 or i % 2 == (n - 1) % 2:
            c.text((x, bottom + 6), f"{monday:%d %b}", 9, MUTED, anchor="ma")
    c.text(((left + right) / 2, bottom + 22), "Week starting", 10, MUTED, anchor="ma")
    last_x, last_y = xy[-1]
    label = f"now {points[-1][1]:.0f} min"
    c.text((last_x, last_y - 10), label, 11, PLAN_COLOUR, bold=True, anchor="rd")
