"""Get GTK ready for a tray icon in a process that runs all day: named, and kept light.

Measured with ``benchmarks/footprint.py`` (Xvfb, the gtk backend): GTK 3 probes OpenGL as it
opens the display, which maps Mesa's llvmpipe (libLLVM) into the process, about 34 MB PSS for
an icon and a menu that never draw with GL. (Libraries the tray never uses at all are kept
out by :mod:`posturebreak.frontends.desktop.lean`.)
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, MutableMapping
from typing import Any

from posturebreak.paths import APP_NAME

log = logging.getLogger("posturebreak.tray")


@contextlib.contextmanager
def gtk_prepared(env: MutableMapping[str, str] = os.environ) -> Iterator[None]:
    """Around the first import of GTK (pystray's gtk/appindicator backend): main thread.

    - ``GDK_GL=disable`` while GTK starts (it reads the variable once, then), unless the
      user set it; removed again afterwards so programs we start (an editor) are untouched.
    - The program named ``posturebreak`` (see :func:`name_program`).
    """
    ours = "GDK_GL" not in env
    if ours:
        env["GDK_GL"] = "disable"
    try:
        name_program()
        yield
    finally:
        if ours:
            env.pop("GDK_GL", None)


def name_program() -> None:
    """Name the program before GTK starts, so its windows are of class ``posturebreak``.

    GTK otherwise takes the script name (``__main__.py``), which window rules, docks and
    tests cannot match.
    """
    try:
        from gi.repository import GLib

        GLib.set_prgname(APP_NAME)
    except (ImportError, ValueError) as exc:
        log.debug("cannot name the GTK program: %s", exc)


def show_title_as_tooltip(icon: Any) -> None:  # noqa: ANN401  pystray's icon is untyped
    """Make the gtk backend's icon show its title as the tooltip ("Stand in 12 min").

    pystray's gtk backend only sets the status icon's *title*, which no tray shows. The tooltip
    is asked for when the pointer rests on the icon (on GTK's thread) and reads the title then,
    so it is as current as the title itself and needs no redraw of its own.
    """
    status = getattr(icon, "_status_icon", None)
    if status is None:
        return

    def on_query(_status: Any, _x: int, _y: int, _keyboard: bool, tooltip: Any) -> bool:  # noqa: ANN401  GTK calls it so
        tooltip.set_text(icon.title)
        return True

    status.set_has_tooltip(True)
    status.connect("query-tooltip", on_query)
