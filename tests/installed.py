"""The ``posturebreak`` console script as a user has it installed, run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The console script the install put next to this interpreter (.venv/bin/posturebreak).
SCRIPT = Path(sys.executable).with_name("posturebreak.exe" if os.name == "nt" else "posturebreak")


def env_for(home: Path, *, editor: str | None = None) -> dict[str, str]:
    """This environment with its own data dir and no desktop: nothing reaches a real app.

    Berlin time, so the seeded days are the same days everywhere; ``XDG_CONFIG_HOME`` under
    ``home`` so ``autostart status`` looks at no real login entry.
    """
    env = dict(
        os.environ,
        POSTUREBREAK_HOME=str(home),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        TZ="Europe/Berlin",
        PYTHONUNBUFFERED="1",
    )
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "VISUAL", "EDITOR"):
        env.pop(name, None)
    if editor is not None:
        env["EDITOR"] = editor
    return env


def posturebreak(
    home: Path, *argv: str, timeout: float = 60, editor: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``posturebreak ARGV...`` with ``POSTUREBREAK_HOME=home``."""
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: install the package (make run does)"
    return subprocess.run(
        [str(SCRIPT), *argv],
        env=env_for(home, editor=editor),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
