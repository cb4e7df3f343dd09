"""KDE Plasma (X11 and Wayland): ``org.freedesktop.ScreenSaver.GetSessionIdleTime`` over D-Bus.

The same service's ``ActiveChanged`` signal (the screen locked or unlocked) reaches the
presence watcher through :mod:`posturebreak.presence.idle.dbus_watch`, whatever the probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from posturebreak.presence.idle import ProbeError
from posturebreak.presence.idle.dbus import Bus

DEST = "org.freedesktop.ScreenSaver"
PATH = "/ScreenSaver"


class KdeProbe:
    """Idle time from KDE's screen saver service (milliseconds)."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    @property
    def name(self) -> str:
        """``kde``."""
        return "kde"

    @property
    def notice(self) -> str:
        """Nothing to explain."""
        return ""

    def idle(self) -> timedelta | None:
        """Time since the last input, as KIdleTime counts it."""
        body = self._bus.try_call(DEST, PATH, DEST, "GetSessionIdleTime")
        if not body or not isinstance(body[0], int):
            return None
        return timedelta(milliseconds=body[0])

    def close(self) -> None:
        """Close the bus connection."""
        self._bus.close()


def open_probe(env: Mapping[str, str]) -> KdeProbe:
    """The KDE probe on the session bus; ``ProbeError`` when the service is missing."""
    del env  # jeepney finds the session bus from the process environment itself
    probe = KdeProbe(Bus("SESSION"))
    if probe.idle() is None:
        probe.close()
        raise ProbeError("no KDE screen saver service on the session bus")
    return probe
