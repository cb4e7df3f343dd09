"""The tray's My week item: render the week's chart with ``posturebreak report``, then open it.

The report runs in its own process so the tray never blocks on Pillow work, and the
picture opens in the system's image viewer. A failure is logged and shown as a notification
(the tray has no other place to say it), with the report's own one-line reason.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from posturebreak.core.policy_state import Context
from posturebreak.frontends.desktop.notify import NotifierPort, make_notifier
from posturebreak.frontends.desktop.opener import open_path
from posturebreak.paths import Paths

log = logging.getLogger("posturebreak.desktop")
FAILED = "My week could not be drawn"
TIMEOUT_S = 60


def show_week(
    p: Paths, _ctx: Context, env: Mapping[str, str], notifier: NotifierPort | None = None
) -> None:
    """Render this week's chart to the data directory and open it (on a helper thread).

    ``notifier`` says why when the chart cannot be drawn (by default one for ``env``'s desktop).
    """
    out = p.data_dir / "my-week.png"

    def work() -> None:
        reason = _draw(out, env)
        if reason is None:
            open_path(out)
            return
        log.warning("%s: %s", FAILED, reason)
        (notifier or make_notifier(env)).notify(FAILED, reason)

    threading.Thread(target=work, name="posturebreak-week", daemon=True).start()


def _draw(out: Path, env: Mapping[str, str]) -> str | None:
    """Run ``posturebreak report --week --out OUT``; ``None`` or why it failed, in one line."""
    argv = [sys.executable, "-m", "posturebreak", "report", "--week", "--out", str(out)]
    try:
        done = subprocess.run(
            argv, env=dict(env), capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return f"`posturebreak report` took longer than {TIMEOUT_S} s"
    except OSError as exc:
        return f"cannot run `posturebreak report`: {exc.strerror or exc}"
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()  # the CLI says what is wrong in its last line
    return lines[-1] if lines else f"`posturebreak report` exited with status {done.returncode}"
