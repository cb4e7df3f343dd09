"""A desktop for end-to-end tests: private bus + dunst, a tray host, and the real app.

Everything here is started as a child process and stopped again by PID (the app's own
children too), so a failed test leaves no Xvfb clients, buses or notification daemons behind.
The display itself comes from pytest-xvfb.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import pytest

from tests.configs import local_noon_tz

REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")

# A session bus with no service directories: nothing is activated behind our back (no second
# dunst, no at-spi) that could outlive the test.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

TRAYER = (
    *("trayer", "--edge", "top", "--align", "right", "--widthtype", "request"),
    *("--height", "32", "--transparent", "false"),
)
SNI_HOST = ("gtk-sni-tray-standalone", "--watcher", "--top", "--end", "--size", "32")


def wait_for(predicate: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    """Poll ``predicate`` until it gives something truthy; fail saying ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def sh(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a helper tool to completion (never raises for a non-zero exit)."""
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=30, env=env, check=False
    )


def need(*tools: str) -> None:
    """Skip the test (with the reason) unless every tool is on PATH and a display is set."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("no display: Xvfb is missing (apt-get install xvfb)")
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (see TESTING.md for the apt packages)")


def children_of(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (read from /proc), deepest last."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def stop(proc: subprocess.Popen[str]) -> None:
    """Stop ``proc`` and whatever it started, by PID: TERM, then KILL after 5 s."""
    pids = [*children_of(proc.pid)]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def config_text(
    *, every: str = "10m", duration: str = "2s", backend: str = "auto", snooze: str = "2s"
) -> str:
    """A seconds-long config: only stand breaks, all day, no idle probe, no do-not-disturb."""
    return f"""
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[breaks.stand]
every = "{every}"
duration = "{duration}"
[breaks.stretch]
enabled = false
[breaks.walk]
enabled = false
[prompt]
snooze = ["{snooze}", "1m"]
max_snoozes = 5
timeout = "2m"
notice = "1s"
sound = false
[idle]
probe = "none"
[do_not_disturb]
fullscreen = false
meetings = false
[walking_plan]
enabled = false
[tray]
backend = "{backend}"
"""


@dataclass
class Desktop:
    """One test's desktop: its environment and every process started for it."""

    home: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def spawn(self, argv: list[str], **kwargs: object) -> subprocess.Popen[str]:
        """Start a helper with this desktop's environment; it is stopped at the end."""
        options: dict[str, object] = {
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
            "text": True,
            "env": self.env,
        }
        options.update(kwargs)
        proc: subprocess.Popen[str] = subprocess.Popen(argv, **options)  # type: ignore[call-overload]
        self.procs.append(proc)
        return proc

    def dunstctl(self, *args: str) -> str | None:
        """dunstctl's answer on this desktop's bus, or ``None`` when it failed."""
        done = sh("dunstctl", *args, env=self.env)
        return done.stdout.strip() if done.returncode == 0 else None

    def start_trayer(self) -> None:
        """An xembed tray host (trayer) docked at the top right."""
        need("trayer")
        self.spawn(list(TRAYER))
        wait_for(lambda: sh("xdotool", "search", "--classname", "trayer").stdout, "trayer")

    def start_sni_host(self) -> None:
        """A StatusNotifierItem host with its own watcher, on this desktop's bus."""
        need("gtk-sni-tray-standalone", "dbus-send")
        self.spawn(list(SNI_HOST))
        wait_for(lambda: self.sni_items() is not None, "the StatusNotifierWatcher")

    def bus(self, *call: str) -> str | None:
        """``dbus-send --print-reply`` on this desktop's bus; its output, or ``None``."""
        done = sh("dbus-send", "--session", "--print-reply", *call, env=self.env)
        return done.stdout if done.returncode == 0 else None

    def sni_items(self) -> list[str] | None:
        """The items registered with the StatusNotifierWatcher (``None``: no watcher)."""
        reply = self.bus(
            "--dest=org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.kde.StatusNotifierWatcher",
            "string:RegisteredStatusNotifierItems",
        )
        return None if reply is None else re.findall(r'string "([^"]*)"', reply)

    def bus_name_pid(self, name: str) -> int | None:
        """The PID of the process owning ``name`` (a ``:1.23`` name, maybe with a path)."""
        reply = self.bus(
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            f"string:{name.split('/', 1)[0]}",
        )
        found = re.search(r"uint32 (\d+)", reply or "")
        return int(found.group(1)) if found else None

    def screenshot(self, name: str, crop: str | None = None) -> None:
        """Save the screen (or ``crop``) to docs/``name``, only with POSTUREBREAK_SCREENSHOTS=1."""
        if os.environ.get("POSTUREBREAK_SCREENSHOTS") != "1" or shutil.which("import") is None:
            return
        extra = ("-crop", crop, "+repage") if crop else ()
        sh("import", "-window", "root", *extra, str(REPO / "docs" / name))


@contextlib.contextmanager
def desktop(home: Path) -> Iterator[Desktop]:
    """A private session bus with dunst on it, on pytest-xvfb's display; all stopped by PID."""
    need("dbus-daemon", "dunst", "dunstctl", "xdotool")
    bus_config = home / "bus.conf"
    bus_config.write_text(BUS_CONFIG)
    env = {
        **os.environ,
        "NO_AT_BRIDGE": "1",
        "POSTUREBREAK_HOME": str(home / "pb"),
        "XDG_CONFIG_HOME": str(home / "xdg"),
        "TZ": local_noon_tz(),
        "PYTHONFAULTHANDLER": "1",  # SIGABRT on a hang dumps every thread's stack
        "PYTHONPATH": str(REPO),
    }
    env.pop("POSTUREBREAK_TEST_LAYOUT", None)
    rig = Desktop(home, env)
    try:
        bus = rig.spawn(
            ["dbus-daemon", f"--config-file={bus_config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
        )
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        rig.spawn(["dunst", "-config", "/etc/xdg/dunst/dunstrc"])
        wait_for(lambda: rig.dunstctl("count", "displayed") == "0", "dunst to own its bus name")
        yield rig
    finally:
        for proc in reversed(rig.procs):
            stop(proc)


class App:
    """The real ``posturebreak run`` as a subprocess, plus its command line.

    The break and controls windows write their buttons' screen centres to ``layout``.
    """

    def __init__(self, rig: Desktop, config: str) -> None:
        self.rig = rig
        self.home = Path(rig.env["POSTUREBREAK_HOME"])
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "config.toml").write_text(config)
        self.layout = rig.home / "layout.json"
        self.env = {**rig.env, "POSTUREBREAK_TEST_LAYOUT": str(self.layout)}
        self.stderr_file = rig.home / "app.stderr"
        self._stderr: IO[str] = self.stderr_file.open("w")
        self.proc: subprocess.Popen[str] = subprocess.Popen(
            [sys.executable, "-m", "posturebreak", "run"],
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            text=True,
            env=self.env,
            cwd=REPO,
        )
        rig.procs.append(self.proc)
        wait_for(self._answers, "the app to answer `posturebreak status`")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the app exited early:\n{self.stderr()}")
        return self.cli("status").returncode == 0

    def stderr(self) -> str:
        """What the app wrote on stderr so far."""
        self._stderr.flush()
        return self.stderr_file.read_text()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``posturebreak ARGS`` against this app's home."""
        return sh(sys.executable, "-m", "posturebreak", *args, env=self.env)

    def status(self) -> dict[str, object]:
        """``posturebreak status --json``."""
        done = self.cli("status", "--json")
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def events(self) -> list[dict[str, object]]:
        """``posturebreak log --json``: every event, oldest first."""
        done = self.cli("log", "--json")
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout))

    def actions(self) -> list[str]:
        """The action of every logged event, oldest first."""
        return [str(e["action"]) for e in self.events()]

    def wait_for_action(self, action: str, count: int = 1) -> list[dict[str, object]]:
        """Wait until ``action`` was logged ``count`` times; return the log."""

        def logged() -> list[dict[str, object]] | None:
            events = self.events()
            return events if sum(e["action"] == action for e in events) >= count else None

        return wait_for(logged, f"{action!r} in the log (log: {self.actions()})")

    def wait_for_layout(self, phase: str | None) -> dict[str, list[int]]:
        """The buttons of the next window that lays out (``phase``: "prompt", "break", or
        ``None`` for the controls window); the layout file is consumed."""

        def ready() -> dict[str, list[int]] | None:
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(self.layout.read_text())
                if data.get("phase") == phase:
                    self.layout.unlink()
                    return dict(data["buttons"])
            return None

        return wait_for(ready, f"a {phase or 'controls'} window to lay out its buttons")

    def quit(self) -> None:
        """``posturebreak quit`` must succeed and the app must exit 0."""
        done = self.cli("quit")
        if done.returncode != 0:
            self._dump_threads()
        assert done.returncode == 0, f"quit failed: {done.stderr}\napp stderr:\n{self.stderr()}"
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self._dump_threads()
            raise AssertionError(f"the app did not exit:\n{self.stderr()}") from None
        assert code == 0, f"the app exited with {code}:\n{self.stderr()}"
        assert "Traceback" not in self.stderr(), self.stderr()

    def _dump_threads(self) -> None:
        # PYTHONFAULTHANDLER makes SIGABRT print every thread's stack to the app's stderr.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


def click(x: int, y: int, button: str = "1") -> None:
    """A real pointer click at screen position (x, y)."""
    done = sh("xdotool", "mousemove", str(x), str(y), "click", button)
    assert done.returncode == 0, done.stderr


def icon_window() -> str:
    """The docked xembed icon: a visible posturebreak window in the top strip, 16+ px wide."""

    def find() -> str | None:
        found = sh("xdotool", "search", "--onlyvisible", "--classname", "posturebreak").stdout
        for window in found.split():
            shape = sh("xdotool", "getwindowgeometry", "--shell", window).stdout
            size = dict(line.split("=", 1) for line in shape.split())
            # Docked means the tray gave it a real slot (it starts as a 1x1 window).
            if int(size.get("WIDTH", 0)) >= 16 and int(size.get("Y", 99)) < 32:
                return window
        return None

    return wait_for(find, "the icon to dock in the tray")
