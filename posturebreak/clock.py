"""Where time comes from. The only core-side module allowed to read the real clock.

The policy never asks for the time: the engine reads a ``Clock`` and passes ``now`` in.
Tests use a fake clock (``tests/fakes.py``) and run a simulated week in milliseconds.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
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
    """The real clock."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def boottime(self) -> float:
        """``CLOCK_BOOTTIME`` on Linux (counts suspend); ``monotonic`` elsewhere."""
        boot = getattr(time, "CLOCK_BOOTTIME", None)
        if boot is None:
            return time.monotonic()
        return time.clock_gettime(boot)


def local_today() -> date:
    """Today's date in the system's time zone (for commands that default to "today")."""
    return SystemClock().now().astimezone().date()
