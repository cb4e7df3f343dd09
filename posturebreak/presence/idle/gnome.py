"""GNOME (Mutter, also on Wayland): ``org.gnome.Mutter.IdleMonitor.GetIdletime`` over D-Bus.

With this probe in use, the presence watcher also asks Mutter for ``AddIdleWatch`` (the person
left) and ``AddUserActiveWatch`` (they are back) signals instead of sampling for them; see
:mod:`posturebreak.presence.idle.dbus_watch`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from posturebreak.presence.idle import ProbeError
from posturebreak.presence.idle.dbus import Bus

DEST = "org.gnome.Mutter.IdleMonitor"
PATH = "/org/gnome/Mutter/IdleMonitor/Core"


class GnomeProbe:
    """Idle time from Mutter's idle monitor."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    @property
    def name(self) -> str:
        """``gnome``."""
        return "gnome"

    @property
    def notice(self) -> str:
        """Nothing to explain."""
        return ""

    def idle(self) -> timedelta | None:
        """Milliseconds since the last input, as Mutter counts them."""
        body = self._bus.try_call(DEST, PATH, DEST, "GetIdletime")
        if not body or not isinstance(body[0], int):
            return None
        return timedelta(milliseconds=body[0])

    def close(self) -> None:
        """Close the bus connection."""
        self._bus.close()


def open_probe(env: Mapping[str, str]) -> GnomeProbe:
    """The GNOME probe on the session bus; ``ProbeError`` when there is no Mutter."""
    del env  # jeepney finds the session bus from the process environment itself
    probe = GnomeProbe(Bus("SESSION"))
    if probe.idle() is None:
        probe.close()
        raise ProbeError("no GNOME idle monitor on the session bus")
    return probe
