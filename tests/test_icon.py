"""The tray icon: sizes, state colours, the countdown ring and the glyph, probed pixel by pixel."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posturebreak.core.domain import Mode
from posturebreak.frontends.desktop.icon import (
    RING_STEPS,
    STATE_COLOURS,
    draw_icon,
    geometry,
    ring_step,
)

SIZES = [(16, 1), (22, 1), (24, 1), (32, 1), (48, 1), (16, 2), (24, 2)]
TOLERANCE = 14
# LANCZOS overshoots a little on a 2 px ring (sharper edges are worth it); allow for that.
RING_TOLERANCE = 28


@pytest.fixture(autouse=True)
def _own_home(monkeypatch, tmp_path):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))


def close(pixel, rgb, tolerance=TOLERANCE):
    return pixel[3] >= 220 and all(
        abs(p - c) <= tolerance for p, c in zip(pixel[:3], rgb, strict=True)
    )


def body_point(pixels, with_ring):
    """A pixel well inside the disc, left of the glyph."""
    disc = geometry(pixels, with_ring=with_ring).disc
    return (math.floor(pixels / 2 - 0.62 * disc), pixels // 2)


def ring_point(pixels, clock_degrees):
    """The pixel nearest the middle of the ring band at an angle clockwise from twelve o'clock.

    Of the pixels around the ideal point, the one whose centre lies closest to the band's middle
    radius: on a 2 px ring at 45 degrees the plain nearest pixel straddles the edge.
    """
    shape = geometry(pixels, with_ring=True)
    radius = (shape.ring_outer + shape.ring_inner) / 2
    angle = math.radians(clock_degrees)
    centre = pixels / 2
    x = centre + radius * math.sin(angle)
    y = centre - radius * math.cos(angle)
    candidates = [
        (math.floor(x) + dx, math.floor(y) + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
    ]
    return min(
        candidates,
        key=lambda p: (
            round(abs(math.hypot(p[0] + 0.5 - centre, p[1] + 0.5 - centre) - radius), 1),
            math.hypot(p[0] + 0.5 - x, p[1] + 0.5 - y),
        ),
    )


def ring_coloured_pixels(image, mode):
    """How many pixels of the ring band carry the state colour."""
    pixels = image.width
    shape = geometry(pixels, with_ring=True)
    centre = pixels / 2
    count = 0
    for x, y in itertools.product(range(pixels), repeat=2):
        distance = math.hypot(x + 0.5 - centre, y + 0.5 - centre)
        if shape.ring_inner < distance < shape.ring_outer and close(
            image.getpixel((x, y)), STATE_COLOURS[mode], RING_TOLERANCE
        ):
            count += 1
    return count


@pytest.mark.parametrize(("size", "scale"), SIZES)
@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("ring", [1.0, 0.4, 0.0, None])
def test_every_state_is_an_rgba_square_with_its_colour_in_the_body(mode, size, scale, ring):
    image = draw_icon(mode, ring, size, scale)
    pixels = size * scale
    assert image.size == (pixels, pixels)
    assert image.mode == "RGBA"
    body = image.getpixel(body_point(pixels, with_ring=ring is not None))
    assert close(body, STATE_COLOURS[mode]), (mode, body)
    for corner in [(0, 0), (pixels - 1, 0), (0, pixels - 1), (pixels - 1, pixels - 1)]:
        assert image.getpixel(corner)[3] <= 2, f"corner {corner} is not transparent"


def _linear(value):
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _lab(linear_rgb):
    r, g, b = (min(1.0, max(0.0, v)) for v in linear_rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))


# Machado, Oliveira & Fernandes (2009), full severity, on linear RGB.
VISION = {
    "typical": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


@pytest.mark.parametrize("vision", list(VISION))
def test_states_stay_distinguishable_with_colour_blindness(vision):
    matrix = VISION[vision]
    seen = {}
    for mode in Mode:
        image = draw_icon(mode, None, 24)
        rgb = image.getpixel(body_point(24, with_ring=False))[:3]
        linear = [_linear(v) for v in rgb]
        seen[mode] = _lab([sum(m * v for m, v in zip(row, linear, strict=True)) for row in matrix])
    for a, b in itertools.combinations(Mode, 2):
        # CIE76 distance of 15 is an obvious difference at a glance, not a subtle one.
        assert math.dist(seen[a], seen[b]) >= 15, f"{a} and {b} look alike ({vision})"


@pytest.mark.parametrize(("size", "scale"), SIZES)
@pytest.mark.parametrize("mode", list(Mode))
def test_full_ring_is_coloured_at_the_top_and_empty_ring_is_not(mode, size, scale):
    pixels = size * scale
    top = ring_point(pixels, 0)
    colour = STATE_COLOURS[mode]
    assert close(draw_icon(mode, 1.0, size, scale).getpixel(top), colour, RING_TOLERANCE)
    empty = draw_icon(mode, 0.0, size, scale)
    assert not close(empty.getpixel(top), colour, RING_TOLERANCE)
    assert ring_coloured_pixels(empty, mode) == 0
    # The empty ring still shows its track, so the user sees "nothing left", not "no ring".
    assert 40 <= empty.getpixel(top)[3] <= 200


@pytest.mark.parametrize(("size", "scale"), [(16, 1), (24, 1), (48, 1), (16, 2)])
def test_half_ring_fills_the_right_half_clockwise_from_the_top(size, scale):
    image = draw_icon(Mode.WORKING, 0.5, size, scale)
    colour = STATE_COLOURS[Mode.WORKING]
    pixels = size * scale
    for degrees in (45, 90, 135):
        assert close(image.getpixel(ring_point(pixels, degrees)), colour, RING_TOLERANCE), degrees
    for degrees in (225, 270, 315):
        pixel = image.getpixel(ring_point(pixels, degrees))
        assert not close(pixel, colour, RING_TOLERANCE), degrees


def test_ring_shrinks_as_the_break_comes_closer():
    counts = [
        ring_coloured_pixels(draw_icon(Mode.WORKING, share, 48), Mode.WORKING)
        for share in (1.0, 0.75, 0.5, 0.25, 0.0)
    ]
    assert counts == sorted(counts, reverse=True)
    assert len(set(counts)) == len(counts)
    assert counts[2] == pytest.approx(counts[0] / 2, rel=0.1)


def test_ring_outside_zero_to_one_is_clamped():
    assert draw_icon(Mode.WORKING, 1.7, 32).tobytes() == draw_icon(Mode.WORKING, 1.0, 32).tobytes()
    assert draw_icon(Mode.WORKING, -2, 32).tobytes() == draw_icon(Mode.WORKING, 0.0, 32).tobytes()


def _contrast(a, b):
    def lum(rgb):
        r, g, b = (_linear(v) for v in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((lum(a), lum(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("mode", [m for m in Mode if m is not Mode.PAUSED])
@pytest.mark.parametrize(("size", "scale"), [(32, 1), (48, 1), (16, 2)])
def test_standing_figure_stands_out_from_the_disc_at_32_px_and_up(mode, size, scale):
    image = draw_icon(mode, 0.6, size, scale)
    pixels = size * scale
    torso = image.getpixel((pixels // 2, pixels // 2))
    head = image.getpixel(
        (pixels // 2, round(pixels / 2 - 0.5 * geometry(pixels, with_ring=True).disc))
    )
    for glyph in (torso, head):
        assert _contrast(glyph, STATE_COLOURS[mode]) >= 3, (mode, glyph)


@pytest.mark.parametrize("size", [16, 22, 24])
def test_small_icons_keep_a_plain_disc_instead_of_a_smudged_figure(size):
    image = draw_icon(Mode.WORKING, 0.6, size)
    assert close(image.getpixel((size // 2, size // 2)), STATE_COLOURS[Mode.WORKING])


@pytest.mark.parametrize(("size", "scale"), SIZES)
def test_paused_shows_two_bars_whatever_the_size(size, scale):
    pixels = size * scale
    image = draw_icon(Mode.PAUSED, None, size, scale)
    disc = geometry(pixels, with_ring=False).disc
    grey = STATE_COLOURS[Mode.PAUSED]
    middle = image.getpixel((pixels // 2, pixels // 2))
    assert _contrast(middle, grey) < 1.3, "the gap between the bars should show the disc"
    half_gap = max(1, round(0.11 * disc))
    for x in (pixels // 2 - half_gap - 1, pixels // 2 + half_gap):
        assert _contrast(image.getpixel((x, pixels // 2)), grey) >= 3


def test_hidpi_icon_is_the_same_picture_at_twice_the_pixels():
    normal = draw_icon(Mode.PROMPTING, 0.3, 24)
    hidpi = draw_icon(Mode.PROMPTING, 0.3, 24, scale=2)
    assert hidpi.size == (48, 48)
    assert hidpi.getpixel(ring_point(48, 90)) == draw_icon(Mode.PROMPTING, 0.3, 48).getpixel(
        ring_point(48, 90)
    )
    assert close(normal.getpixel(ring_point(24, 60)), STATE_COLOURS[Mode.PROMPTING], RING_TOLERANCE)


@pytest.mark.parametrize(("size", "scale"), [(0, 1), (16, 0), (-4, 2)])
def test_nonsense_sizes_are_refused_with_a_clear_message(size, scale):
    with pytest.raises(ValueError, match="at least 1"):
        draw_icon(Mode.WORKING, 1.0, size, scale)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 8, 15])
@pytest.mark.parametrize("ring", [None, 0.0, 0.5, 1.0])
def test_tiny_icons_are_the_16px_picture_scaled_down(size, ring):
    # An xembed tray slot starts at 1x1: a tiny icon must be drawn, never raise.
    image = draw_icon(Mode.PROMPTING, ring, size)
    assert image.size == (size, size)
    assert image.mode == "RGBA"
    *rgb, alpha = image.getpixel((size // 2, size // 2))
    assert all(abs(p - c) <= 40 for p, c in zip(rgb, STATE_COLOURS[Mode.PROMPTING], strict=True))
    assert alpha >= 128, "the tiny icon is still a visible dot of the state colour"


@pytest.mark.parametrize(
    ("ring", "expected"),
    [
        (None, None),
        (math.nan, None),
        (1.0, 1.0),
        (0.0, 0.0),
        (0.5, 0.5),
        (0.5 + 1e-12, 0.5),
        (0.49, 0.5),
        (0.001, 1 / 24),
        (-0.3, 0.0),
        (1.7, 1.0),
    ],
)
def test_ring_step_examples(ring, expected):
    assert ring_step(ring) == expected


@given(st.floats(min_value=0.0, max_value=1.0))
def test_ring_step_rounds_up_to_a_24th_and_never_hides_time_left(ring):
    step = ring_step(ring)
    assert step is not None
    assert step * RING_STEPS == pytest.approx(round(step * RING_STEPS))
    assert ring - 1e-9 <= step < ring + 1 / RING_STEPS
    if ring > 1e-6:
        assert step > 0, "a sliver of ring stays until the break is really due"


def test_ring_step_limits_redraws_to_25_pictures():
    steps = {ring_step(i / 10_000) for i in range(10_001)}
    assert len(steps) == RING_STEPS + 1


def test_menu_model_imports_without_a_toolkit():
    code = (
        "import sys, posturebreak.frontends.desktop.menu\n"
        "print(sorted(m for m in ('pystray', 'PIL', 'tkinter') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
