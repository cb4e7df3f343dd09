"""Is a camera or microphone in use? On Linux: a process holds its device node open.

The presence adapter treats that as a meeting. The scan reads ``/proc/PID/fd`` links, a few
milliseconds on a desktop, and runs only when a prompt is near (see ``presence.py``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

CAPTURE_DEVICES = ("/dev/video*", "/dev/snd/pcmC*D*c")
"""Cameras and ALSA capture (``c``) devices; playback devices (``p``) are not meetings."""


def capture_devices(patterns: Iterable[str] = CAPTURE_DEVICES) -> frozenset[str]:
    """The camera and capture device paths that exist now (glob ``patterns``)."""
    found: set[str] = set()
    for pattern in patterns:
        p = Path(pattern)
        found.update(str(x) for x in Path(p.anchor or ".").glob(str(p.relative_to(p.anchor))))
    return frozenset(found)


def capture_in_use(devices: frozenset[str], proc: Path = Path("/proc"), skip_pid: int = 0) -> bool:
    """Whether any process (other than ``skip_pid``) holds one of ``devices`` open.

    Reads the ``/proc/PID/fd`` links; processes we may not look into are passed over.
    """
    if not devices:
        return False
    try:
        pids = [e for e in os.scandir(proc) if e.name.isdigit() and e.name != str(skip_pid)]
    except OSError:
        return False
    for pid in pids:
        with contextlib.suppress(OSError), os.scandir(Path(pid.path) / "fd") as fds:
            for fd in fds:
                with contextlib.suppress(OSError):
                    if str(Path(fd.path).readlink()) in devices:
                        return True
    return False


class ProcCapture:
    """The Linux ``MeetingPort``: a process other than ours holds a camera or capture device.

    One thread at a time (the presence adapter serialises its callers).
    """

    def __init__(
        self,
        patterns: Iterable[str] = CAPTURE_DEVICES,
        proc: Path = Path("/proc"),
        skip_pid: int | None = None,
    ) -> None:
        self._patterns = tuple(patterns)
        self._proc = proc
        self._skip = os.getpid() if skip_pid is None else skip_pid

    def in_use(self) -> bool:
        """Whether a camera or microphone is in use now."""
        return capture_in_use(capture_devices(self._patterns), self._proc, skip_pid=self._skip)

    def close(self) -> None:
        """Nothing to release."""
