"""The wake-up adapter: APScheduler 3 arms the one wake-up the policy asks for.

The engine runs a pure policy that says "wake me at T". :class:`WakeupScheduler` makes that
happen with a ``BackgroundScheduler`` and no polling loop: exactly one job, id ``"wakeup"``,
replaced on every :meth:`~WakeupScheduler.arm`.

Traps this module exists to avoid:

- APScheduler's default ``misfire_grace_time=1`` silently drops a wake-up that runs a second
  late (a busy machine, a suspend). The job uses ``misfire_grace_time=None, coalesce=True``, so
  a late wake-up always runs, and runs once.
- APScheduler sleeps on a monotonic timer but decides what is due by wall time. A wall clock
  moved back stalls the job until the old time comes round again; one moved forward makes it
  fire late. A suspend looks the same: monotonic time stands still while wall time runs on.
  A small watcher thread compares ``wall - monotonic`` and reports a jump as
  ``on_wake("clock-jump")``, after which the engine re-arms with a fresh time.

Cost when idle: the scheduler thread sleeps until the armed time (no timer at all when nothing is
armed); the watcher wakes at most once per ``jump_check_s`` (60 s by default), plus once just after
each armed wake-up is due, so that a jump that stalled it is noticed at once. A jump is therefore
noticed within ``jump_check_s`` at worst, and within a fraction of a second when the wake-up that
it affects is the next thing due.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

logger = logging.getLogger(__name__)

JOB_ID = "wakeup"
"""The id of the one APScheduler job; every :meth:`WakeupScheduler.arm` replaces it."""

REASON_TIMER = "timer"
"""``on_wake`` reason: the armed wake-up is due."""

REASON_CLOCK_JUMP = "clock-jump"
"""``on_wake`` reason: the wall clock moved (set by hand, NTP step, resume from suspend)."""

# The watcher looks just after the armed wake-up should have fired: if a jump stalled it,
# this is the earliest moment the stall is visible.
_AFTER_DUE_MARGIN_S = 0.1

# Bounded shutdown: how long to wait for each thread before leaving it (they are daemons).
_JOIN_TIMEOUT_S = 5.0


class _State(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPED = "stopped"


class WakeupScheduler:
    """Arms one wake-up at a time and reports it, and any wall-clock jump, through ``on_wake``.

    ``on_wake`` is called from the scheduler's thread (``"timer"``) or the watcher thread
    (``"clock-jump"``); it must only enqueue a tick. It runs inline on the scheduler's own
    thread (no thread pool): if it were ever held up, the next wake-up would simply run late,
    never be dropped, whereas a pool with ``max_instances=1`` drops a job whose previous run
    is still going.

    ``wall`` and ``mono`` feed the jump watcher (tests inject a wall clock that jumps); the
    scheduler itself always uses the real clock. ``start``, ``arm`` and ``shutdown`` are called
    from the engine (or the composition root); ``next_wakeup`` from any thread.
    """

    def __init__(
        self,
        on_wake: Callable[[str], None],
        *,
        jump_check_s: float = 60.0,
        jump_threshold_s: float = 2.0,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(jump_check_s) and jump_check_s > 0):
            raise ValueError(f"jump_check_s must be a positive number, got {jump_check_s!r}")
        if not (math.isfinite(jump_threshold_s) and jump_threshold_s > 0):
            raise ValueError(
                f"jump_threshold_s must be a positive number, got {jump_threshold_s!r}"
            )
        self._on_wake = on_wake
        self._jump_check_s = jump_check_s
        self._jump_threshold_s = jump_threshold_s
        self._wall = wall
        self._mono = mono
        self._lock = threading.Lock()
        self._state = _State.NEW
        # Each arm() gets a new generation, so a run of a replaced job cannot clear the new one.
        self._generation = 0
        self._armed_at: datetime | None = None
        self._due_mono: float | None = None
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the scheduler and the jump watcher; arms what ``arm`` asked for before.

        Raises:
            RuntimeError: when called twice, or after ``shutdown``.
        """
        from apscheduler.executors.debug import DebugExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        with self._lock:
            if self._state is not _State.NEW:
                raise RuntimeError(f"the wake-up scheduler cannot start: it is {self._state.value}")
            scheduler = BackgroundScheduler(
                timezone=timezone.utc,
                daemon=True,
                executors={"default": DebugExecutor()},
                job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            )
            scheduler.start()
            self._scheduler = scheduler
            self._state = _State.RUNNING
            pending = self._armed_at
            generation = self._generation
            self._watcher = threading.Thread(
                target=self._watch, name="posturebreak-clock-watch", daemon=True
            )
            self._watcher.start()
        if pending is not None:
            self._submit(scheduler, pending, generation)

    def arm(self, at: datetime) -> None:
        """Wake the engine at ``at`` with ``on_wake("timer")``; replaces the previous wake-up.

        A time in the past fires promptly (it still fires). Before ``start`` the request is kept
        and armed on start; after ``shutdown`` it is ignored, since nothing is left to wake.

        Raises:
            ValueError: when ``at`` is naive (a programming error: times are aware UTC).
        """
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"wake-up time must be timezone-aware, got {at!r}")
        at = at.astimezone(timezone.utc)
        now = datetime.fromtimestamp(self._wall(), tz=timezone.utc)
        with self._lock:
            if self._state is _State.STOPPED:
                logger.debug("wake-up at %s ignored: the scheduler is shut down", at)
                return
            self._generation += 1
            generation = self._generation
            self._armed_at = at
            self._due_mono = self._mono() + max(0.0, (at - now).total_seconds())
            scheduler = self._scheduler
        self._poke.set()  # the watcher re-times its next look around the new due time
        if scheduler is not None:
            self._submit(scheduler, at, generation)

    def next_wakeup(self) -> datetime | None:
        """The armed wake-up time (UTC) if it has not fired yet, else ``None``."""
        with self._lock:
            return self._armed_at

    def shutdown(self) -> None:
        """Stop the scheduler and the watcher; idempotent, and bounded in time.

        A thread still stuck in ``on_wake`` after a few seconds is left behind (it is a daemon
        and cannot keep the process alive) and a warning is logged. Not to be called from
        ``on_wake`` on the scheduler's thread (it would wait for itself until the time limit).
        """
        with self._lock:
            if self._state is _State.STOPPED:
                return
            self._state = _State.STOPPED
            self._armed_at = None
            self._due_mono = None
            scheduler, self._scheduler = self._scheduler, None
            watcher, self._watcher = self._watcher, None
        self._stop.set()
        self._poke.set()
        current = threading.current_thread()
        if watcher is not None and watcher is not current:
            watcher.join(_JOIN_TIMEOUT_S)
            if watcher.is_alive():
                logger.warning("clock watcher did not stop within %.0f s", _JOIN_TIMEOUT_S)
        if scheduler is not None:
            # BackgroundScheduler.shutdown joins its thread with no timeout (and cannot be called
            # from that thread); a helper thread keeps our own wait bounded.
            stopper = threading.Thread(
                target=scheduler.shutdown,
                kwargs={"wait": False},
                name="posturebreak-wakeup-stop",
                daemon=True,
            )
            stopper.start()
            stopper.join(_JOIN_TIMEOUT_S)
            if stopper.is_alive():
                logger.warning("wake-up scheduler did not stop within %.0f s", _JOIN_TIMEOUT_S)

    def _submit(self, scheduler: BackgroundScheduler, at: datetime, generation: int) -> None:
        from apscheduler.triggers.date import DateTrigger

        # After a shutdown that raced with arm(), add_job only parks the job: harmless.
        scheduler.add_job(
            self._fire,
            trigger=DateTrigger(run_date=at, timezone=timezone.utc),
            args=(generation,),
            id=JOB_ID,
            name="posturebreak wake-up",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    def _fire(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._armed_at = None
                self._due_mono = None
        self._call(REASON_TIMER)

    def _call(self, reason: str) -> None:
        try:
            self._on_wake(reason)
        except Exception:
            # A failing callback must not kill the watcher or spam APScheduler's job log.
            logger.exception("on_wake(%r) failed", reason)

    def _next_look_s(self) -> float:
        with self._lock:
            due = self._due_mono
        if due is None:
            return self._jump_check_s
        left = due - self._mono()
        if left < 0:
            # Already past the look just after due time; back to the slow rhythm.
            return self._jump_check_s
        return min(self._jump_check_s, left + _AFTER_DUE_MARGIN_S)

    def _offset(self) -> float:
        return self._wall() - self._mono()

    def _watch(self) -> None:
        base = self._offset()
        while not self._stop.is_set():
            self._poke.wait(self._next_look_s())
            self._poke.clear()
            if self._stop.is_set():
                return
            offset = self._offset()
            delta = offset - base
            # Compare with the last look, not the start: slow NTP slewing never adds up to a jump.
            base = offset
            if abs(delta) > self._jump_threshold_s:
                logger.info("wall clock jumped by %+.1f s; asking for a re-arm", delta)
                self._wake_scheduler()
                self._call(REASON_CLOCK_JUMP)

    def _wake_scheduler(self) -> None:
        with self._lock:
            scheduler = self._scheduler
        if scheduler is not None:
            # It re-reads the wall clock now instead of at the end of a stale wait.
            scheduler.wakeup()
