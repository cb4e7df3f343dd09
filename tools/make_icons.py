"""Draw the application icons (and the docs' strip of tray states) from the tray icon's code.

Run from the repository root after changing posturebreak/desktop/icon.py:

    .venv/bin/python tools/make_icons.py

Writes assets/icons/posturebreak-{16..512}.png, posturebreak.ico, posturebreak.icns and
docs/icon-states.png. The app icon is the tray icon in its calm "working" state with a full
ring, so the launcher, the window and the tray all look like the same thing.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402  (after the path fix, so the script runs from a checkout)

from posturebreak.core.domain import Mode  # noqa: E402  (same reason)
from posturebreak.frontends.desktop.icon import draw_icon  # noqa: E402  (same reason)

PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def app_icon(size: int) -> Image.Image:
    """The application icon at ``size`` pixels."""
    return draw_icon(Mode.WORKING, 1.0, size)


def write_icons(folder: Path) -> list[Path]:
    """Write every PNG size plus the .ico and .icns bundles into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in PNG_SIZES:
        path = folder / f"posturebreak-{size}.png"
        app_icon(size).save(path, optimize=True)
        written.append(path)
    # Hand each size its own drawing; letting Pillow shrink one big image blurs the small ones.
    ico = [app_icon(size) for size in ICO_SIZES]
    ico_path = folder / "posturebreak.ico"
    ico[-1].save(ico_path, sizes=[(s, s) for s in ICO_SIZES], append_images=ico[:-1])
    icns = [app_icon(size) for size in ICNS_SIZES]
    icns_path = folder / "posturebreak.icns"
    icns[-1].save(icns_path, append_images=icns[:-1])
    return [*written, ico_path, icns_path]


def write_state_strip(path: Path, size: int = 48) -> Path:
    """Every mode (columns) at a few ring fillings (rows), on a dark and a light panel."""
    pad = size // 3
    rings = (1.0, 0.5, 0.0, None)
    modes = list(Mode)
    label_height = 14
    width = len(modes) * (size + pad) + pad
    panel_height = len(rings) * (size + pad) + pad
    strip = Image.new("RGBA", (width, label_height + 2 * panel_height), (255, 255, 255, 255))
    draw = ImageDraw.Draw(strip)
    for column, mode in enumerate(modes):
        draw.text((pad + column * (size + pad), 2), mode.value, fill=(0, 0, 0, 255))
    for panel, background in enumerate(((40, 40, 40, 255), (235, 235, 235, 255))):
        top = label_height + panel * panel_height
        draw.rectangle((0, top, width, top + panel_height - 1), fill=background)
        for row, ring in enumerate(rings):
            for column, mode in enumerate(modes):
                strip.alpha_composite(
                    draw_icon(mode, ring, size),
                    (pad + column * (size + pad), top + pad + row * (size + pad)),
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    strip.save(path, optimize=True)
    return path


def main() -> int:
    """Write all icons; print what was written."""
    for path in write_icons(ROOT / "assets" / "icons"):
        print(path.relative_to(ROOT))
    print(write_state_strip(ROOT / "docs" / "icon-states.png").relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
