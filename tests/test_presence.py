"""Presence: idle, screen lock and do-not-disturb holds, the watcher, and the real app."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.core.domain import Action, BreakKind, Mode
from posturebreak.core.policy import AFTER_MEETING
from posturebreak.core.policy_state import Context
from posturebreak.core.settings import DndSettings, Settings
from posturebreak.engine import Engine
from posturebreak.messages import Tick
from posturebreak.presence.dnd.capture import ProcCapture, capture_devices, capture_in_use
from posturebreak.presence.idle.null import NullProbe
from posturebreak.presence.idle.x11 import ActiveWindow
from posturebreak.presence.sensor import (
    CLOSE,
    FAR,
    HELD,
    Presence,
    PresenceWatcher,
    Sample,
    app_focused,
    sample_interval,
)
from tests.configs import local_noon_tz, seconds_config
from tests.fakes import FakeClock, FixedProbe, RecordingFront, RecordingStore, RecordingWakeup
from tests.installed import SCRIPT
from tests.sim import BERLIN, at

MIN = timedelta(minutes=1)
AWAY_AFTER = timedelta(minutes=3)


@dataclass
class FakeWindows:
    win: ActiveWindow | None = None
    closed: bool = False

    def active(self) -> ActiveWindow | None:
        return self.win

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeLock:
    now: bool | None = False

    def locked(self) -> bool | None:
        return self.now

    def close(self) -> None:
        pass


@pytest.fixture
def camera(tmp_path):
    """A fake camera device node; the fixture yields (glob pattern, path)."""
    dev = tmp_path / "video0"
    dev.write_bytes(b"")
    return str(tmp_path / "video*"), dev


HOLDER = "import sys,time; f=open(sys.argv[1]); print(1, flush=True); time.sleep(60)"


def hold_open(path: Path) -> subprocess.Popen[bytes]:
    """A process that opens ``path`` and keeps it open until killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the file is open now
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)


# --- pure pieces ------------------------------------------------------------------------------


def test_sampling_is_rare_far_from_a_break_and_frequent_near_one():
    typing = Sample(away=False, hold="", idle=timedelta(0))
    unknown = Sample(away=False, hold="")
    assert sample_interval(None, unknown, AWAY_AFTER, watching=False) == FAR
    assert sample_interval(timedelta(hours=1), unknown, AWAY_AFTER, watching=False) == FAR
    assert sample_interval(timedelta(seconds=10), unknown, AWAY_AFTER, watching=False) == CLOSE
    # While typing, look again exactly when the person would count as away.
    typing_next = sample_interval(timedelta(hours=1), typing, AWAY_AFTER, watching=False)
    assert AWAY_AFTER <= typing_next < AWAY_AFTER + timedelta(seconds=1)
    reading = replace(typing, idle=timedelta(minutes=2))
    assert sample_interval(timedelta(hours=1), reading, AWAY_AFTER, watching=False) < 2 * MIN
    held = Sample(away=False, hold="meeting", idle=timedelta(0))
    assert sample_interval(timedelta(hours=1), held, AWAY_AFTER, watching=False) == HELD
    away = Sample(away=True, hold="", idle=timedelta(minutes=10))
    assert sample_interval(None, away, AWAY_AFTER, watching=True) == FAR  # the watch wakes us
    assert sample_interval(None, away, AWAY_AFTER, watching=False) < MIN


def test_an_event_for_leaving_lets_the_watcher_sleep_long_while_the_person_types():
    typing = Sample(away=False, hold="", idle=timedelta(0))
    hour = timedelta(hours=1)
    kw = {"watching": True, "leaving": True}
    # Mutter's idle watch says when they leave: no look per away_after while they type...
    assert sample_interval(hour, typing, AWAY_AFTER, **kw) == FAR
    # ...but still bounded by the time to the next prompt, as without it.
    assert sample_interval(timedelta(seconds=40), typing, AWAY_AFTER, **kw) == timedelta(seconds=20)
    assert sample_interval(hour, typing, AWAY_AFTER, watching=True) < AWAY_AFTER + MIN


def test_focused_apps_match_wm_class_or_title():
    zoom = ActiveWindow(fullscreen=False, wm_class=("zoom", "zoom"), title="Zoom Meeting")
    firefox = ActiveWindow(fullscreen=False, wm_class=("Navigator", "firefox"), title="Docs")
    assert app_focused(["Zoom"], zoom) == "Zoom"
    assert app_focused(["teams", "zoom "], zoom) == "zoom"
    assert app_focused(["zoom"], firefox) == ""
    assert app_focused(["docs"], firefox) == "docs"


