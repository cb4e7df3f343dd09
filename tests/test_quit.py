"""Every prompt ends in exactly one outcome, even across quit and crash.

Quitting closes what is open (the engine, on the fake clock); what a crash or ``kill -9``
left open is closed at the next start (the pure ``unfinished`` module, then the real app).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.control.client import request
from posturebreak.control.errors import ControlError, NotRunning
from posturebreak.core.commands import StartBreak, TakeBreak
from posturebreak.core.domain import PROMPT_OUTCOMES, Action, BreakKind, Event
from posturebreak.core.effects import EndBreak
from posturebreak.core.policy import QUIT
from posturebreak.core.policy_state import Context
from posturebreak.core.settings import Settings
from posturebreak.core.unfinished import APP_STOPPED, closing_events, tail
from posturebreak.engine import Engine
from posturebreak.messages import Do, Quit
from posturebreak.paths import resolve
from posturebreak.storage.store import EventStore
from tests.configs import local_noon_tz, seconds_config
from tests.fakes import FakeClock, RecordingFront, RecordingStore, RecordingWakeup
from tests.installed import SCRIPT
from tests.sim import BERLIN, Sim, at, check_prompt_outcomes

TIMEOUT = Settings().prompt.timeout


@pytest.fixture
def rig():
    clock = FakeClock(at("2026-11-23 09:29:00"))
    store, front, wake = RecordingStore(), RecordingFront(), RecordingWakeup()
    engine = Engine(Context(Settings(), BERLIN), clock, store, front, wake)
    return engine, clock, store, front, wake


def to_prompt(engine: Engine, clock: FakeClock, wake: RecordingWakeup) -> None:
    engine.run_pending()
    while not any(e.action is Action.PROMPTED for e in engine_events(engine)):
        clock.advance(wake.armed[-1] - clock.now())
        engine.run_pending()


def engine_events(engine: Engine) -> list[Event]:
    return engine._store.events  # type: ignore[attr-defined]  # the RecordingStore given


def quit_now(engine: Engine) -> None:
    engine.post(Quit())
    engine.run()


# --- quitting (engine, fake clock) -----------------------------------------------------------


def test_quitting_with_a_prompt_open_skips_it_for_quit(rig):
    engine, clock, store, front, wake = rig
    to_prompt(engine, clock, wake)
    clock.advance(timedelta(seconds=40))
    quit_now(engine)
    prompted, closed = store.events
    assert prompted.action is Action.PROMPTED
    assert (closed.kind, closed.action, closed.detail) == (prompted.kind, Action.SKIPPED, QUIT)
    assert closed.at == clock.now()
    assert front.named("close")[-1] == QUIT
    check_prompt_outcomes(store.events)


def test_quitting_during_a_break_ends_it_early_with_the_time_moved(rig):
    engine, clock, store, front, _wake = rig
    engine.post(Do(TakeBreak(BreakKind.WALK)))
    engine.run_pending()
    clock.advance(timedelta(seconds=100))
    quit_now(engine)
    started, ended = store.events
    assert started.action is Action.STARTED
    assert (ended.action, ended.duration_s, ended.detail) == (Action.ENDED_EARLY, 100.0, QUIT)
    assert front.named("end") == [EndBreak(BreakKind.WALK, completed=False)]


def test_quitting_after_the_break_time_was_up_completes_it_at_its_end(rig):
    engine, clock, store, _front, wake = rig
    to_prompt(engine, clock, wake)
    engine.post(Do(StartBreak()))
    engine.run_pending()
    started = store.events[-1]
    clock.advance(timedelta(minutes=3))  # no tick at the break's end (a busy machine)
    quit_now(engine)
    ended = store.events[-1]
    assert ended.action is Action.COMPLETED
    assert ended.at == started.at + timedelta(seconds=started.duration_s or 0)


def test_quit_before_the_step_that_would_expire_them_closes_as_that_step_would():
    # The policy alone: a quit arriving before any tick past the deadline or the break's end.
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    sim.run_until(at("2026-11-23 09:30"))
    prompted = sim.events[-1]
    sim.now += TIMEOUT + timedelta(minutes=1)
    sim.stop()
    missed = sim.events[-1]
    assert (missed.action, missed.at, missed.detail) == (
        Action.MISSED,
        prompted.at + TIMEOUT,
        "no answer",
    )
    sim.do(TakeBreak(BreakKind.STAND))
    started = sim.events[-1]
    sim.now += timedelta(minutes=10)
    sim.stop()
    completed = sim.events[-1]
    assert (completed.action, completed.at) == (Action.COMPLETED, started.at + timedelta(minutes=1))
    assert sim.state.activity is None


def test_quitting_with_nothing_open_logs_nothing(rig):
    engine, _clock, store, _front, _wake = rig
    quit_now(engine)
    assert store.events == []


# --- closing what a crash left open (pure) --------------------------------------------------

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)


def ev(minute: float, action: Action, kind=BreakKind.STAND, duration_s=None, ident="") -> Event:
    e = Event.new(T0 + timedelta(minutes=minute), kind, action, duration_s)
    return Event(ident or e.id, e.at, e.kind, e.action, e.duration_s, e.detail)


def test_an_open_prompt_is_missed_at_its_deadline_when_that_has_passed():
    (closing,) = closing_events([ev(0, Action.PROMPTED)], TIMEOUT, T0 + timedelta(hours=3))
    assert (closing.action, closing.detail) == (Action.MISSED, APP_STOPPED)
    assert closing.at == T0 + TIMEOUT


def test_an_open_prompt_closes_at_the_restart_when_that_comes_before_its_deadline():
    restart = T0 + timedelta(seconds=20)
    (closing,) = closing_events([ev(0, Action.PROMPTED)], TIMEOUT, restart)
    assert closing.at == restart  # never in the future


def test_a_running_break_completed_if_its_time_was_up_else_ended_early():
    started = ev(0, Action.STARTED, BreakKind.WALK, 300.0)
    (later,) = closing_events([started], TIMEOUT, T0 + timedelta(hours=1))
    assert (later.action, later.at, later.duration_s) == (
        Action.COMPLETED,
        T0 + timedelta(minutes=5),
        300.0,
    )
    (soon,) = closing_events([started], TIMEOUT, T0 + timedelta(seconds=90))
    assert (soon.action, soon.duration_s, soon.detail) == (Action.ENDED_EARLY, 90.0, APP_STOPPED)


def test_closed_prompts_and_breaks_need_nothing():
    log = [
        ev(0, Action.PROMPTED),
        ev(1, Action.STARTED, duration_s=60.0),
        ev(2, Action.COMPLETED, duration_s=60.0),
        ev(30, Action.PROMPTED),
        ev(31, Action.SNOOZED),
    ]
    assert closing_events(log, TIMEOUT, T0 + timedelta(hours=1)) == []


@pytest.mark.parametrize("ids", [("a", "b"), ("b", "a")])
def test_an_outcome_at_the_instant_of_a_new_prompt_closes_the_old_one(ids):
    # One step: the stand prompt timed out, and the stretch now due was prompted at once.
    log = [
        ev(0, Action.PROMPTED),
        ev(5, Action.MISSED, ident=ids[0]),
        ev(5, Action.PROMPTED, BreakKind.STRETCH, ident=ids[1]),
    ]
    (closing,) = closing_events(log, TIMEOUT, T0 + timedelta(hours=1))
    assert (closing.kind, closing.action) == (BreakKind.STRETCH, Action.MISSED)


def test_the_log_tail_is_read_only_as_far_back_as_something_may_be_open():
    store = EventStore.memory()
    with store:
        for e in [ev(0, Action.PROMPTED), ev(1, Action.SKIPPED), ev(60, Action.PROMPTED)]:
            store.append(e)
        assert [e.at for e in tail(store)] == [T0 + timedelta(minutes=60)]
        store.append(ev(61, Action.SNOOZED))
        assert tail(store) == []
        store.append(ev(70, Action.PROMPTED))
        closing = closing_events(tail(store), TIMEOUT, T0 + timedelta(minutes=71))
        for e in closing:
            store.append(e)
        # A second start finds nothing more to close.
        assert closing_events(tail(store), TIMEOUT, T0 + timedelta(minutes=90)) == []


# --- the real app, killed with SIGKILL ----------------------------------------------------------


def app_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(POSTUREBREAK_HOME=str(home), PYTHONUNBUFFERED="1", TZ=local_noon_tz())
    return env


@contextlib.contextmanager
def running_app(home: Path) -> Iterator[subprocess.Popen[str]]:
    """``posturebreak run --console`` through the installed script; stopped by PID after."""
    proc = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        env=app_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def ask(home: Path, cmd: str, **args: object) -> dict[str, object]:
    return request(resolve(app_env(home)), {"cmd": cmd, "args": args})


def wait_for(what, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(NotRunning, ControlError):
            found = what()
            if found:
                return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def logged(home: Path) -> list[Event]:
    store, moved = EventStore.open(home / "events.sqlite3")
    with store:
        assert moved is None
        return store.events()


def one_outcome_each(events: list[Event]) -> None:
    """Every prompt and every started break has exactly one outcome, nothing is left open."""
    check_prompt_outcomes(events)
    prompts = [e for e in events if e.action is Action.PROMPTED]
    closers = [
        e for e in events if e.action in PROMPT_OUTCOMES and e.detail.split("; ")[0] != "manual"
    ]
    assert len(prompts) == len(closers), events
    assert closing_events(events, timedelta(seconds=30), datetime.now(timezone.utc)) == []
    started = [e for e in events if e.action is Action.STARTED]
    ended = [e for e in events if e.action in {Action.COMPLETED, Action.ENDED_EARLY}]
    assert len(started) == len(ended), events


@pytest.mark.slow
def test_kill_9_during_a_prompt_and_during_a_break_each_closed_once_at_the_next_start(tmp_path):
    (tmp_path / "config.toml").write_text(seconds_config(every="2s", timeout="30s"))
    # Life 1: killed while a prompt is open (30 s to answer, nobody does).
    with running_app(tmp_path) as proc:
        wait_for(lambda: ask(tmp_path, "status")["ok"])
        wait_for(lambda: any(e.action is Action.PROMPTED for e in logged(tmp_path)))
        proc.kill()
    killed_at = datetime.now(timezone.utc)
    (prompted,) = logged(tmp_path)
    # Life 2: the prompt is closed at start; then killed 2 s into a walk.
    with running_app(tmp_path) as proc:
        wait_for(lambda: ask(tmp_path, "status")["ok"])
        events = logged(tmp_path)
        assert [(e.action, e.detail) for e in events[:2]] == [
            (Action.PROMPTED, prompted.detail),
            (Action.MISSED, APP_STOPPED),
        ]
        assert prompted.at < events[1].at <= datetime.now(timezone.utc)
        assert ask(tmp_path, "break", kind="walk")["ok"]
        time.sleep(2)
        proc.kill()
    # Life 3: the walk is closed at start, having run about as long as the app lived.
    with running_app(tmp_path) as proc:
        wait_for(lambda: ask(tmp_path, "status")["ok"])
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(10)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    events = logged(tmp_path)
    walk_ends = [e for e in events if e.kind is BreakKind.WALK and e.action is not Action.STARTED]
    (ended,) = [e for e in walk_ends if e.detail == APP_STOPPED]
    assert ended.action is Action.ENDED_EARLY
    assert 2.0 <= (ended.duration_s or 0) < 30
    assert killed_at > prompted.at
    one_outcome_each(events)


def test_a_prompt_answered_after_the_clock_went_back_is_not_closed_again(tmp_path):
    """The log's order decides what is open, not the wall clock: the answer, written after its
    prompt but with an earlier time, still closes it."""
    store, _ = EventStore.open(tmp_path / "events.sqlite3")
    with store:
        prompted = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
        store.append(Event.new(prompted, BreakKind.STAND, Action.PROMPTED))
        back = prompted - timedelta(minutes=5)  # NTP set the clock back before the answer
        store.append(Event.new(back, BreakKind.STAND, Action.SKIPPED))
        events = tail(store)
        assert closing_events(events, timedelta(minutes=5), prompted + timedelta(hours=1)) == []
