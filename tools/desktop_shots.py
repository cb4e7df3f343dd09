"""Screenshots of the real app for the README, from the default config.

Usage (from the repository root, with `make test`'s .venv and the CI system packages):

    .venv/bin/python tools/desktop_shots.py

It starts its own Xvfb, a private session bus, dunst and trayer (all stopped again, by PID),
runs the installed `posturebreak run` on the gtk tray backend (the one with a tooltip under
trayer) with the default config, in which only the stand interval is shortened so a prompt
comes within a minute (every length, snooze choice and text the shots show is the default), and
writes docs/tooltip.png (the pointer resting on the icon) and docs/desktop.png (the break
window over the desktop with the tray icon).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posturebreak.config_text import settings_to_text  # noqa: E402  after the path insert
from posturebreak.core.settings import Settings  # noqa: E402
from tests.desktop_rig import App, desktop, icon_window, sh, wait_for  # noqa: E402

# Only what a shot cannot show differs from the defaults: the stand comes 75 s after start
# (the heads-up 30 s before it, as by default), every day, all day, and the app shows itself
# on the gtk backend.
OVERRIDES = {
    'hours = ["09:00-12:30", "13:30-17:30"]': 'hours = ["00:00-24:00"]',
    'workdays = ["mon", "tue", "wed", "thu", "fri"]': (
        'workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'
    ),
    'every = "30m"': 'every = "75s"',
    'backend = "auto"': 'backend = "gtk"',
    'probe = "auto"': 'probe = "none"',
}


def default_config() -> str:
    text = settings_to_text(Settings())
    for old, new in OVERRIDES.items():
        if old not in text:
            raise SystemExit(f"the default config no longer has {old!r}: update OVERRIDES")
        text = text.replace(old, new, 1)
    return text


def start_xvfb() -> subprocess.Popen[bytes]:
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        os.environ["DISPLAY"] = f":{pipe.readline().strip()}"
    return proc


def shoot(name: str, crop: str | None = None) -> None:
    out = REPO / "docs" / name
    sh("import", "-window", "root", *(("-crop", crop, "+repage") if crop else ()), str(out))
    print(f"wrote {out}")


def main() -> int:
    for tool in ("Xvfb", "import", "trayer", "dunst", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run .ci/run's apt-get line first")
    xvfb = start_xvfb()
    try:
        with tempfile.TemporaryDirectory() as tmp, desktop(Path(tmp)) as rig:
            rig.env["DISPLAY"] = os.environ["DISPLAY"]
            home = Path(rig.env["POSTUREBREAK_HOME"])
            home.mkdir(parents=True)
            (home / "welcomed").touch()  # the welcome bubble is not what these shots show
            rig.start_trayer()
            app = App(rig, default_config())
            window = icon_window()
            # GTK shows the tooltip once the pointer moves onto the icon and rests there.
            for x in (4, 8, 12):
                sh("xdotool", "mousemove", "--window", window, str(x), "10")
                time.sleep(0.2)
            time.sleep(2.5)
            shoot("tooltip.png", "300x90+980+0")
            sh("xdotool", "mousemove", "640", "700")
            wait_for(lambda: app.status().get("state") == "prompting", "the prompt", 120)
            app.wait_for_layout("prompt")
            time.sleep(0.5)
            shoot("desktop.png")
            app.quit()
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
