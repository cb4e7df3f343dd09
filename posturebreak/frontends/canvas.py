"""Pen and paper for the report: Pillow's ImageDraw in logical pixels at a HiDPI scale.

Every coordinate given to a ``Canvas`` is in logical pixels and multiplied by its ``scale``
when drawn, so a layout written once renders sharp at 2x. Pillow is imported inside the
functions, so importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Box:
    """A rectangle in logical pixels, ``y0`` at the top."""

    x0: float
    y0: float
    x1: float
    y1: float


def load_font(px: int, *, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (or Arial) at ``px`` device pixels; Pillow's own font if neither is there."""
    from PIL import ImageFont

    names = ("DejaVuSans-Bold.ttf",) if bold else ("DejaVuSans.ttf",)
    for name in (*names, "Arial Bold.ttf" if bold else "Arial.ttf", "arial.ttf"):
        with contextlib.suppress(OSError):  # not installed here: try the next one
            return ImageFont.truetype(name, px)
    return ImageFont.load_default(px)


class Canvas:
    """An RGB image of ``width`` x ``height`` logical pixels drawn at ``scale``."""

    def __init__(self, width: int, height: int, scale: int, paper: Colour) -> None:
        """A blank sheet of ``paper``."""
        from PIL import Image, ImageDraw

        self.scale = scale
        self.paper = paper
        self.image: Image.Image = Image.new("RGB", (width * scale, height * scale), paper)
        self.draw: ImageDraw.ImageDraw = ImageDraw.Draw(self.image)
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def font(
        self, size: int, *, bold: bool = False
    ) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        """The font at ``size`` logical pixels (loaded once)."""
        key = (size, bold)
        if key not in self._fonts:
            self._fonts[key] = load_font(size * self.scale, bold=bold)
        return self._fonts[key]

    def scaled(self, box: Box) -> tuple[int, int, int, int]:
        """``box`` in device pixels, inclusive, on whole pixels."""
        s = self.scale
        return (round(box.x0 * s), round(box.y0 * s), round(box.x1 * s) - 1, round(box.y1 * s) - 1)

    def rect(self, box: Box, fill: Colour) -> None:
        """A filled rectangle with integer edges (no anti-aliasing: neighbours meet seamlessly)."""
        self.draw.rectangle(self.scaled(box), fill=fill)

    def outline(self, box: Box, colour: Colour, width: float = 1) -> None:
        """A rectangle's outline."""
        self.draw.rectangle(self.scaled(box), outline=colour, width=round(width * self.scale))

    def line(self, points: Sequence[tuple[float, float]], fill: Colour, width: float = 1) -> None:
        """A polyline."""
        s = self.scale
        self.draw.line([(x * s, y * s) for x, y in points], fill=fill, width=round(width * s))

    def polygon(self, points: Sequence[tuple[float, float]], fill: Colour) -> None:
        """A filled polygon."""
        self.draw.polygon([(x * self.scale, y * self.scale) for x, y in points], fill=fill)

    def dot(self, centre: tuple[float, float], radius: float, fill: Colour) -> None:
        """A filled circle."""
        x, y = centre
        self.draw.ellipse(self.scaled(Box(x - radius, y - radius, x + radius, y + radius)), fill)

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        fill: Colour,
        *,
        bold: bool = False,
        anchor: str = "la",
    ) -> None:
        """``text`` at ``xy`` with Pillow's ``anchor`` (e.g. ``"rm"``: right, middle)."""
        s = self.scale
        font = self.font(size, bold=bold)
        self.draw.text((xy[0] * s, xy[1] * s), text, fill=fill, font=font, anchor=anchor)

    def text_width(self, text: str, size: int, *, bold: bool = False) -> float:
        """How wide ``text`` is, in logical pixels."""
        return self.draw.textlength(text, font=self.font(size, bold=bold)) / self.scale

    def vertical_text(
        self, centre: tuple[float, float], text: str, size: int, fill: Colour
    ) -> None:
        """``text`` turned to read bottom to top, centred on ``centre``."""
        from PIL import Image, ImageDraw

        font = self.font(size)
        left, top, right, bottom = font.getbbox(text)
        label = Image.new("RGB", (int(right - left) + 4, int(bottom - top) + 4), self.paper)
        ImageDraw.Draw(label).text((2 - left, 2 - top), text, fill=fill, font=font)
        turned = label.rotate(90, expand=True)
        x = round(centre[0] * self.scale - turned.width / 2)
        y = round(centre[1] * self.scale - turned.height / 2)
        self.image.paste(turned, (x, y))