def test_a_process_holding_a_camera_reads_as_in_use(camera):
    pattern, dev = camera
    devices = capture_devices([pattern])
    assert devices == frozenset({str(dev)})
    assert not capture_in_use(devices)
    proc = hold_open(dev)
    try:
        assert capture_in_use(devices)
        assert not capture_in_use(devices, skip_pid=proc.pid)  # our own process is not a meeting
    finally:
        stop(proc)
    assert not capture_in_use(devices)
    assert not capture_in_use(frozenset())  # no camera at all: no scan


# --- the port with fakes -----------------------------------------------------------------------


def test_holds_say_why_meeting_first_then_app_then_fullscreen(camera):
    pattern, dev = camera
    windows = FakeWindows(ActiveWindow(fullscreen=True, wm_class=("zoom", "zoom")))
    settings = replace(Settings(), dnd=DndSettings(apps=("zoom",)))
    presence = Presence(settings, FixedProbe(), windows=windows, meeting=ProcCapture([pattern]))
    assert presence.hold() == "zoom focused"
    proc = hold_open(dev)
    try:
        assert presence.hold() == "meeting"
    finally:
        stop(proc)
    windows.win = ActiveWindow(fullscreen=True, wm_class=("xterm", "XTerm"))
    assert presence.hold() == "fullscreen"
    windows.win = replace(windows.win, fullscreen=False)
    assert presence.hold() == ""
    quiet = replace(Settings(), dnd=DndSettings(fullscreen=False, meetings=False))
    windows.win = ActiveWindow(fullscreen=True)
    assert (
        Presence(quiet, FixedProbe(), windows=windows, meeting=ProcCapture([pattern])).hold() == ""
    )


def test_the_meeting_scan_runs_only_when_a_prompt_is_near(camera):
    pattern, dev = camera
    presence = Presence(Settings(), FixedProbe(), meeting=ProcCapture([pattern]))
    due = [presence_now() + timedelta(minutes=20)]
    presence.set_next_due(lambda: due[0])
    proc = hold_open(dev)
    try:
        assert presence.hold() == ""  # far from a prompt: no /proc scan
        due[0] = presence_now() + timedelta(seconds=30)
        assert presence.hold() == "meeting"
        due[0] = presence_now() + timedelta(minutes=20)
        assert presence.hold() == "meeting"  # once held, it is watched until it ends
    finally:
        stop(proc)
    assert presence.hold() == ""


def test_a_silent_call_far_from_a_prompt_is_seen_as_a_meeting_not_an_absence(camera):
    pattern, dev = camera
    probe = FixedProbe(timedelta(seconds=10))
    presence = Presence(Settings(), probe, meeting=ProcCapture([pattern]))
    presence.set_next_due(lambda: presence_now() + timedelta(minutes=20))
    proc = hold_open(dev)
    try:
        presence.idle()
        assert presence.hold() == ""  # typing, and no prompt near: no /proc scan
        probe.value = AWAY_AFTER + MIN  # no input for a while: is it a call or an absence?
        presence.idle()
        assert presence.hold() == "meeting"
        assert presence.sample() == Sample(away=False, hold="meeting")
    finally:
        stop(proc)
    # The call ended: idle counts from now on, so they are not away yet.
    assert presence.sample() == Sample(away=False, hold="")


def test_the_watcher_sees_a_lock_under_a_hold_and_idle_only_from_the_holds_end():
    ticks = [100.0]
    lock = FakeLock(now=False)
    windows = FakeWindows(ActiveWindow(fullscreen=True))
    probe = FixedProbe(timedelta(minutes=20))
    presence = Presence(Settings(), probe, lock=lock, windows=windows, monotonic=lambda: ticks[0])
    assert presence.sample() == Sample(away=False, hold="fullscreen")
    assert presence.locked() is False
    lock.now = True
    assert presence.sample() == Sample(away=True, hold="fullscreen", locked=True)
    presence.idle()
    assert presence.locked() is True  # what the engine puts in the observation
    lock.now = False
    windows.win = None  # the video ends; still no input
    ticks[0] += 30
    after = presence.sample()
    assert after == Sample(away=False, hold="")
    assert after.idle == timedelta(seconds=30)  # idle counts from the end of the hold
    ticks[0] += AWAY_AFTER.total_seconds()
    assert presence.sample().away


