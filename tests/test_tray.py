"""The tray: backend choice (pure), the controls window protocol, and real trays under Xvfb.

The real tests run the tray in a child process (pystray's loop wants a main thread and picks
its backend once per process), dock it in trayer and drive it with xdotool. Screenshots go
to docs/ only with POSTUREBREAK_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from posturebreak.core.commands import PauseFor, Skip, TakeBreak
from posturebreak.core.domain import BreakKind
from posturebreak.core.settings import TrayBackend
from posturebreak.frontends.desktop.controls import ControlsLauncher, menu_to_json
from posturebreak.frontends.desktop.menu import AppAction, build_menu
from posturebreak.frontends.desktop.tray import TrayError, choose_backend, resolve_backend
from tests.test_frontend import view

REPO = Path(__file__).resolve().parents[1]
DURATIONS = {k: timedelta(minutes=m) for k, m in zip(BreakKind, (1, 3, 5), strict=True)}
X = {"DISPLAY": ":0"}

# --- backend choice (pure) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "env", "platform", "expected"),
    [
        (TrayBackend.AUTO, X, "linux", ["appindicator", "gtk", "xorg"]),
        (TrayBackend.AUTO, {"WAYLAND_DISPLAY": "wayland-0"}, "linux", ["appindicator", "gtk"]),
        (TrayBackend.GTK, X, "linux", ["gtk"]),
        (TrayBackend.XORG, X, "freebsd14", ["xorg"]),
        (TrayBackend.APPINDICATOR, X, "linux", ["appindicator"]),
        (TrayBackend.NONE, X, "linux", []),
        (TrayBackend.AUTO, {}, "win32", []),
        (TrayBackend.XORG, {}, "darwin", []),
    ],
)
def test_choose_backend(setting, env, platform, expected):
    assert choose_backend(setting, env, platform) == expected


def test_resolve_takes_the_first_backend_that_works():
    assert resolve_backend(TrayBackend.AUTO, X, "linux", lambda n: n != "appindicator") == "gtk"
    assert resolve_backend(TrayBackend.AUTO, {}, "win32", lambda _n: False) is None


def test_resolve_explains_what_is_missing():
    with pytest.raises(TrayError, match="PyGObject"):
        resolve_backend(TrayBackend.AUTO, X, "linux", lambda _n: False)
    with pytest.raises(TrayError, match="no display"):
        resolve_backend(TrayBackend.AUTO, {}, "linux", lambda _n: False)
    with pytest.raises(TrayError, match="turned off"):
        resolve_backend(TrayBackend.NONE, X, "linux", lambda _n: True)


def test_the_controls_menu_carries_ids_that_map_back_to_actions():
    entries = build_menu(view(), autostart=True, durations=DURATIONS)
    line, table = menu_to_json(entries)
    data = json.loads(line)
    assert data["entries"][0] == {
        "type": "item",
        "label": "Walk in 12 min",
        "id": None,
        "enabled": False,
        "checked": None,
    }
    take = next(e for e in data["entries"] if e.get("label") == "Take a break now")
    walk = take["items"][-1]
    assert walk["label"] == "Walk (5 min)"
    assert table[walk["id"]] == TakeBreak(BreakKind.WALK)
    login = next(e for e in data["entries"] if e.get("label") == "Start at login")
    assert login["checked"] is True
    assert table[login["id"]] is AppAction.TOGGLE_AUTOSTART
    assert AppAction.QUIT in table.values()


# --- real trays (gui) -----------------------------------------------------------------

CHILD = """
import json, signal, sys
from datetime import timedelta
from posturebreak.frontends.desktop.tray import Tray
from posturebreak.core.domain import BreakKind
from tests.test_frontend import view

def dispatch(action):
    print(json.dumps({"action": repr(action)}), flush=True)

tray = Tray(dispatch, {k: timedelta(minutes=5) for k in BreakKind}, lambda: False, sys.argv[1])
tray.update(view())
signal.signal(signal.SIGTERM, lambda *_: tray.stop())
tray.run(lambda: print(json.dumps({"ready": True}), flush=True))
"""


def run(*args: str, check: bool = True) -> str:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=20, check=False)
    assert not check or done.returncode == 0, f"{' '.join(args)}: {done.stderr.strip()}"
    return done.stdout


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(predicate, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def screenshot(name: str, crop: str | None = None) -> None:
    if os.environ.get("POSTUREBREAK_SCREENSHOTS") != "1":
        return
    out = REPO / "docs" / name
    out.parent.mkdir(exist_ok=True)
    run("import", "-window", "root", *(("-crop", crop, "+repage") if crop else ()), str(out))


class TrayChild:
    """The tray running in a child process; its dispatched actions arrive on a queue."""

    def __init__(self, backend: str, env: dict[str, str]) -> None:
        self.lines: queue.Queue[dict[str, object]] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, backend],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next_line() == {"ready": True}

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def next_line(self) -> dict[str, object]:
        try:
            return self.lines.get(timeout=15)
        except queue.Empty:
            stop(self.proc)
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the tray said nothing; stderr:\n{err}") from None

    def icon_window(self) -> str:
        """The docked icon: the visible posturebreak window inside the tray's strip."""

        def find() -> str | None:
            found = run(
                "xdotool", "search", "--onlyvisible", "--classname", "posturebreak", check=False
            )
            for window in found.split():
                shape = run("xdotool", "getwindowgeometry", "--shell", window, check=False)
                size = dict(line.split("=", 1) for line in shape.split())
                # Docked means the tray gave it a real slot (it starts as a 1x1 window).
                if int(size.get("WIDTH", 0)) >= 16 and int(size.get("Y", 99)) < 32:
                    return window
            return None

        return wait_for(find, "the icon to dock in the tray")


