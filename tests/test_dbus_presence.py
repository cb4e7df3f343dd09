"""Screen lock signals and Mutter idle watches over real (private) D-Bus buses with dbusmock.

Every watcher here would otherwise look again only minutes later (the person is typing, the
next prompt is an hour away), so a wake-up within a second can only come from the signal.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.core.settings import IdleProbeName, IdleSettings, Settings
from posturebreak.presence.idle.dbus import LockState, ScreenLock
from posturebreak.presence.idle.dbus_watch import open_watches
from posturebreak.presence.sensor import Presence, make_presence
from posturebreak.presence.watch import PresenceWatcher
from tests.configs import local_noon_tz, seconds_config
from tests.dbus_rig import ACTIVE_WATCH_ID, IDLE_WATCH_ID, Desk, desk
from tests.fakes import FixedProbe

AWAY_AFTER = Settings().idle.away_after
SOON = 1.0  # "at once": well inside the watcher's minutes-long sampling interval


class Wakes:
    """A recording ``wake``: the reasons, and a way to wait for the n-th one."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, reason: str) -> None:
        with self._cond:
            self.reasons.append(reason)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = SOON) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.reasons) >= count, timeout)


def far() -> datetime:
    return datetime.now(timezone.utc) + timedelta(hours=1)


def wait_until(check: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    with desk(tmp_path, monkeypatch) as d:
        yield d


@pytest.fixture
def watched(rig: Desk) -> Iterator[tuple[Desk, Presence, Wakes]]:
    """A presence adapter (typing person, no Mutter) watching both buses, watcher running."""
    state = LockState()
    lock = ScreenLock(state)
    wakes = Wakes()
    presence = Presence(
        Settings(),
        FixedProbe(),
        lock=lock,
        wake=wakes,
        sources=open_watches(state, lock.session_path, None),
    )
    presence.start(far)
    assert presence.watcher is not None
    assert presence.watcher.sources == ("system bus", "session bus")
    try:
        yield rig, presence, wakes
    finally:
        presence.close()


def test_a_logind_lock_wakes_the_watcher_at_once_and_unlock_brings_them_back(watched):
    rig, presence, wakes = watched
    time.sleep(0.3)
    assert wakes.reasons == []
    rig.lock()  # only the signal: LockedHint stays false, so no poll would ever see it
    assert wakes.wait(1)
    assert presence.idle() >= AWAY_AFTER
    assert presence.sample().away
    rig.unlock()
    assert wakes.wait(2)
    assert presence.idle() == timedelta(0)
    assert wakes.reasons == ["presence", "presence"]


def test_a_locked_hint_change_counts_like_a_lock(watched):
    rig, presence, wakes = watched
    rig.locked_hint(locked=True)
    assert wakes.wait(1)
    assert presence.sample().away
    rig.locked_hint(locked=False)
    assert wakes.wait(2)
    assert not presence.sample().away


def test_a_screen_saver_turning_on_counts_as_away(watched):
    rig, presence, wakes = watched
    rig.start_saver()
    rig.saver_active(active=True)
    assert wakes.wait(1)
    assert presence.sample().away
    rig.saver_active(active=False)
    assert wakes.wait(2)
    assert not presence.sample().away


def test_mutter_watches_say_when_the_person_leaves_and_returns(rig):
    rig.start_mutter()
    wakes = Wakes()
    settings = replace(Settings(), idle=IdleSettings(probe=IdleProbeName.GNOME))
    presence = make_presence(settings, os.environ, wakes, platform="linux")
    try:
        assert presence.probe_name == "gnome"
        presence.start(far)
        assert rig.mutter_calls("AddIdleWatch") == [(("t", AWAY_AFTER.seconds * 1000),)]
        rig.set_idle_ms(AWAY_AFTER.seconds * 1000 + 5)
        time.sleep(0.5)
        assert wakes.reasons == []  # idle long enough, but nobody looked: only events count
        rig.fire(IDLE_WATCH_ID)
        assert wakes.wait(1)
        assert presence.idle() >= AWAY_AFTER
        # Away: a one-shot watch for the next input is armed.
        wait_until(lambda: rig.mutter_calls("AddUserActiveWatch"), SOON)
        rig.set_idle_ms(0)
        rig.fire(ACTIVE_WATCH_ID)
        assert wakes.wait(2)
        assert presence.idle() == timedelta(0)
    finally:
        presence.close()


def test_a_dead_bus_never_stops_sampling(rig, caplog):
    caplog.set_level(logging.INFO, "posturebreak.presence.sensor")
    rig.start_mutter()
    state = LockState()
    lock = ScreenLock(state)
    probe = FixedProbe()
    wakes = Wakes()
    presence = Presence(Settings(), probe, lock=lock)
    watcher = PresenceWatcher(
        presence,
        wakes,
        sources=open_watches(state, lock.session_path, AWAY_AFTER),
        interval=lambda *_a, **_k: timedelta(seconds=0.1),
    )
    watcher.start()
    try:
        rig.lock()
        assert wakes.wait(1)
        rig.system.kill()
        rig.session.kill()
        wait_until(lambda: watcher.sources == ())
        # What the dead logind said is forgotten; the lock is polled (and unknown) again.
        assert presence.idle() == timedelta(0)
        assert wakes.wait(2)
        probe.value = AWAY_AFTER * 2
        assert wakes.wait(3, timeout=5)  # still sampling: the absence is seen
        before = watcher.samples
        wait_until(lambda: watcher.samples > before + 3)
    finally:
        watcher.stop()
        presence.close()
    lost = [r.getMessage() for r in caplog.records if " lost (" in r.getMessage()]
    assert sorted(m.split(" lost")[0] for m in lost) == ["session bus", "system bus"]


# --- the real app ------------------------------------------------------------------------------


def run_cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "posturebreak", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def state_of(env: dict[str, str]) -> str:
    r = run_cli(env, "status", "--json")
    return str(json.loads(r.stdout)["state"]) if r.returncode == 0 else ""


def log_of(env: dict[str, str]) -> list[dict[str, object]]:
    r = run_cli(env, "log", "--json")
    assert r.returncode == 0, r.stderr
    return list(json.loads(r.stdout))


@pytest.mark.slow
def test_the_real_app_counts_a_locked_screen_as_a_natural_break(rig, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # Stand every 30 s for 1 s; away after 2 s; no idle probe: only the lock says "away".
    (home / "config.toml").write_text(seconds_config(every="30s", idle_probe="none"))
    env = {
        **os.environ,
        **rig.env(),
        "POSTUREBREAK_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        "TZ": local_noon_tz(),
    }
    for key in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(key, None)
    app = subprocess.Popen(
        [sys.executable, "-m", "posturebreak", "run", "--console"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: state_of(env) not in {"", "away"}, 20)
        rig.lock()
        wait_until(lambda: state_of(env) == "away", 3)
        time.sleep(3)  # longer than the 1 s stand
        rig.unlock()
        wait_until(lambda: any(e["action"] == "natural" for e in log_of(env)), 5)
    finally:
        if app.poll() is None:
            run_cli(env, "quit")
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(5)
    natural = [e for e in log_of(env) if e["action"] == "natural"]
    assert len(natural) == 1, log_of(env)
    assert natural[0]["kind"] == "stand"
    assert natural[0]["detail"] == "away"
    assert 3.0 <= float(str(natural[0]["duration_s"])) < 15
    assert "Traceback" not in (app.stderr.read() if app.stderr else "")
