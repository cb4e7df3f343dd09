"""Wake-ups per minute of the presence watcher thread, on a real X server.

Usage: DISPLAY=:N python benchmarks/presence_wakeups.py [SECONDS]

Two scenarios, each SECONDS long (default 60), next break 30 min away, default settings
(away after 3 min): "away" (nobody touches the desk) and "at the desk" (xdotool moves the
mouse every 2 s, like someone working). A wake-up is a voluntary context switch of the
watcher thread (/proc/self/task/TID/status); "looks" counts its samples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from posturebreak.presence import make_presence
from posturebreak.settings import Settings


def switches(tid: int) -> int:
    for line in Path(f"/proc/self/task/{tid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches"):
            return int(line.split()[1])
    raise RuntimeError("no context switch count")


def run(seconds: float, *, typing: bool) -> tuple[float, float]:
    wakes: list[str] = []
    presence = make_presence(Settings(), os.environ, wakes.append)
    due = datetime.now(timezone.utc) + timedelta(minutes=30)
    mover = None
    if typing:
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


def main() -> int:
    if not os.environ.get("DISPLAY"):
        print("needs DISPLAY (an X server, e.g. Xvfb)")
        return 1
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    print(f"probe: {make_presence(Settings(), os.environ, print).probe_name}")
    for name, typing in (("at the desk", True), ("away", False)):
        wakes, looks = run(seconds, typing=typing)
        print(f"{name:12s}: {wakes:.2f} wake-ups/min, {looks:.2f} looks/min over {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
