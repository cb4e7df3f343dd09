"""The log writer: the one thread that owns the SQLite log and the spool.

The engine hands it each step's events and goes on at once; the writer makes them durable
and then calls the step's ``done`` with a :class:`~posturebreak.storage.durability.Saved`, which is
when the window or the CLI hears that its answer was taken. SQLite gets a few milliseconds
(``BUSY_MS``) to take a write; when it cannot (another program holds it locked, the disk is
full, the file is read-only or gone) the events are fsynced to the spool instead, so a locked
log costs the person no more time than a healthy one. While the spool holds events every
new write goes behind them, and every write (and a retry every few seconds) tries to move
the whole spool into the log in one transaction: in order, and exactly once, because the log
ignores an id it already holds.

One notice names the cause and what to do, at most once an hour while the trouble lasts;
when the waiting events reach the log, a second one says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from posturebreak.clock import Clock
from posturebreak.core.domain import Event
from posturebreak.core.effects import Notify
from posturebreak.storage.durability import LOGGED, Durability, Problem, Saved
from posturebreak.storage.spool import Spool
from posturebreak.storage.store import EventStore, StoreError

_log = logging.getLogger(__name__)

# How long a write waits for another program's lock before the spool takes it: short, so the
# reply to a click or a command is as quick with the log locked as with it free.
BUSY_MS = 10
# How often a waiting spool is offered to the log again.
RETRY_S = 2.0
# The trouble notice is repeated at most this often while the trouble lasts.
NOTICE_EVERY_S = 3600.0


@dataclass(frozen=True)
class _Write:
    events: tuple[Event, ...]
    done: Callable[[Saved], None] | None = None


@dataclass(frozen=True)
class _Stop:
    finished: threading.Event = field(default_factory=threading.Event)


class LogWriter:
    """Writes the engine's events; ``submit`` from the engine thread, the rest from the owner.

    ``tell`` receives the notices (the engine's inbox). Before :meth:`start` the owner (the
    composition root) may call :meth:`recover`, :meth:`write_now` and :meth:`pending` on its
    own thread; from ``start`` on, only the writer thread touches the store and the spool.
    """

    def __init__(
        self,
        store: EventStore,
        spool: Spool,
        clock: Clock,
        *,
        tell: Callable[[Notify], None] | None = None,
        retry_s: float = RETRY_S,
        busy_ms: int = BUSY_MS,
    ) -> None:
        self._store = store
        self._spool = spool
        self._clock = clock
        self._retry_s = retry_s
        self._memory: list[Event] = []  # neither the log nor the spool could take these
        self._queue: queue.Queue[_Write | _Stop] = queue.Queue()
        self._retry_at = 0.0  # monotonic time of the next offer of the spool to the log
        self._thread: threading.Thread | None = None
        # Where notices go: the engine's inbox (any thread may post there).
        self._tell: Callable[[Notify], None] = tell if tell is not None else (lambda _note: None)
        self._told_at: float | None = None  # monotonic time of the last trouble notice
        self._told_durable = True  # whether that notice said the answers were safe
        self._troubled = False
        # Why the log last refused a write (what a notice names while the spool is in use).
        self._trouble_cause = StoreError("the event log refuses writes")
        store.set_busy_timeout(busy_ms)

    # --- the owner, before start ----------------------------------------------------------

    def pending(self) -> list[Event]:
        """Events not in the log yet (spool, then memory), oldest first."""
        return self._spool.pending() + self._memory

    def recover(self) -> Saved:
        """Move what waits in the spool into the log (at start; the writer thread retries)."""
        return self._write(())

    def write_now(self, events: Sequence[Event]) -> Saved:
        """Write ``events`` on the calling thread (start-up work, before :meth:`start`)."""
        return self._write(tuple(events))

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="posturebreak-log", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 30.0) -> list[Event]:
        """Write what is queued, try the log once more, stop; the events still only in memory.

        The spool stays on disk for the next start. Returns the events that could not be made
        durable at all (the caller says so: they are lost when the process ends).
        """
        thread = self._thread
        if thread is not None:
            stop = _Stop()
            self._queue.put(stop)
            stop.finished.wait(timeout)
            thread.join(1.0)
            self._thread = None
        left = list(self._memory)
        self._spool.close()
        self._store.close()
        return left

    # --- the engine thread ----------------------------------------------------------------

    def submit(self, events: Sequence[Event], done: Callable[[Saved], None] | None = None) -> None:
        """Queue ``events`` for writing, in order; ``done`` hears the outcome (writer thread)."""
        self._queue.put(_Write(tuple(events), done))

    # --- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            waiting = bool(self._memory or len(self._spool))
            if waiting and time.monotonic() >= self._retry_at:
                self._write(())
                continue
            timeout = max(0.0, self._retry_at - time.monotonic()) if waiting else None
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                continue
            if isinstance(item, _Stop):
                self._drain()
                item.finished.set()
                return
            self._apply(item)

    def _apply(self, item: _Write) -> None:
        saved = self._write(item.events)
        if item.done is not None:
            try:
                item.done(saved)
            except Exception:  # noqa: BLE001  an undeliverable reply must not stop the writer
                _log.exception("log writer: could not deliver an outcome")

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Write):
                self._apply(item)
        if self._memory or len(self._spool):
            self._write(())

    def _write(self, events: tuple[Event, ...]) -> Saved:
        backlog = self.pending()
        if not backlog and not events:
            return LOGGED
        if backlog and events:
            # In trouble already: new answers go straight behind the waiting ones, so the reply
            # does not wait for SQLite's lock; the retry (and the quit) moves them all.
            return self._keep(events, self._trouble_cause)
        try:
            replaced = self._store.write([*backlog, *events])
        except StoreError as exc:
            # Real time, not the engine's clock: this paces the disk, not the person's day.
            self._retry_at = time.monotonic() + self._retry_s
            return self._keep(events, exc)
        if replaced is not None:
            self._tell(Notify("posturebreak reopened its log", replaced.message()))
        if backlog:
            self._merged(backlog)
        return LOGGED

    def _merged(self, backlog: list[Event]) -> None:
        self._memory = []
        try:
            self._spool.clear(backlog)
        except OSError as exc:  # the next merge finds them in the log and adds nothing twice
            _log.warning("spool %s could not be emptied: %s", self._spool.path, exc)
        _log.info("the log is writable again; %d waiting event(s) reached it", len(backlog))
        if self._troubled:
            self._troubled = False
            self._tell(
                Notify(
                    "posturebreak saved your waiting answers",
                    f"{len(backlog)} event(s) that waited in {self._spool.path.name}"
                    " are in the log now.",
                )
            )

    def _keep(self, events: tuple[Event, ...], exc: StoreError) -> Saved:
        """The log refused ``events``: fsync them to the spool, or keep them in memory."""
        self._trouble_cause = exc
        try:
            if self._memory:
                self._spool.append(self._memory)  # older than ``events``: first
                self._memory = []
            self._spool.append(events)
        except OSError as err:
            self._memory.extend(events)
            why = f"{exc.problem.cause(self._store.where)}, and so is {self._spool.path}"
            saved = Saved(Durability.UNSAVED, exc.problem, f"{why} ({err.strerror or err})")
        else:
            saved = Saved(Durability.SPOOLED, exc.problem)
        self._trouble(exc, saved)
        return saved

    def _trouble(self, exc: StoreError, saved: Saved) -> None:
        """Tell the person once an hour, or at once when answers are no longer safe."""
        now = self._clock.monotonic()
        self._troubled = True
        worse = not saved.durable and self._told_durable
        if not worse and self._told_at is not None and now - self._told_at < NOTICE_EVERY_S:
            return
        self._told_at, self._told_durable = now, saved.durable
        _log.warning("cannot write to the log: %s (answers kept in the %s)", exc, saved.where.value)
        self._tell(
            trouble_note(exc.problem, self._store.where, self._spool.path, len(self._memory))
        )


def trouble_note(problem: Problem, where: str, spool: Path, unsaved: int) -> Notify:
    """The one notice for a log that refuses writes: the cause, where answers are, what to do."""
    cause = problem.cause(where)
    cause = cause[0].upper() + cause[1:]
    if unsaved:
        body = (
            f"{cause}, and {spool.name} has no room either: {unsaved} answer(s) are only in"
            f" memory until there is room; {problem.remedy()}."
        )
    else:
        body = (
            f"{cause}. Your answers are kept safe in {spool.name} and go into the log by"
            f" themselves once it is writable; {problem.remedy()}."
        )
    return Notify("posturebreak cannot write its log", body)