def presence_now():
    return datetime.now(timezone.utc)


def test_a_locked_screen_counts_as_away_from_when_it_was_seen():
    ticks = [100.0]
    lock = FakeLock(now=False)
    presence = Presence(
        Settings(), FixedProbe(timedelta(seconds=5)), lock=lock, monotonic=lambda: ticks[0]
    )
    assert presence.idle() == timedelta(seconds=5)
    lock.now = True
    assert presence.idle() == AWAY_AFTER  # at once: away
    ticks[0] += 600
    assert presence.idle() == timedelta(minutes=10)
    assert presence.sample().away
    lock.now = False
    assert presence.idle() == timedelta(seconds=5)
    assert presence.notice == ""
    assert Presence(Settings(), NullProbe("Idle time unknown (x)")).notice.startswith("Idle")


# --- with the engine (fake clock) ---------------------------------------------------------------


def run_until_idle(engine: Engine, *messages) -> None:
    for m in messages:
        engine.post(m)
    engine.run_pending()


def to_due(engine, clock, wake, end):
    run_until_idle(engine)
    while wake.armed and wake.armed[-1] <= end:
        clock.advance(wake.armed[-1] - clock.now())
        run_until_idle(engine, Tick())


def rig(presence):
    clock = FakeClock(at("2026-11-23 09:29:00"))
    store, front, wake = RecordingStore(), RecordingFront(), RecordingWakeup()
    engine = Engine(Context(Settings(), BERLIN), clock, store, front, wake, presence=presence)
    return engine, clock, store, front, wake


def actions(store):
    return [(e.kind, e.action, e.detail) for e in store.events]


def test_fullscreen_defers_the_prompt_once_and_leaving_it_releases_it():
    windows = FakeWindows(ActiveWindow(fullscreen=True))
    engine, clock, store, front, wake = rig(Presence(Settings(), FixedProbe(), windows=windows))
    to_due(engine, clock, wake, at("2026-11-23 10:00:00"))
    assert actions(store) == [(BreakKind.STAND, Action.DEFERRED, "fullscreen")]
    assert front.views[-1].mode is Mode.DEFERRED
    assert front.views[-1].notice == "fullscreen"
    clock.advance(timedelta(minutes=2))
    run_until_idle(engine, Tick("presence"))
    assert len(store.events) == 1  # one deferred event per hold, not one per look
    windows.win = None
    clock.advance(timedelta(seconds=10))
    run_until_idle(engine, Tick("presence"))
    assert actions(store)[-1] == (BreakKind.STAND, Action.PROMPTED, "")


def test_after_a_meeting_ends_a_walk_is_offered(camera):
    pattern, dev = camera
    engine, clock, store, _front, wake = rig(
        Presence(Settings(), FixedProbe(), meeting=ProcCapture([pattern]))
    )
    proc = hold_open(dev)
    try:
        to_due(engine, clock, wake, at("2026-11-23 10:00:00"))
        assert actions(store) == [(BreakKind.STAND, Action.DEFERRED, "meeting")]
    finally:
        stop(proc)
    clock.advance(timedelta(minutes=5))
    run_until_idle(engine, Tick("presence"))
    assert actions(store)[-1] == (BreakKind.WALK, Action.PROMPTED, AFTER_MEETING)


def test_a_meeting_longer_than_max_delay_gets_the_due_prompt_not_a_walk(camera):
    pattern, dev = camera
    engine, clock, store, _front, wake = rig(
        Presence(Settings(), FixedProbe(), meeting=ProcCapture([pattern]))
    )
    proc = hold_open(dev)
    try:
        to_due(engine, clock, wake, at("2026-11-23 10:31:00"))
    finally:
        stop(proc)
    # Half an hour later it appears anyway, mid-meeting: the break that is due, not a walk.
    assert [a for _k, a, _d in actions(store)] == [Action.DEFERRED, Action.PROMPTED]
    kind, _action, detail = actions(store)[-1]
    assert kind is not BreakKind.WALK
    assert detail != AFTER_MEETING


