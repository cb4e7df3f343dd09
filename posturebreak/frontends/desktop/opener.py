"""Opening a file with the desktop's default application."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("posturebreak.desktop")


def open_path(path: Path) -> None:
    """Open ``path`` with the desktop's default application (never raises)."""
    if sys.platform == "win32":
        argv = ["cmd", "/c", "start", "", str(path)]
    elif sys.platform == "darwin":
        argv = ["open", str(path)]
    else:
        argv = ["xdg-open", str(path)]
    try:
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.warning("cannot open %s: %s", path, exc)
