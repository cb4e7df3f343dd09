"""The first start's one message: where the app now lives and what comes next.

"posturebreak is in your tray — first break: stand at 09:30. Right-click for the menu." It is
said once, as a notification and a line in the terminal, after the app's first status (so the
break it names is the one the tray shows). A marker file in the data directory remembers that
it was said; a log that already holds events means the app ran before, so no welcome then.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from posturebreak.core.status_text import clock_time
from posturebreak.private import UnsafePathError, open_private

if TYPE_CHECKING:
    from posturebreak.core.effects import StatusView

log = logging.getLogger("posturebreak.frontends.welcome")

MARKER = "welcomed"
"""The file in the data directory whose presence means the welcome was said."""


class Home(enum.Enum):
    """Where the app shows itself, which decides how the welcome says to reach it."""

    TRAY_MENU = "tray-menu"  # a tray icon with a menu (right click)
    TRAY_CLICK = "tray-click"  # an icon whose click opens the controls window (xorg)
    TRAY_MAC = "tray-mac"  # the macOS menu bar: a plain click opens the menu
    NO_TRAY = "no-tray"  # windows and notifications, no icon
    CONSOLE = "console"  # this terminal


_WHERE = {
    Home.TRAY_MENU: ("posturebreak is in your tray", "Right-click it for the menu."),
    Home.TRAY_CLICK: ("posturebreak is in your tray", "Click it for the controls."),
    Home.TRAY_MAC: ("posturebreak is in your menu bar", "Click it for the menu."),
    Home.NO_TRAY: (
        "posturebreak is running without a tray icon",
        "Reminders come as windows; `posturebreak status` shows what is next.",
    ),
    Home.CONSOLE: ("Welcome to posturebreak", "Reminders appear in this terminal."),
}


def welcome_text(view: StatusView, home: Home) -> str:
    """The welcome for the first status ``view``, e.g. "... first break: stand at 09:30. ..."."""
    where, how = _WHERE[home]
    if view.next_kind is not None and view.next_at is not None:
        at = clock_time(view.next_at, view.now)
        nxt = f"first break: {view.next_kind.value} at {at}"
    else:
        nxt = "no breaks are scheduled (see `posturebreak plan`)"
    return f"{where} \N{EM DASH} {nxt}. {how}"


def first_start(data_dir: Path, *, log_is_empty: Callable[[], bool]) -> bool:
    """Whether this start is the first one: no marker yet and nothing in the log.

    ``log_is_empty`` is asked only when there is no marker: on every later start counting a
    years-long log would be start-up work for nothing.

    A log with events but no marker is an app from before the welcome existed: the marker is
    written at once so it is never greeted as new.
    """
    if os.path.lexists(data_dir / MARKER):  # a planted link counts: never written through
        return False
    if not log_is_empty():
        remember_welcomed(data_dir)
        return False
    return True


def remember_welcomed(data_dir: Path) -> None:
    """Write the marker (0600, never through a link); a failure only means a second welcome."""
    try:
        fd = open_private(data_dir / MARKER, os.O_WRONLY)
    except UnsafePathError as exc:
        log.warning("cannot remember that the welcome was shown: %s", exc)
        print(f"posturebreak: {exc}", file=sys.stderr)
        return
    except OSError as exc:
        log.warning("cannot remember that the welcome was shown: %s", exc)
        return
    os.close(fd)


class Welcome:
    """Says the welcome once, on the first status it is given.

    Args:
        say: shows the text (notification and/or terminal line); called on the engine thread
            from the front end's ``show_status``, so it must return at once.
        home: where the app shows itself.
        data_dir: where the marker goes.
    """

    def __init__(self, say: Callable[[str], None], home: Home, data_dir: Path) -> None:
        self._say: Callable[[str], None] | None = say
        self.home = home
        """Where the app shows itself; changed when the tray fails after the fact."""
        self._data_dir = data_dir

    def greet(self, view: StatusView) -> None:
        """Say the welcome for ``view`` if it was not said yet (engine thread)."""
        say, self._say = self._say, None
        if say is None:
            return
        try:
            say(welcome_text(view, self.home))
        except Exception as exc:  # noqa: BLE001  a welcome that failed must not stop the app
            log.warning("cannot show the welcome: %s", exc)
        remember_welcomed(self._data_dir)


def welcome_for(
    data_dir: Path, *, log_is_empty: Callable[[], bool], home: Home, say: Callable[[str], None]
) -> Welcome | None:
    """A :class:`Welcome` when this is the first start, else ``None``."""
    if not first_start(data_dir, log_is_empty=log_is_empty):
        return None
    return Welcome(say, home, data_dir)