@pytest.fixture
def desktop(tmp_path, monkeypatch) -> Iterator[dict[str, str]]:
    """trayer on the Xvfb display and a private session bus; stopped again by PID."""
    for tool in ("trayer", "xdotool", "dbus-daemon"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (see TESTING.md for the apt packages)")
    if not os.environ.get("DISPLAY"):
        pytest.skip("no display: Xvfb is missing (apt-get install xvfb)")
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))
    env = {**os.environ, "NO_AT_BRIDGE": "1", "POSTUREBREAK_HOME": str(tmp_path)}
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert bus.stdout is not None
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    trayer_log = tmp_path / "trayer.log"

    def start_trayer() -> subprocess.Popen[bytes]:
        with trayer_log.open("ab") as log:
            return subprocess.Popen(
                [
                    "trayer",
                    "--edge",
                    "top",
                    "--align",
                    "right",
                    "--widthtype",
                    "request",
                    "--height",
                    "32",
                    "--transparent",
                    "false",
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )

    def docked() -> bool:
        return bool(run("xdotool", "search", "--classname", "trayer", check=False).strip())

    # trayer sometimes dies at start while the X server still holds the tray selection of the
    # one the previous test stopped: start it again rather than fail on the rig.
    trayer = start_trayer()
    try:
        for _attempt in range(3):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and trayer.poll() is None and not docked():
                time.sleep(0.05)
            if docked():
                break
            stop(trayer)
            time.sleep(0.5)
            trayer = start_trayer()
        else:
            raise AssertionError(f"trayer did not start: {trayer_log.read_text()}")
        yield env
    finally:
        stop(trayer)
        bus.terminate()
        bus.wait(5)


@pytest.mark.gui
def test_the_xorg_tray_docks_and_a_click_opens_the_controls(desktop):
    tray = TrayChild("xorg", desktop)
    try:
        window = tray.icon_window()
        if os.environ.get("POSTUREBREAK_SCREENSHOTS") == "1":
            time.sleep(0.5)  # docking maps the window before its first expose paints it
        screenshot("tray.png", "160x34+1120+0")
        run("xdotool", "mousemove", "--window", window, "8", "8", "click", "1")
        assert tray.next_line() == {"action": repr(AppAction.SHOW_CONTROLS)}
    finally:
        stop(tray.proc)


@pytest.mark.gui
def test_the_gtk_tray_menu_reaches_dispatch(desktop):
    pytest.importorskip("gi", reason="PyGObject is not installed (pip install 'PyGObject<3.51')")
    tray = TrayChild("gtk", desktop)
    try:
        window = tray.icon_window()
        run("xdotool", "mousemove", "--window", window, "10", "10", "click", "3")
        time.sleep(0.5)  # the menu maps asynchronously; keys sent before it would be lost
        screenshot("menu.png", "420x330+860+0")
        # Headline and Snooze (greyed while no prompt is open: skipped), Take a break now,
        # Skip next.
        run("xdotool", "key", "Down", "Down", "Return")
        assert tray.next_line() == {"action": repr(Skip())}
    finally:
        stop(tray.proc)


@pytest.mark.gui
def test_a_click_in_the_controls_window_returns_its_action(desktop, tmp_path):
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed")
    layout_file = tmp_path / "layout.json"
    chosen: queue.Queue[object] = queue.Queue()
    launcher = ControlsLauncher(
        chosen.put, {**desktop, "POSTUREBREAK_TEST_LAYOUT": str(layout_file)}
    )
    run("xdotool", "mousemove", "1200", "20")
    launcher.show(build_menu(view(), autostart=False, durations=DURATIONS))
    try:
        layout = wait_for(
            lambda: json.loads(layout_file.read_text()) if layout_file.exists() else None,
            "the controls window to lay out",
        )
        screenshot("controls.png", "540x420+740+20")
        _, table = menu_to_json(build_menu(view(), autostart=False, durations=DURATIONS))
        pause_hour = next(i for i, a in table.items() if a == PauseFor(timedelta(hours=1)))
        x, y = layout["buttons"][pause_hour]
        run("xdotool", "mousemove", str(x), str(y), "click", "1")
        assert chosen.get(timeout=15) == PauseFor(timedelta(hours=1))
        wait_for(lambda: not launcher.is_open(), "the controls window to close")
    finally:
        launcher.close()
