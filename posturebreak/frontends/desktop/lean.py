"""Keep the tray process light: mark libraries it never uses absent before anything loads them.

The tray process runs all day, so every shared library it maps is paid for all day. Measured
with ``benchmarks/footprint.py`` (PSS, Xvfb):

- ``ssl``: PyGObject and APScheduler import asyncio, which imports ``ssl`` only to offer TLS
  streams; that maps libssl and libcrypto (about 4 MB) into an app that never opens a
  network connection. asyncio is written to work without ssl: it catches the ImportError.
- ``PIL._imagingft``: ``PIL.ImageDraw`` imports ``PIL.ImageFont``, which loads Pillow's
  FreeType binding and with it libfreetype, HarfBuzz and friends (about 1.3 MB). The tray
  icon is shapes only; text is drawn by ``posturebreak report`` and the break window, both
  separate processes. Pillow supports being built without FreeType: ImageFont then imports
  fine and only an attempt to render text raises the original ImportError.

Programs we start are separate processes and keep both.
"""

from __future__ import annotations

import sys

UNUSED_IN_TRAY = ("ssl", "PIL._imagingft")
"""Modules the tray process never needs (see the module docstring for what each costs)."""


def shed_unused() -> None:
    """Mark :data:`UNUSED_IN_TRAY` absent: main thread, before the tray's imports.

    A module that is already loaded is left alone (marking it absent would not unmap it, and
    its users already hold it).
    """
    for name in UNUSED_IN_TRAY:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # None blocks an import, by design
