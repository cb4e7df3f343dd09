"""Windows: ``GetLastInputInfo`` through ctypes (no extra package)."""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from posturebreak.presence.idle import ProbeError


class _LastInputInfo(ctypes.Structure):
    _fields_ = (("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint))


def ticks_between(last_input: int, now: int) -> timedelta:
    """Idle time from two 32-bit millisecond tick counts (the counter wraps every 49.7 days)."""
    return timedelta(milliseconds=(now - last_input) & 0xFFFFFFFF)


class WindowsProbe:
    """Idle time of this session from ``user32.GetLastInputInfo``."""

    def __init__(self) -> None:
        # getattr: ``ctypes.windll`` exists on Windows only.
        windll: Any = getattr(ctypes, "windll", None)
        if windll is None:
            raise ProbeError("not Windows")
        self._user32: Any = windll.user32
        self._kernel32: Any = windll.kernel32

    @property
    def name(self) -> str:
        """``windows``."""
        return "windows"

    @property
    def notice(self) -> str:
        """Nothing to explain."""
        return ""

    def idle(self) -> timedelta | None:
        """Time since the last input in this session."""
        info = _LastInputInfo()
        info.cbSize = ctypes.sizeof(info)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            return None
        return ticks_between(info.dwTime, int(self._kernel32.GetTickCount()))

    def close(self) -> None:
        """Nothing to release."""


def open_probe(env: Mapping[str, str]) -> WindowsProbe:
    """The Windows probe; ``ProbeError`` elsewhere."""
    del env
    return WindowsProbe()
