"""The tray icon, drawn with Pillow: a state-coloured disc, a countdown ring and a glyph.

Pure drawing (no toolkit, no clock): the tray adapter calls :func:`draw_icon` whenever the
quantised picture (:func:`ring_step`) changes. Everything is drawn at four times the target
size and scaled down with LANCZOS, so edges stay smooth at 16 px and on HiDPI screens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image, ImageDraw

from posturebreak.core.domain import Mode

RGB = tuple[int, int, int]

# Okabe & Ito's palette (plus one dark grey): chosen so every pair of states stays apart
# under simulated protanopia, deuteranopia and tritanopia, not only for full colour vision.
STATE_COLOURS: Mapping[Mode, RGB] = MappingProxyType(
    {
        Mode.WORKING: (0, 158, 115),  # bluish green: all is well, time is counting
        Mode.NOTICE: (240, 228, 66),  # yellow: a break is coming up shortly
        Mode.PROMPTING: (213, 94, 0),  # vermillion: the break is due now
        Mode.ON_BREAK: (0, 114, 178),  # blue: on a break
        Mode.SNOOZED: (230, 159, 0),  # orange: put off for a few minutes
        Mode.PAUSED: (90, 90, 90),  # dark grey: switched off for a while
        Mode.OFF_HOURS: (0, 0, 0),  # black: outside working hours
        Mode.AWAY: (86, 180, 233),  # sky blue: away from the desk (a natural break)
        Mode.DEFERRED: (204, 121, 167),  # reddish purple: due, waiting for do-not-disturb
    }
)

RING_STEPS = 24
"""How many distinct ring fillings :func:`ring_step` allows (one per 15 degrees)."""


@dataclass(frozen=True)
class Geometry:
    """Radii of the icon's parts in physical pixels, measured from the centre.

    Whole pixels on purpose: with the centre on a pixel corner (even sizes) the edges land on
    pixel boundaries, so a 16 px icon has crisp rims instead of a grey blur.
    """

    ring_outer: float
    ring_inner: float
    disc: float


def geometry(pixels: int, with_ring: bool) -> Geometry:
    """The radii used by :func:`draw_icon` for a ``pixels``-wide icon, with or without ring."""
    outer = pixels / 2 - round(0.02 * pixels)
    if not with_ring:
        # A thin rim of the track colour keeps dark and pale discs visible on any panel.
        disc = outer - max(1, round(0.04 * pixels))
        return Geometry(ring_outer=outer, ring_inner=disc, disc=disc)
    inner = outer - max(2, round(0.14 * pixels))
    return Geometry(ring_outer=outer, ring_inner=inner, disc=inner - max(1, round(0.04 * pixels)))


# The empty part of the ring: a translucent grey that shows on light and dark panels alike
# and never looks like any state colour.
_TRACK = (128, 128, 128, 90)
_WHITE: RGB = (255, 255, 255)
_DARK_INK: RGB = (26, 26, 26)
_SUPERSAMPLE = 4
# Below this many physical pixels the icon is drawn at this size and scaled down.
_SMALLEST_PX = 16
# Below this many physical pixels a standing figure turns to mush; a dot stays crisp.
_FIGURE_MIN_PX = 32


def ring_step(ring: float | None) -> float | None:
    """``ring`` rounded up to the next 1/24, clamped to 0..1; ``None`` (or NaN) stays ``None``.

    Rounding up keeps a sliver of ring visible until the break is really due. The tray only
    redraws when this value changes, i.e. when the picture would change.
    """
    if ring is None or math.isnan(ring):
        return None
    clamped = min(1.0, max(0.0, ring))
    # The small epsilon stops float noise (0.5000000001) from jumping a whole step.
    return math.ceil(clamped * RING_STEPS - 1e-9) / RING_STEPS


def draw_icon(mode: Mode, ring: float | None, size: int, scale: int = 1) -> Image.Image:
    """The tray picture for ``mode``: an RGBA square ``size * scale`` pixels wide.

    Args:
        mode: the state whose colour fills the disc (see :data:`STATE_COLOURS`).
        ring: share of the countdown still to go, 1.0 = full ring, 0.0 = empty track;
            ``None`` draws no ring and a larger disc. Values outside 0..1 are clamped.
        size: the logical icon size in pixels (16, 22, 24, 32, 48, ...).
        scale: the display's scale factor (2 on HiDPI).

    Pictures under 16 physical pixels are the 16 px picture scaled down.

    Raises:
        ValueError: when ``size`` or ``scale`` is smaller than 1.
    """
    if size < 1 or scale < 1:
        raise ValueError(f"icon size and scale must be at least 1 (got {size} and {scale})")
    pixels = size * scale
    if pixels < _SMALLEST_PX:
        # The rims' whole-pixel minimums leave no room for the disc below a few pixels (Pillow
        # refuses inverted boxes); an xembed slot starts at 1x1, so draw big and shrink.
        small = draw_icon(mode, ring, _SMALLEST_PX)
        return small.resize((pixels, pixels), Image.Resampling.LANCZOS)
    side = pixels * _SUPERSAMPLE
    colour = STATE_COLOURS[mode]
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    centre = side / 2
    shape = geometry(pixels, with_ring=ring is not None)
    disc = shape.disc * _SUPERSAMPLE

    outer = _box(centre, shape.ring_outer * _SUPERSAMPLE)
    # Plain (non-blending) drawing on RGBA replaces pixels, so the inner circle punches the
    # hole; the disc is drawn afterwards.
    draw.ellipse(outer, fill=_TRACK)
    share = 0.0 if ring is None else min(1.0, max(0.0, ring))
    if share >= 1.0:
        draw.ellipse(outer, fill=(*colour, 255))
    elif share > 0.0:
        # Clockwise from twelve o'clock, like a clock hand sweeping the time that is left.
        draw.pieslice(outer, -90.0, -90.0 + 360.0 * share, fill=(*colour, 255))
    draw.ellipse(_box(centre, shape.ring_inner * _SUPERSAMPLE), fill=(0, 0, 0, 0))
    draw.ellipse(_box(centre, disc), fill=(*colour, 255))

    ink = (*_ink_for(colour), 255)
    if mode is Mode.PAUSED:
        _draw_pause_bars(draw, centre, shape.disc, ink)
    elif pixels >= _FIGURE_MIN_PX:
        _draw_figure(draw, centre, disc, ink)

    return canvas.resize((pixels, pixels), Image.Resampling.LANCZOS)


def _box(centre: float, radius: float) -> tuple[float, float, float, float]:
    return (centre - radius, centre - radius, centre + radius, centre + radius)


def _luminance(colour: RGB) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ink_for(colour: RGB) -> RGB:
    """White or near-black, whichever has the higher WCAG contrast against ``colour``."""
    background = _luminance(colour) + 0.05
    on_white = (_luminance(_WHITE) + 0.05) / background
    on_dark = background / (_luminance(_DARK_INK) + 0.05)
    return _WHITE if on_white >= on_dark else _DARK_INK


def _stroke(
    draw: ImageDraw.ImageDraw,
    start: tuple[float, float],
    end: tuple[float, float],
    width: float,
    ink: tuple[int, int, int, int],
) -> None:
    """A line with round caps (Pillow's own lines have square ends)."""
    draw.line([start, end], fill=ink, width=round(width))
    for x, y in (start, end):
        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)


