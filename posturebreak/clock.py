"""Where time comes from. The only core-side module allowed to read the real clock.

The policy never asks for the time: the engine reads a ``Clock`` and passes ``now`` in.
Tests use a fake clock (``tests/fakes.py``) and run a simulated week in milliseconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """A source of wall and monotonic time. Called from the engine thread only."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (for detecting wall-clock changes)."""
        ...

    def boottime(self) -> float:
        """Like ``monotonic`` but also counting time the machine was suspended."""
        ...


class SystemClock:
    """The real clock.

    A suspend shows as ``boottime`` running on while ``monotonic`` stood still, so each
    platform pairs a clock that stops in a suspend with one that does not: Linux
    ``CLOCK_MONOTONIC`` / ``CLOCK_BOOTTIME``, macOS ``mach_absolute_time`` (Python's
    ``monotonic``) / ``CLOCK_MONOTONIC``, Windows unbiased / plain interrupt time.
    """

    def __init__(self) -> None:
        self._pair = _suspend_clocks()

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps and stops while the machine is suspended."""
        return self._pair[0]()

    def boottime(self) -> float:
        """Like ``monotonic`` but also counting time the machine was suspended."""
        return self._pair[1]()


def _suspend_clocks() -> tuple[Callable[[], float], Callable[[], float]]:
    """(stops in a suspend, runs on in a suspend) for this platform."""
    if sys.platform == "win32":
        return _windows_clocks()
    counting = "CLOCK_MONOTONIC" if sys.platform == "darwin" else "CLOCK_BOOTTIME"
    clock_id = getattr(time, counting, None)
    if clock_id is None:  # no clock that counts a suspend: none can be seen
        return time.monotonic, time.monotonic
    return time.monotonic, lambda: time.clock_gettime(clock_id)


def _windows_clocks() -> tuple[Callable[[], float], Callable[[], float]]:
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]  # Windows-only name
    unbiased = ctypes.c_ulonglong()

    def stops() -> float:
        # 100 ns units of interrupt time without the time spent asleep.
        kernel32.QueryUnbiasedInterruptTime(ctypes.byref(unbiased))
        return unbiased.value / 1e7

    kernel32.GetTickCount64.restype = ctypes.c_ulonglong

    def runs_on() -> float:
        return float(kernel32.GetTickCount64()) / 1000.0  # milliseconds, sleep included

    return stops, runs_on
