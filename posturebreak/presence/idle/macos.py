"""macOS: the HID system's ``HIDIdleTime`` (nanoseconds), read with ``ioreg``.

``ioreg`` ships with every macOS and needs no compiled binding; one call takes a few
milliseconds, and the presence watcher samples rarely.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from datetime import timedelta

from posturebreak.presence.idle import ProbeError

_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')
IOREG = ("/usr/sbin/ioreg", "-c", "IOHIDSystem", "-d", "4")


def parse_ioreg(text: str) -> timedelta | None:
    """The first ``HIDIdleTime`` in ``ioreg`` output (ns), or ``None``. Pure."""
    match = _IDLE.search(text)
    if match is None:
        return None
    return timedelta(microseconds=int(match.group(1)) // 1000)


class MacProbe:
    """Idle time from ``ioreg -c IOHIDSystem``."""

    def __init__(self, argv: tuple[str, ...] = IOREG) -> None:
        self._argv = argv

    @property
    def name(self) -> str:
        """``macos``."""
        return "macos"

    @property
    def notice(self) -> str:
        """Nothing to explain."""
        return ""

    def idle(self) -> timedelta | None:
        """Time since the last input, or ``None`` when ``ioreg`` fails."""
        try:
            out = subprocess.run(
                self._argv, capture_output=True, text=True, timeout=2, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return parse_ioreg(out)

    def close(self) -> None:
        """Nothing to release."""


def open_probe(env: Mapping[str, str]) -> MacProbe:
    """The macOS probe; ``ProbeError`` when ``ioreg`` gives no idle time."""
    del env
    probe = MacProbe()
    if probe.idle() is None:
        raise ProbeError("ioreg reports no HIDIdleTime")
    return probe
