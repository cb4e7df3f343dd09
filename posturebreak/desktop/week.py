"""The tray's My week item: render the week's chart with ``posturebreak report``, then open it.

The report runs in its own process so the tray never blocks on Pillow work, and the
picture opens in the system's image viewer.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Mapping

from posturebreak.desktop.launch import open_path
from posturebreak.paths import Paths
from posturebreak.policy_state import Context

log = logging.getLogger("posturebreak.desktop")


def show_week(p: Paths, _ctx: Context, env: Mapping[str, str]) -> None:
    """Render this week's chart to the data directory and open it (on a helper thread)."""
    out = p.data_dir / "my-week.png"

    def work() -> None:
        argv = [sys.executable, "-m", "posturebreak", "report", "--week", "--out", str(out)]
        try:
            done = subprocess.run(
                argv, env=dict(env), capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("cannot draw the week chart: %s", exc)
            return
        if done.returncode != 0:
            log.warning("cannot draw the week chart: %s", done.stderr.strip())
            return
        open_path(out)

    threading.Thread(target=work, name="posturebreak-week", daemon=True).start()
