"""The wake-up adapter against the real APScheduler, real short timers and real processes."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.scheduling import WakeupScheduler

REPO = Path(__file__).resolve().parent.parent
# Generous: these bound how long a broken test hangs, they are not speed requirements.
WAIT_S = 5.0
# How long to watch for a second, unwanted wake-up.
QUIET_S = 0.4


class Recorder:
    """A recording on_wake: remembers each reason, lets a test wait for the n-th one."""

    def __init__(self, hold_first: threading.Event | None = None) -> None:
        self.reasons: list[str] = []
        self._cond = threading.Condition()
        self._hold_first = hold_first
        self.entered = threading.Event()

    def __call__(self, reason: str) -> None:
        self.entered.set()
        if self._hold_first is not None and not self.reasons:
            # Keep the scheduler's thread busy, as a stuck or slow engine would.
            self._hold_first.wait(WAIT_S)
        with self._cond:
            self.reasons.append(reason)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[str]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.reasons) >= count, timeout)
            return list(self.reasons)

    def wait_for_reason(self, reason: str, timeout: float = WAIT_S) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: reason in self.reasons, timeout)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))


@pytest.fixture
def make_scheduler() -> Iterator[Callable[..., WakeupScheduler]]:
    made: list[WakeupScheduler] = []

    def make(on_wake: Callable[[str], None], **kwargs: object) -> WakeupScheduler:
        sched = WakeupScheduler(on_wake, **kwargs)  # type: ignore[arg-type]
        made.append(sched)
        return sched

    yield make
    for sched in made:
        sched.shutdown()


def scheduler_threads() -> list[str]:
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("APScheduler", "posturebreak-", "ThreadPoolExecutor"))
    ]


# --- in-process, real timers -------------------------------------------------------------


def test_wakeup_armed_ahead_fires_once_as_timer(make_scheduler):
    rec = Recorder()
    sched = make_scheduler(rec)
    sched.start()
    at = utcnow() + timedelta(milliseconds=50)
    sched.arm(at)
    assert sched.next_wakeup() == at

    assert rec.wait_for(1) == ["timer"]
    assert datetime.now(timezone.utc) >= at  # not early
    assert rec.wait_for(2, timeout=QUIET_S) == ["timer"]
    assert sched.next_wakeup() is None


def test_wakeup_in_the_past_still_fires(make_scheduler):
    rec = Recorder()
    sched = make_scheduler(rec)
    sched.start()
    sched.arm(utcnow() - timedelta(minutes=5))
    assert rec.wait_for(1) == ["timer"]


def test_rearming_replaces_the_previous_wakeup(make_scheduler):
    rec = Recorder()
    sched = make_scheduler(rec)
    sched.start()
    sched.arm(utcnow() + timedelta(milliseconds=50))
    later = utcnow() + timedelta(hours=1)
    sched.arm(later)
    # The near wake-up was replaced, so nothing comes when it would have been due.
    assert rec.wait_for(1, timeout=QUIET_S) == []
    assert sched.next_wakeup() == later

    sched.arm(utcnow() + timedelta(milliseconds=30))
    assert rec.wait_for(1) == ["timer"]
    assert rec.wait_for(2, timeout=QUIET_S) == ["timer"]


def test_wakeup_armed_before_start_fires_after_start(make_scheduler):
    rec = Recorder()
    sched = make_scheduler(rec)
    sched.arm(utcnow() + timedelta(milliseconds=20))
    assert rec.wait_for(1, timeout=0.2) == []
    sched.start()
    assert rec.wait_for(1) == ["timer"]


def test_wakeup_late_by_more_than_a_second_still_fires_exactly_once(make_scheduler):
    gate = threading.Event()
    rec = Recorder(hold_first=gate)
    sched = make_scheduler(rec)
    sched.start()
    sched.arm(utcnow())
    assert rec.entered.wait(WAIT_S)  # the scheduler's thread is now held in on_wake
    due = utcnow() + timedelta(milliseconds=50)
    sched.arm(due)
    # Hold it past APScheduler's default 1 s grace, which would drop the wake-up silently.
    while utcnow() < due + timedelta(seconds=1.5):
        threading.Event().wait(0.1)
    gate.set()

    assert rec.wait_for(2) == ["timer", "timer"]
    assert rec.wait_for(3, timeout=QUIET_S) == ["timer", "timer"]


def test_a_failing_callback_does_not_stop_later_wakeups(make_scheduler):
    seen: list[str] = []
    failed = threading.Event()
    fired = threading.Event()

    def on_wake(reason: str) -> None:
        seen.append(reason)
        if len(seen) == 1:
            failed.set()
            raise RuntimeError("engine queue is gone")
        fired.set()

    sched = make_scheduler(on_wake)
    sched.start()
    sched.arm(utcnow())
    assert failed.wait(WAIT_S)
    sched.arm(utcnow() + timedelta(milliseconds=50))
    assert fired.wait(WAIT_S)
    assert seen == ["timer", "timer"]


def test_shutdown_stops_every_thread_and_is_idempotent(make_scheduler):
    before = scheduler_threads()
    rec = Recorder()
    sched = make_scheduler(rec)
    sched.start()
    sched.arm(utcnow() + timedelta(hours=1))
    assert "APScheduler" in scheduler_threads()
    assert "posturebreak-clock-watch" in scheduler_threads()

    sched.shutdown()
    sched.shutdown()
    assert scheduler_threads() == before
    assert sched.next_wakeup() is None

    sched.arm(utcnow())  # the engine may still be draining: ignored, no error
    assert rec.wait_for(1, timeout=QUIET_S) == []
    with pytest.raises(RuntimeError, match="cannot start"):
        sched.start()


def test_naive_time_and_bad_settings_are_refused():
    sched = WakeupScheduler(lambda _reason: None)
    with pytest.raises(ValueError, match="timezone-aware"):
        sched.arm(datetime(2026, 1, 1, 9, 0))  # noqa: DTZ001  the naive time is the point
    with pytest.raises(ValueError, match="jump_check_s"):
        WakeupScheduler(lambda _reason: None, jump_check_s=0)
    with pytest.raises(ValueError, match="jump_threshold_s"):
        WakeupScheduler(lambda _reason: None, jump_threshold_s=float("nan"))


class JumpingWall:
    """A wall clock that runs with the real one until told to jump by ``shift`` seconds.

    It counts its readers, so a test can jump only after the watcher has taken its look.
    """

    def __init__(self) -> None:
        self.shift = 0.0
        self._reads = 0
        self._cond = threading.Condition()

    def __call__(self) -> float:
        with self._cond:
            self._reads += 1
            self._cond.notify_all()
        return time.time() + self.shift

    def wait_reads(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self._reads >= count, WAIT_S)


def test_clock_jump_is_reported_soon_after_the_armed_wakeup_not_after_jump_check(
    make_scheduler,
):
    wall = JumpingWall()
    rec = Recorder()
    sched = make_scheduler(rec, jump_check_s=3600.0, wall=wall)
    sched.start()
    wall.wait_reads(1)  # the watcher's starting point
    sched.arm(utcnow() + timedelta(milliseconds=200))
    wall.wait_reads(3)  # arm() read it, then the watcher looked again on being poked
    wall.shift = 3600.0

    assert rec.wait_for_reason("clock-jump")


def test_clock_jump_with_nothing_armed_is_reported_within_jump_check(make_scheduler):
    wall = JumpingWall()
    rec = Recorder()
    sched = make_scheduler(rec, jump_check_s=0.05, wall=wall)
    sched.start()
    wall.wait_reads(1)
    wall.shift = -3600.0
    assert rec.wait_for(1) == ["clock-jump"]
    # One jump, one report: the watcher compares with its last look.
    assert rec.wait_for(2, timeout=QUIET_S) == ["clock-jump"]


def test_small_clock_adjustments_are_not_jumps(make_scheduler):
    wall = JumpingWall()
    rec = Recorder()
    sched = make_scheduler(rec, jump_check_s=0.05, jump_threshold_s=2.0, wall=wall)
    sched.start()
    wall.wait_reads(1)
    wall.shift = 1.0
    assert rec.wait_for(1, timeout=QUIET_S) == []


def test_importing_the_module_does_not_load_apscheduler():
    code = "import sys, posturebreak.scheduling; print('apscheduler' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert out.stdout.strip() == "False"


# --- real processes ----------------------------------------------------------------------

# A stand-in engine: arms one wake-up DELAY seconds ahead and prints every wake reason with its
# monotonic time. Like the real engine, it re-arms on a clock jump (keeping the time still to
# go), and it stops on SIGTERM or when stdin closes.
CHILD = """
import queue, signal, sys, threading, time
from datetime import datetime, timedelta, timezone
from posturebreak.scheduling import WakeupScheduler

