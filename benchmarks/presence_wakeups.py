"""Wake-ups per minute of the presence watcher thread, on a real X server.

Usage: DISPLAY=:N python benchmarks/presence_wakeups.py [SECONDS]
       python benchmarks/presence_wakeups.py [SECONDS] --gnome

Two scenarios, each SECONDS long (default 60), next break 30 min away, default settings
(away after 3 min): "away" (nobody touches the desk) and "at the desk" (xdotool moves the
mouse every 2 s, like someone working). A wake-up is a voluntary context switch of the
watcher thread (/proc/self/task/TID/status); "looks" counts its samples.

``--gnome``: the GNOME probe on private buses with dbusmock (tests/dbus_rig.py): logind
lock signals on the "system" bus, Mutter's idle monitor (idle 0 / 10 min) and its watches on
the session bus; no X server needed. Run from the repository root (PYTHONPATH=.).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from posturebreak.core.settings import IdleProbeName, IdleSettings, Settings
from posturebreak.presence.sensor import make_presence


def switches(tid: int) -> int:
    for line in Path(f"/proc/self/task/{tid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches"):
            return int(line.split()[1])
    raise RuntimeError("no context switch count")


def run(
    seconds: float, *, typing: bool, settings: Settings, idle: Callable[[bool], None] | None
) -> tuple[float, float]:
    wakes: list[str] = []
    if idle is not None:
        idle(typing)
    presence = make_presence(settings, os.environ, wakes.append)
    due = datetime.now(timezone.utc) + timedelta(minutes=30)
    mover = None
    if typing and idle is None:
        mover = subprocess.Popen(
            ["sh", "-c", "while true; do xdotool mousemove_relative 1 1; sleep 2; done"]
        )
    try:
        presence.start(lambda: due)
        watcher = presence.watcher
        assert watcher is not None
        time.sleep(1)
        tid = next(t.native_id for t in threading.enumerate() if t.name == "presence")
        assert tid is not None
        s0, l0 = switches(tid), watcher.samples
        time.sleep(seconds)
        s1, l1 = switches(tid), watcher.samples
    finally:
        if mover is not None:
            mover.kill()
            mover.wait()
        presence.close()
    per_min = 60.0 / seconds
    return (s1 - s0) * per_min, (l1 - l0) * per_min


@contextlib.contextmanager
def gnome_desk() -> Iterator[Callable[[bool], None]]:
    """Private buses with logind and Mutter mocks; yields "set typing or away"."""
    import pytest

    from tests.dbus_rig import desk

    with (
        tempfile.TemporaryDirectory() as tmp,
        pytest.MonkeyPatch.context() as mp,
        desk(Path(tmp), mp) as rig,
    ):
        rig.start_mutter()
        yield lambda typing: rig.set_idle_ms(0 if typing else 600_000)


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    gnome = "--gnome" in sys.argv
    if not gnome and not os.environ.get("DISPLAY"):
        print("needs DISPLAY (an X server, e.g. Xvfb), or --gnome")
        return 1
    seconds = float(args[0]) if args else 60.0
    settings = Settings()
    if gnome:
        settings = replace(settings, idle=IdleSettings(probe=IdleProbeName.GNOME))
    with gnome_desk() if gnome else contextlib.nullcontext() as idle:
        presence = make_presence(settings, os.environ, print)
        print(f"probe: {presence.probe_name}")
        presence.close()
        for name, typing in (("at the desk", True), ("away", False)):
            wakes, looks = run(seconds, typing=typing, settings=settings, idle=idle)
            print(
                f"{name:12s}: {wakes:.2f} wake-ups/min, {looks:.2f} looks/min over {seconds:.0f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
