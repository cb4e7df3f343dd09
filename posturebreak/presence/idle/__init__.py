"""Idle time: how long since the person last touched the keyboard or mouse.

One module per platform (``x11``, ``gnome``, ``kde``, ``windows``, ``macos``), each with an
``open_probe(env)`` that returns a working :class:`IdleProbe` or raises
:class:`ProbeError` saying why. :func:`make_probe` picks the first that works for this
session (or the one the config names) and falls back to the ``null`` probe, whose ``notice``
is the one line ``status`` shows. The toolkits (python-xlib, jeepney, ctypes) are imported
inside the platform modules, so importing this package needs none of them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from posturebreak.core.settings import IdleProbeName

__all__ = ["IdleProbe", "ProbeError", "candidates", "make_probe"]


class ProbeError(Exception):
    """This idle source does not work here; the message says why, in a few words."""


class IdleProbe(Protocol):
    """A source of idle time.

    Not thread-safe: one thread at a time (the presence adapter serialises its callers).
    """

    @property
    def name(self) -> str:
        """Which source this is (``x11``, ``gnome``, ..., ``none``)."""
        ...

    @property
    def notice(self) -> str:
        """A one-line explanation when idle time is unknown, else ``""``."""
        ...

    def idle(self) -> timedelta | None:
        """Time since the last input, or ``None`` when it cannot be read right now."""
        ...

    def close(self) -> None:
        """Release the connection (display, bus); idempotent."""
        ...


def _desktop(env: Mapping[str, str]) -> str:
    keys = ("XDG_CURRENT_DESKTOP", "XDG_SESSION_DESKTOP", "DESKTOP_SESSION")
    return ":".join(env.get(key, "") for key in keys).lower()


def candidates(
    setting: IdleProbeName, env: Mapping[str, str], platform: str = sys.platform
) -> tuple[IdleProbeName, ...]:
    """The probes to try, best first, for this setting, session and platform. Pure.

    Under Wayland the X11 value only sees XWayland clients (someone typing in a native window
    would look idle and be counted away), so X11 is never chosen automatically there.
    """
    if setting is IdleProbeName.NONE:
        return ()
    if setting is not IdleProbeName.AUTO:
        return (setting,)
    if platform == "win32":
        return (IdleProbeName.WINDOWS,)
    if platform == "darwin":
        return (IdleProbeName.MACOS,)
    desktop = _desktop(env)
    dbus = [IdleProbeName.GNOME, IdleProbeName.KDE]
    if "kde" in desktop or "plasma" in desktop:
        dbus.reverse()
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE") == "wayland"
    if wayland:
        return tuple(dbus)
    if env.get("DISPLAY"):
        return (IdleProbeName.X11, *dbus)
    return ()


def _why_none(setting: IdleProbeName, env: Mapping[str, str], platform: str) -> str:
    if setting is IdleProbeName.NONE:
        return "turned off in the config ([idle] probe = none)"
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE") == "wayland"
    if wayland:
        return "this Wayland desktop offers no idle time we can read"
    if platform not in {"win32", "darwin"}:
        return "no graphical session (no DISPLAY)"
    return "no idle source for this platform"


def make_probe(
    setting: IdleProbeName, env: Mapping[str, str], platform: str = sys.platform
) -> IdleProbe:
    """The first idle probe that works here, or a null probe whose ``notice`` says why not."""
    from posturebreak.presence.idle.null import NullProbe

    tried: list[str] = []
    for name in candidates(setting, env, platform):
        module = importlib.import_module(f"posturebreak.presence.idle.{name.value}")
        try:
            probe: IdleProbe = module.open_probe(env)
        except ProbeError as exc:
            tried.append(f"{name.value}: {exc}")
            continue
        if probe.idle() is None:
            probe.close()
            tried.append(f"{name.value}: no answer")
            continue
        return probe
    why = "; ".join(tried) if tried else _why_none(setting, env, platform)
    return NullProbe(
        f"Idle time unknown ({why}), so breaks taken away from the desk are not noticed."
    )