def _draw_figure(
    draw: ImageDraw.ImageDraw, centre: float, disc: float, ink: tuple[int, int, int, int]
) -> None:
    """A person standing up, arms relaxed: the app's whole message in one picture."""

    def at(dx: float, dy: float) -> tuple[float, float]:
        return (centre + dx * disc, centre + dy * disc)

    head_x, head_y = at(0.0, -0.54)
    head = 0.17 * disc
    draw.ellipse((head_x - head, head_y - head, head_x + head, head_y + head), fill=ink)
    _stroke(draw, at(0.0, -0.19), at(0.0, 0.12), 0.26 * disc, ink)  # torso
    for side in (-1.0, 1.0):
        _stroke(draw, at(0.09 * side, -0.20), at(0.30 * side, 0.10), 0.14 * disc, ink)  # arm
        _stroke(draw, at(0.06 * side, 0.12), at(0.16 * side, 0.62), 0.16 * disc, ink)  # leg


def _draw_pause_bars(
    draw: ImageDraw.ImageDraw, centre: float, disc_px: float, ink: tuple[int, int, int, int]
) -> None:
    """The universal pause sign, so "paused" reads without relying on colour at all.

    Sized in whole physical pixels (``disc_px`` is the disc radius before supersampling) so the
    bars stay sharp and symmetric even at 16 px.
    """
    unit = _SUPERSAMPLE
    half_gap = max(1, round(0.11 * disc_px)) * unit
    width = max(1, round(0.26 * disc_px)) * unit
    half_height = max(2, round(0.42 * disc_px)) * unit
    for left in (centre - half_gap - width, centre + half_gap):
        draw.rectangle(
            (left, centre - half_height, left + width - 1, centre + half_height - 1), fill=ink
        )
