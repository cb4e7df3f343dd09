"""Faults through the real app: kill -9 mid-day, broken and full logs, missing desktop parts.

Each test starts ``python -m posturebreak run`` in its own POSTUREBREAK_HOME and stops it
again by PID. The soak at the end drives the engine and a real store on the fake clock.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.control.client import request
from posturebreak.control.errors import ControlError, NotRunning
from posturebreak.core.commands import StartBreak
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.policy_state import Context
from posturebreak.core.settings import Settings
from posturebreak.engine import Engine
from posturebreak.messages import Do, Tick
from posturebreak.paths import resolve
from posturebreak.storage.spool import Spool
from posturebreak.storage.store import EventStore
from posturebreak.storage.writer import LogWriter
from tests import asuser
from tests.configs import local_noon_tz
from tests.fakes import FakeClock, RecordingFront, RecordingWakeup
from tests.sim import BERLIN, at

pytestmark = pytest.mark.slow

BUSY = """\
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[breaks.stand]
every = "2s"
duration = "1s"
[breaks.stretch]
every = "3s"
duration = "2s"
[breaks.walk]
every = "5s"
duration = "3s"
[prompt]
notice = "0s"
"""


# Reminders far off, every hour a working hour: only the answers a test gives are written.
CALM_CONFIG = """\
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[breaks.stand]
duration = "1s"
"""


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(POSTUREBREAK_HOME=str(home), PYTHONUNBUFFERED="1", TZ=local_noon_tz(), **extra)
    return env


@contextlib.contextmanager
def running_app(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """The real app in the console front end (stdin a pipe); stopped by PID afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "posturebreak", "run", "--console", *args],
        env=env or app_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def wait_serving(home: Path, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        with contextlib.suppress(NotRunning, ControlError):
            if request(resolve(app_env(home)), {"cmd": "status", "args": {}})["ok"]:
                return
        time.sleep(0.05)
    raise AssertionError("the app never answered")


def ask(home: Path, cmd: str, **args: object) -> dict[str, object]:
    return request(resolve(app_env(home)), {"cmd": cmd, "args": args})


def logged(home: Path) -> list[Event]:
    store, moved = EventStore.open(home / "events.sqlite3")
    with store:
        assert moved is None, f"the log was damaged: {moved}"
        return store.events()


ANSWERS = {"break": Action.STARTED, "skip": Action.SKIPPED, "snooze": Action.SNOOZED}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_a_busy_day_loses_no_acknowledged_event(tmp_path, seed):
    rng = random.Random(seed)
    (tmp_path / "config.toml").write_text(BUSY)
    acked: list[tuple[Action, datetime, datetime]] = []
    for _life in range(3):
        with running_app(tmp_path) as proc:
            wait_serving(tmp_path, proc)
            deadline = time.monotonic() + rng.uniform(0.5, 3.0)
            while time.monotonic() < deadline:
                cmd = rng.choice(list(ANSWERS))
                args = {"kind": rng.choice(["stand", "stretch", "walk"])} if cmd == "break" else {}
                before = datetime.now(timezone.utc)
                reply = ask(tmp_path, cmd, **args)
                if reply["ok"]:
                    acked.append((ANSWERS[cmd], before, datetime.now(timezone.utc)))
                time.sleep(rng.uniform(0, 0.2))
            proc.kill()  # SIGKILL: no clean shutdown at all
    events = logged(tmp_path)
    assert acked, "the scenario acknowledged nothing; it proves nothing"
    unmatched = list(events)
    for action, before, after in acked:
        match = next(
            (e for e in unmatched if e.action is action and before <= e.at <= after),
            None,
        )
        assert match is not None, f"acknowledged {action.value} at {before} is not in the log"
        unmatched.remove(match)


def test_the_log_survives_a_kill_9_and_the_next_start_uses_it(tmp_path):
    (tmp_path / "config.toml").write_text(BUSY)
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        assert ask(tmp_path, "break", kind="walk")["ok"]
        proc.kill()
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(10)
        _, err = proc.communicate(timeout=10)
    assert "could not be read" not in err
    assert logged(tmp_path)[0].action is Action.STARTED


def spoil_truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 7])


def spoil_garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database at all\n" * 200)