def test_the_watcher_wakes_the_engine_when_a_hold_ends_and_not_otherwise():
    windows = FakeWindows(ActiveWindow(fullscreen=True))
    presence = Presence(Settings(), FixedProbe(), windows=windows)
    reasons: list[str] = []
    woke = threading.Event()

    def wake(reason: str) -> None:
        reasons.append(reason)
        woke.set()

    fast = PresenceWatcher(presence, wake, interval=lambda *_a, **_k: timedelta(seconds=0.05))
    fast.start()
    try:
        time.sleep(0.3)
        assert reasons == []  # nothing changed: looks, but no wake-up
        windows.win = None
        assert woke.wait(5)
        assert reasons == ["presence"]
    finally:
        fast.stop()
    assert fast.samples >= 3


# --- a real X server ---------------------------------------------------------------------------


@pytest.fixture
def display():
    name = os.environ.get("DISPLAY")
    if not name or not shutil.which("xdotool"):
        pytest.skip("needs Xvfb (pytest-xvfb) and xdotool")
    return name


@pytest.mark.gui
def test_a_real_fullscreen_window_holds_and_leaving_fullscreen_releases(display):
    from Xlib import Xatom
    from Xlib import display as xdisplay

    from posturebreak.presence.idle.x11 import X11Probe, X11Windows

    d = xdisplay.Display(display)
    root = d.screen().root
    win = root.create_window(0, 0, 200, 100, 0, d.screen().root_depth)
    win.set_wm_class("slides", "Impress")
    win.map()
    state, fullscreen = d.intern_atom("_NET_WM_STATE"), d.intern_atom("_NET_WM_STATE_FULLSCREEN")
    active = d.intern_atom("_NET_ACTIVE_WINDOW")
    # No window manager here: we set what one would (the state, and the active window).
    win.change_property(state, Xatom.ATOM, 32, [fullscreen])
    root.change_property(active, Xatom.WINDOW, 32, [win.id])
    d.sync()
    # As the app wires it: the window reader shares the idle probe's connection.
    probe = X11Probe(display)
    presence = Presence(Settings(), probe, windows=probe.windows())
    try:
        assert presence.hold() == "fullscreen"
        assert presence.idle() is not None  # replies on the shared connection stay in step
        win.change_property(state, Xatom.ATOM, 32, [])
        d.sync()
        assert presence.hold() == ""
        assert presence.idle() is not None
        apps = replace(Settings(), dnd=DndSettings(apps=("impress",)))
        assert Presence(apps, NullProbe("none"), windows=X11Windows(display)).hold() == (
            "impress focused"
        )
    finally:
        presence.close()
        root.delete_property(active)
        win.destroy()
        d.close()


# --- the real app ------------------------------------------------------------------------------


def write_config(home: Path, *, every="30s", timeout="30s", probe="auto") -> None:
    (home / "config.toml").write_text(
        seconds_config(every=every, timeout=timeout, idle_probe=probe)
    )


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        POSTUREBREAK_HOME=str(home), PYTHONUNBUFFERED="1", NO_AT_BRIDGE="1", TZ=local_noon_tz()
    )
    env.pop("WAYLAND_DISPLAY", None)
    env.update(extra)
    return env


def start_app(home: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "posturebreak", "run", "--console"],
        env=app_env(home, **extra),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def quit_app(home: Path, app: subprocess.Popen[str]) -> None:
    try:
        if app.poll() is None:
            cli(home, "quit")
            app.wait(10)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)


def cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = app_env(home)
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "posturebreak", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def log_of(home: Path) -> list[dict[str, object]]:
    r = cli(home, "log", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.gui
@pytest.mark.slow
def test_the_real_app_logs_a_natural_break_when_nobody_touches_the_desk(display, tmp_path):
    write_config(tmp_path)
    subprocess.run(["xdotool", "mousemove_relative", "5", "5"], check=True)
    app = start_app(tmp_path)
    try:
        wait_for(lambda: cli(tmp_path, "status").returncode == 0)
        # Away after 2 s of no input; the watcher notices it while it lasts and wakes the app.
        # (No status polling meanwhile: every look is an engine step, see the report.)
        time.sleep(4)
        assert json.loads(cli(tmp_path, "status", "--json").stdout)["state"] == "away"
        subprocess.run(["xdotool", "mousemove_relative", "5", "5"], check=True)
        wait_for(lambda: any(e["action"] == "natural" for e in log_of(tmp_path)), 10)
    finally:
        quit_app(tmp_path, app)
    natural = [e for e in log_of(tmp_path) if e["action"] == "natural"]
    assert len(natural) == 1
    assert natural[0]["kind"] == "stand"
    assert natural[0]["detail"] == "away"
    assert 3.0 <= float(natural[0]["duration_s"]) < 15


@pytest.mark.slow
def test_a_suspended_app_resumes_with_one_decision_not_a_burst(tmp_path):
    write_config(tmp_path, every="4s", timeout="30s", probe="none")
    app = start_app(tmp_path)
    try:
        wait_for(lambda: cli(tmp_path, "status").returncode == 0)
        before = len(log_of(tmp_path))
        os.kill(app.pid, signal.SIGSTOP)
        time.sleep(10)  # two and a half break intervals
        os.kill(app.pid, signal.SIGCONT)
        time.sleep(1.5)
        after = log_of(tmp_path)[before:]
    finally:
        os.kill(app.pid, signal.SIGCONT)
        quit_app(tmp_path, app)
    decisions = [e for e in after if e["action"] in {"prompted", "natural"}]
    assert len(decisions) == 1, after


@pytest.mark.slow
def test_a_wall_clock_jump_neither_bursts_nor_stalls(tmp_path):
    lib = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
    if not lib.exists():
        pytest.skip("libfaketime is not installed (apt package faketime)")
    write_config(tmp_path, every="3s", timeout="1s", probe="none")
    offset = tmp_path / "faketime.rc"
    offset.write_text("+0\n")
    app = start_app(
        tmp_path,
        LD_PRELOAD=str(lib),
        FAKETIME_TIMESTAMP_FILE=str(offset),
        FAKETIME_NO_CACHE="1",
        FAKETIME_DONT_FAKE_MONOTONIC="1",
    )
    try:
        wait_for(lambda: cli(tmp_path, "status").returncode == 0)
        time.sleep(4)
        spans = []
        for jump in ("+2h", "-2h"):
            offset.write_text(f"{jump}\n")
            n = len(log_of(tmp_path))
            time.sleep(8)
            spans.append(log_of(tmp_path)[n:])
    finally:
        quit_app(tmp_path, app)
    seen = (tmp_path / "posturebreak.log").read_text()
    assert "wall clock moved by +7200 s" in seen  # the jumps really happened
    assert "wall clock moved by -14400 s" in seen
    for span in spans:
        prompted = [e for e in span if e["action"] == "prompted"]
        # A cycle is 3 s of desk time plus 1 s of prompt: 8 s hold two, never a pile.
        assert 1 <= len(prompted) <= 3, span


@pytest.mark.gui
@pytest.mark.slow
def test_the_real_app_logs_no_natural_break_while_a_listed_app_holds_and_nobody_types(
    display, tmp_path
):
    from Xlib import Xatom
    from Xlib import display as xdisplay

    # A presentation is focused (a window we make; no window manager here, so we set the
    # active window as one would) and nobody touches the keyboard or mouse.
    d = xdisplay.Display(display)
    root = d.screen().root
    win = root.create_window(0, 0, 200, 100, 0, d.screen().root_depth)
    win.set_wm_class("slides", "Impress")
    win.map()
    active = d.intern_atom("_NET_ACTIVE_WINDOW")
    root.change_property(active, Xatom.WINDOW, 32, [win.id])
    d.sync()
    config = seconds_config(every="6s", timeout="30s", idle_probe="x11")
    (tmp_path / "config.toml").write_text(config + '[do_not_disturb]\napps = ["impress"]\n')
    app = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        env=app_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: cli(tmp_path, "status").returncode == 0)
        subprocess.run(["xdotool", "mousemove_relative", "5", "5"], check=True)
        # 2 s without input would be "away"; under the hold it is sitting, and the stand
        # comes due after 6 s of it and is held back.
        wait_for(lambda: any(e["action"] == "deferred" for e in log_of(tmp_path)), 15)
        assert json.loads(cli(tmp_path, "status", "--json").stdout)["state"] == "deferred"
        subprocess.run(["xdotool", "mousemove_relative", "5", "5"], check=True)
        time.sleep(2)
    finally:
        quit_app(tmp_path, app)
        root.delete_property(active)
        win.destroy()
        d.close()
    events = log_of(tmp_path)
    assert [e for e in events if e["action"] == "natural"] == []
    (deferred,) = [e for e in events if e["action"] == "deferred"]
    assert (deferred["kind"], deferred["detail"]) == ("stand", "impress focused")