delay = float(sys.argv[1])
inbox = queue.SimpleQueue()
signal.signal(signal.SIGTERM, lambda *_: inbox.put(None))
sched = WakeupScheduler(inbox.put)
sched.start()
armed = time.monotonic()
due = armed + delay
sched.arm(datetime.now(timezone.utc) + timedelta(seconds=delay))
print(f"armed {armed:.3f}", flush=True)

def watch_stdin():
    sys.stdin.read()
    inbox.put(None)

threading.Thread(target=watch_stdin, daemon=True).start()
fired = False
while (reason := inbox.get()) is not None:
    print(f"{reason} {time.monotonic():.3f}", flush=True)
    if reason == "timer":
        fired = True
    elif not fired:
        left = max(0.0, due - time.monotonic())
        sched.arm(datetime.now(timezone.utc) + timedelta(seconds=left))
sched.shutdown()
print("bye", flush=True)
"""


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


class Child:
    """The stand-in engine process, with its stdout lines collected by a reader thread."""

    def __init__(self, delay: float, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(delay)],
            cwd=REPO,
            env=child_env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._stderr: str | None = None
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.put(line.strip())

    def expect(self, word: str, timeout: float = WAIT_S * 2) -> float:
        """Wait for a line starting with ``word``; returns its monotonic time (0 for "bye")."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.0, left))
            except queue.Empty:
                stderr = self.stop()
                pytest.fail(f"no {word!r} line within {timeout} s; saw {self.seen}; {stderr}")
            self.seen.append(line)
            if line.split()[0] == word:
                return float(line.split()[1]) if " " in line else 0.0

    def drain(self, wait: float) -> list[str]:
        """Every line that arrives within ``wait`` seconds."""
        threading.Event().wait(wait)
        # Only this thread takes from the queue, so empty() cannot race with get_nowait().
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return list(self.seen)

    def stop(self) -> str:
        """Make sure the process is gone (by its PID); returns its stderr."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
        self.proc.wait(WAIT_S)
        assert self.proc.stdin is not None
        assert self.proc.stderr is not None
        self.proc.stdin.close()
        if self._stderr is None:
            self._stderr = self.proc.stderr.read()
            self.proc.stderr.close()
        self._reader.join(WAIT_S)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self._stderr


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        child.stop()


def reasons(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines if line.split()[0] in {"timer", "clock-jump"}]


@pytest.mark.slow
def test_process_stopped_past_its_wakeup_fires_once_on_continue_and_exits_on_sigterm(children):
    child = Child(0.5)
    children.append(child)
    child.expect("armed")
    os.kill(child.proc.pid, signal.SIGSTOP)
    stopped_at = time.monotonic()
    threading.Event().wait(2.0)  # a 2 s "suspend", well past the wake-up and the 1 s grace
    os.kill(child.proc.pid, signal.SIGCONT)

    fired_at = child.expect("timer")
    assert fired_at > stopped_at, "the wake-up fired before the process was stopped"
    assert reasons(child.drain(QUIET_S * 2)) == ["timer"]  # one catch-up, not a pile

    child.proc.send_signal(signal.SIGTERM)
    child.expect("bye")
    assert child.proc.wait(WAIT_S) == 0


@pytest.mark.slow
def test_process_exits_cleanly_when_stdin_closes(children):
    child = Child(0.05)
    children.append(child)
    child.expect("armed")
    child.expect("timer")
    assert child.proc.stdin is not None
    child.proc.stdin.close()
    child.expect("bye")
    assert child.proc.wait(WAIT_S) == 0
    assert child.stop() == ""  # nothing on stderr: no traceback, no warning


def find_libfaketime() -> str | None:
    if shutil.which("faketime") is None:
        return None
    for base in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"):
        lib = Path(base) / "faketime" / "libfaketimeMT.so.1"
        if lib.exists():
            return str(lib)
    return None


@pytest.mark.slow
def test_wall_clock_set_back_mid_run_does_not_stall_the_wakeup(children, tmp_path):
    lib = find_libfaketime()
    if lib is None:
        pytest.skip("libfaketime not installed (Debian package 'faketime')")
    offset_file = tmp_path / "faketime.txt"
    offset_file.write_text("+0\n")
    child = Child(
        2.0,
        env={
            "LD_PRELOAD": lib,
            "FAKETIME_TIMESTAMP_FILE": str(offset_file),
            "FAKETIME_NO_CACHE": "1",
            # Only the wall clock moves; see TESTING.md about time.sleep() under this setting.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        },
    )
    children.append(child)
    armed_at = child.expect("armed")
    # Mid-run: after the watcher's look on arm(), so only the look just after due time can
    # notice it, while APScheduler is about to find its job an hour away.
    threading.Event().wait(0.5)
    # Set the child's wall clock back an hour, atomically so it never reads a half-written file.
    staged = tmp_path / "faketime.new"
    staged.write_text("-3600\n")
    staged.replace(offset_file)

    fired_at = child.expect("timer", timeout=30.0)
    elapsed = fired_at - armed_at
    # On time in elapsed terms: not early, and nowhere near the hour a stalled job would take.
    assert 1.9 <= elapsed < 30.0
    assert "clock-jump" in reasons(child.seen)
    child.proc.send_signal(signal.SIGTERM)
    # shutdown() is bounded at 5 s per thread (watcher, then APScheduler); under libfaketime
    # with the wall clock an hour back, a loaded machine can need most of that bound.
    child.expect("bye", timeout=20.0)
    assert child.proc.wait(WAIT_S) == 0