@pytest.mark.parametrize("spoil", [spoil_truncate, spoil_garbage])
def test_a_damaged_log_is_kept_aside_with_one_message_and_reminders_go_on(tmp_path, spoil):
    (tmp_path / "config.toml").write_text(BUSY)
    store, _ = EventStore.open(tmp_path / "events.sqlite3")
    with store:
        for i in range(200):
            store.append(
                Event.new(
                    datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=i),
                    BreakKind.STAND,
                    Action.PROMPTED,
                )
            )
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    original = (tmp_path / "events.sqlite3").read_bytes()
    spoil(tmp_path / "events.sqlite3")
    spoiled = (tmp_path / "events.sqlite3").read_bytes()
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        assert ask(tmp_path, "break", kind="stand")["ok"]
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(10)
        _, err = proc.communicate(timeout=10)
    aside = list(tmp_path.glob("events.sqlite3.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == spoiled != original
    assert err.count("could not be read") == 1
    assert "Traceback" not in err
    # The new log holds the break, ended by the quit that came in the middle of it.
    assert [e.action for e in logged(tmp_path)] == [Action.STARTED, Action.ENDED_EARLY]


def test_a_locked_log_holds_events_and_saves_them_once_free(tmp_path):
    (tmp_path / "config.toml").write_text(BUSY)
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        other = sqlite3.connect(tmp_path / "events.sqlite3", timeout=0)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            reply = None
            with contextlib.suppress(ControlError):
                reply = ask(tmp_path, "break", kind="walk")
            assert proc.poll() is None, "a locked log stopped the app"
        finally:
            other.rollback()
            other.close()
        assert ask(tmp_path, "status")["ok"]
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(10)
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    actions = [e.action for e in logged(tmp_path)]
    if reply is not None and reply["ok"]:
        assert Action.STARTED in actions


def test_a_read_only_log_keeps_answers_in_the_spool_and_says_why(pytestconfig):
    # The installed app as an ordinary user: root writes through read-only modes.
    user = asuser.subject(pytestconfig)
    with user.scratch() as home:
        made = user.python_c(
            "import sys; from pathlib import Path\n"
            "from posturebreak.storage.store import EventStore\n"
            "log = Path(sys.argv[1]); store, _ = EventStore.open(log); store.close()\n"
            "log.chmod(0o400)",
            str(home / "events.sqlite3"),
            env=user.env(home),
        )
        assert made.returncode == 0, made.stderr
        (home / "config.toml").write_text(CALM_CONFIG)
        user.own(home / "config.toml")
        env = user.env(home, POSTUREBREAK_HOME=str(home), TZ=local_noon_tz(), PYTHONUNBUFFERED="1")
        app = subprocess.Popen(
            [str(user.app), "run", "--console"],
            env=env,
            cwd=home,
            user=user.uid,
            group=user.gid,
            extra_groups=None if user.uid is None else [],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for _ in range(200):
                if user.run([str(user.app), "status"], env=env).returncode == 0:
                    break
                time.sleep(0.1)
            answer = user.run([str(user.app), "break", "stand"], env=env)
            assert user.run([str(user.app), "quit"], env=env).returncode == 0
            out, err = app.communicate(timeout=30)
        finally:
            app.kill()
        from posturebreak.storage.spool import read_pending

        spooled = read_pending(home / "events.spool")
    assert app.returncode == 0, err
    assert "Traceback" not in err
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "Stand break started.\n"  # durable in the spool: nothing to add
    assert Action.STARTED in [e.action for e in spooled]
    notices = [line for line in out.splitlines() if "is read-only" in line]
    assert len(notices) == 1, out
    assert "make the file and its folder writable by you" in notices[0]


def test_a_data_dir_under_a_regular_file_is_one_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    home = blocker / "home"
    with running_app(home) as proc:
        _, err = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert str(blocker) in err
    assert "is a file, not a directory" in err


def test_a_missing_log_is_started_fresh_without_a_word(tmp_path):
    (tmp_path / "config.toml").write_text(BUSY)
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(10)
        _, err = proc.communicate(timeout=10)
    assert err.strip() == ""
    assert (tmp_path / "events.sqlite3").exists()
    assert (tmp_path / "events.sqlite3").stat().st_mode & 0o077 == 0


def test_no_display_says_so_once_and_reminds_in_the_terminal(tmp_path):
    (tmp_path / "config.toml").write_text(BUSY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "posturebreak", "run"],
        env=app_env(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert "no display" in err
    assert "--console" in err
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        time.sleep(2.5)
        assert ask(tmp_path, "quit")["ok"]
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert any(e.action is Action.PROMPTED for e in logged(tmp_path))


@pytest.mark.gui
def test_no_tray_host_and_no_session_bus_still_remind(tmp_path):
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs Xvfb (pytest-xvfb)")
    (tmp_path / "config.toml").write_text(BUSY + '[tray]\nbackend = "xorg"\n')
    env = app_env(
        tmp_path, DISPLAY=os.environ["DISPLAY"], DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "posturebreak", "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_serving(tmp_path, proc)
        time.sleep(3)
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    notices = [line for line in err.splitlines() if "no system tray" in line]
    assert len(notices) == 1, err
    assert any(e.action is Action.PROMPTED for e in logged(tmp_path))


def test_a_simulated_month_keeps_memory_flat_and_the_log_exact(tmp_path):
    clock = FakeClock(at("2026-11-02 08:00:00"))
    store, _ = EventStore.open(tmp_path / "events.sqlite3")
    writer = LogWriter(store, Spool.open(tmp_path / "events.spool"), clock)
    front, wake = RecordingFront(), RecordingWakeup()
    engine = Engine(Context(Settings(), BERLIN), clock, writer, front, wake)

    def settle() -> None:
        engine.run_pending()

    def day(n: int) -> None:
        end = at("2026-11-02 18:00:00") + timedelta(days=n)
        settle()
        while wake.armed and wake.armed[-1] <= end:
            clock.advance(wake.armed[-1] - clock.now())
            engine.post(Tick())
            settle()
            # Answer every open prompt by starting the break, as a diligent worker would.
            while front.named("prompt"):
                front.calls.clear()
                engine.post(Do(StartBreak()))
                settle()
        front.calls.clear()
        front.views.clear()
        clock.advance(at("2026-11-03 08:00:00") + timedelta(days=n) - clock.now())

    writer.start()
    try:
        tracemalloc.start()
        for n in range(14):
            day(n)
        first = tracemalloc.get_traced_memory()[0]
        for n in range(14, 28):
            day(n)
        second = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        assert writer.close() == []
    events = logged(tmp_path)
    assert second - first < 256 * 1024, f"memory grew by {second - first} bytes in two weeks"
    prompted = [e for e in events if e.action is Action.PROMPTED]
    started = [e for e in events if e.action is Action.STARTED]
    assert prompted
    assert len(started) == len(prompted)
    assert not [e for e in events if e.action in {Action.SKIPPED, Action.MISSED}]


def cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "posturebreak", *argv],
        env=app_env(home),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_log_deleted_and_replaced_under_the_app_gets_the_next_answers(tmp_path):
    (tmp_path / "config.toml").write_text(BUSY)
    db = tmp_path / "events.sqlite3"
    sides = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    backup = tmp_path / "backup.sqlite3"
    with EventStore.open(backup)[0] as store:
        store.append(Event.new(datetime(2026, 1, 1, tzinfo=timezone.utc), None, Action.PAUSED))
    with running_app(tmp_path) as proc:
        wait_serving(tmp_path, proc)
        assert cli(tmp_path, "break", "stand").returncode == 0
        time.sleep(1.3)  # the one-second break is over
        # Keep the old files readable after they are deleted, to see that nothing reaches them.
        held = [os.open(f, os.O_RDONLY) for f in sides[:2]]
        try:
            for f in sides:
                f.unlink()
            backup.replace(db)
            before = [os.fstat(fd).st_size for fd in held]
            since = datetime.now(timezone.utc)
            assert cli(tmp_path, "break", "stand").returncode == 0
            skipped = cli(tmp_path, "skip").returncode == 0
            time.sleep(2.5)  # a prompt or two of the busy day goes to the log as well
            assert [os.fstat(fd).st_size for fd in held] == before
        finally:
            for fd in held:
                os.close(fd)
        assert ask(tmp_path, "quit")["ok"]
        proc.wait(10)
        out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err
    assert (out + err).count("answers from now on are saved there") == 1
    events = logged(tmp_path)
    assert events[0].action is Action.PAUSED  # the file that took the log's place
    after = [e for e in events if e.at >= since]
    assert Action.STARTED in [e.action for e in after]
    assert (Action.SKIPPED in [e.action for e in after]) or not skipped
    assert not [e for e in events[1:] if e.at < since], "the deleted log's events came back"
