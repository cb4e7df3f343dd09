"""The event log: an append-only SQLite table of ``Event``.

WAL mode with ``synchronous=FULL``: each ``append`` is one committed transaction, so a crash or
``kill -9`` loses nothing that was acknowledged. Readers (the CLI) never block the writer.

Every row carries a sequence number assigned at append; reads come back in that order (the
order things happened on this machine), while time ranges filter on the event's own time.

Damage is SQLite's word alone (``PRAGMA quick_check`` through the -wal, or SQLITE_CORRUPT /
NOTADB): a damaged file is renamed aside, never deleted. Before each write the store checks
that its path still names the file it opened (one stat), and reopens the log there if not.

Thread rule: one ``EventStore`` is used by one thread at a time — the engine's. It may be opened
on another thread (the composition root) and handed over, but never shared. Readers such as the
CLI open their own ``EventStore`` on the same file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.insight import Bucket
from posturebreak.storage import aggregate, files
from posturebreak.storage.durability import Problem
from posturebreak.storage.errors import StoreError, StoreLocked, is_damage, translate
from posturebreak.storage.files import DamagedLogError, Ident, LogReplaced, MovedAside
from posturebreak.storage.schema import SCHEMA_VERSION, migrate, refuse_newer

__all__ = ["EventStore", "LogReplaced", "MovedAside", "StoreError", "StoreLocked"]

_log = logging.getLogger(__name__)


_SELECT = "SELECT id, at, kind, action, duration_s, detail, seq FROM events"
# The number is taken inside the INSERT itself, so it is assigned in the same transaction (under
# the write lock) as the row: two processes appending at once can never draw the same one.
_INSERT = (
    "INSERT INTO events (id, at, kind, action, duration_s, detail, seq)"
    " VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM events))"
)
# insight.to_buckets in SQL: per UTC quarter hour ("2026-11-21T09:15"), kind ('' for none),
_LATEST = "ORDER BY seq DESC LIMIT 1"


def _row_to_event(row: tuple[str, str, str | None, str, float | None, str, int]) -> Event:
    event_id, at, kind, action, duration_s, detail, seq = row
    try:
        return Event(
            id=event_id,
            at=datetime.fromisoformat(at),
            kind=None if kind is None else BreakKind(kind),
            action=Action(action),
            duration_s=duration_s,
            detail=detail,
            seq=seq,
        )
    except ValueError as exc:
        raise StoreError(
            f"Event {event_id} in the log cannot be read ({exc}); was it written by a newer"
            " posturebreak? Upgrade posturebreak."
        ) from None


class EventStore:
    """The append-only event log on one SQLite file (or in memory, for tests).

    Use it from one thread only (the engine's); other processes open their own.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        where: str,
        busy_timeout_ms: int,
        path: Path | None = None,
        ident: Ident | None = None,
    ) -> None:
        """Wrap an open, migrated connection; use ``open`` or ``memory`` instead."""
        self._conn = conn
        self._where = where
        self._busy_ms = busy_timeout_ms
        # The path as given (it may be a link) and the file the connection has open.
        self._path = path
        self._ident = ident
        self._notice: LogReplaced | None = None
        # Why the connection was closed when the file went away and could not be reopened yet.
        self._lost: str | None = None

    @classmethod
    def open(cls, path: Path, busy_timeout_ms: int = 5000) -> tuple[EventStore, MovedAside | None]:
        """Open (creating as needed) the log at ``path`` and bring its schema up to date.

        A file SQLite reports damaged, or a foreign database, (and its -wal/-shm) is renamed to
        ``<name>.corrupt-<UTC timestamp>`` and a new empty log started; the ``MovedAside`` says
        where it went. When ``path`` is a symlink, the file it points to is the log: that is
        what is checked and moved aside, and the link is left to name the new log. Raises
        ``StoreError`` for a log from a newer posturebreak, permission problems or a full disk,
        and ``StoreLocked`` when another process holds the write lock.
        """
        with files.private_umask():
            try:
                return cls._open_file(path, busy_timeout_ms), None
            except DamagedLogError as damaged:
                moved = files.move_aside(files.real(path), str(damaged))
            try:
                return cls._open_file(path, busy_timeout_ms), moved
            except DamagedLogError as damaged:  # a brand-new file never is
                raise StoreError(f"Cannot start a new event log at {path}: {damaged}.") from None

    @classmethod
    def _open_file(cls, path: Path, busy_timeout_ms: int) -> EventStore:
        real = files.real(path)
        files.prepare_file(real)
        where = str(real)
        try:
            # Judge the file read-only first: a writable connection would fold a -wal into a
            # damaged file (and delete it) on close, and the damaged file must be kept intact.
            before = files.ident(real)
            probe = sqlite3.connect(real.as_uri() + "?mode=ro", uri=True)
            try:
                version = files.probe(
                    probe, thorough=files.size_with_wal(real) <= files.THOROUGH_MAX_BYTES
                )
            finally:
                probe.close()
            refuse_newer(where, version)
            conn = sqlite3.connect(
                where,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,  # opened by the composition root, used by the engine
            )
        except sqlite3.Error as exc:
            raise translate(exc, where, "open the log", busy_timeout_ms) from None
        try:
            store = cls._setup(conn, where, busy_timeout_ms, version, wal=True)
        except sqlite3.Error as exc:
            conn.close()
            if is_damage(exc):
                raise DamagedLogError(f"SQLite finds it damaged: {exc}") from None
            raise translate(exc, where, "open the log", busy_timeout_ms) from None
        except BaseException:
            conn.close()
            raise
        # The same file before the check and after the connection is set up: that file is the
        # one the connection holds (SQLite does not hand out its descriptor to fstat).
        store._path = path
        store._ident = before if before is not None and before == files.ident(real) else None
        return store

    @classmethod
    def memory(cls) -> EventStore:
        """A fresh log in memory, migrated to the current schema (for tests)."""
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        return cls._setup(conn, ":memory:", 0, 0, wal=False)

    @classmethod
    def _setup(
        cls, conn: sqlite3.Connection, where: str, busy_ms: int, version: int, *, wal: bool
    ) -> EventStore:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        if wal:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                _log.warning("event log %s cannot use WAL (journal mode %s)", where, mode)
        conn.execute("PRAGMA synchronous = FULL")
        if version < SCHEMA_VERSION:
            migrate(conn, where)
        return cls(conn, where, busy_ms)

    def append(self, event: Event) -> LogReplaced | None:
        """Add ``event`` in one committed transaction; ``StoreError`` if it cannot be saved.

        The log gives it the next sequence number (any ``event.seq`` is ignored). When the log
        file was deleted or replaced since it was opened, the store first opens (or starts) the
        log now at the path and writes there, never into the lost file; the ``LogReplaced``
        returned says so, once.
        """
        self._notice = self._follow_path() or self._notice
        try:
            self._conn.execute(_INSERT, _row(event))
        except sqlite3.IntegrityError as exc:
            if "events.id" not in str(exc):
                raise translate(exc, self._where, "save an event", self._busy_ms) from None
            raise ValueError(f"event {event.id} is already in the log") from None
        except sqlite3.Error as exc:
            raise translate(exc, self._where, "save an event", self._busy_ms) from None
        # Told with the first event that reached the new file (a failed write keeps it).
        notice, self._notice = self._notice, None
        return notice

    @property
    def where(self) -> str:
        """The file the log is in (the target of a linked path), for messages."""
        return self._where

    def write(self, events: Sequence[Event]) -> LogReplaced | None:
        """Add the ``events`` whose id is not in the log yet, in one committed transaction.

        What the log writer uses: a batch (the spool and what came since) goes in whole or not
        at all, and an event the log already holds (merged before a crash cleared the spool)
        is not added twice. Follows a replaced log file like :meth:`append`.
        """
        self._notice = self._follow_path() or self._notice
        self.merge(events)
        notice, self._notice = self._notice, None
        return notice

    def set_busy_timeout(self, busy_timeout_ms: int) -> None:
        """How long a write waits for another process's lock before it fails."""
        self._busy_ms = busy_timeout_ms
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        except sqlite3.Error as exc:
            raise translate(exc, self._where, "set up the log", self._busy_ms) from None

    def _follow_path(self) -> LogReplaced | None:
        """Reopen the log if its path no longer names the file open (one stat per write)."""
        if self._path is None:
            return None
        if self._lost is None:
            now = files.ident(self._path)
            if now is not None and now == self._ident:
                return None
            reason = "was deleted; a new log was started" if now is None else "was replaced"
            _log.warning("event log %s %s while open; reopening it", self._path, reason)
            # SQLite skips the closing checkpoint of a file that moved, so closing cannot touch
            # the sidecars of whatever file is at the path now.
            self._conn.close()
            self._lost = reason
            if now is None:
                files.keep_orphans(files.real(self._path))
        try:
            fresh, moved = EventStore.open(self._path, self._busy_ms)
        except StoreError as exc:
            # Nothing is written into the lost file; the next write tries to open it again.
            problem = Problem.MISSING if exc.problem is Problem.OTHER else exc.problem
            raise StoreError(str(exc), problem) from None
        reason, self._lost = self._lost, None
        self._conn, self._where, self._ident = fresh._conn, fresh._where, fresh._ident
        return LogReplaced(self._path, reason, moved)

    def merge(self, events: Iterable[Event]) -> int:
        """Add the events whose id is not in the log yet, in one transaction; how many were new.

        The new ones get this log's next sequence numbers in the order given (an export's order,
        for ``import``); the numbers they carried from another machine are ignored.
        """
        rows = (_row(e) for e in events)  # streamed: an import can be far bigger than memory
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                before = self._conn.total_changes
                self._conn.executemany(_INSERT.replace("INSERT", "INSERT OR IGNORE", 1), rows)
                added = self._conn.total_changes - before
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # SQLite already rolled back on a full disk
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise translate(exc, self._where, "merge events", self._busy_ms) from None
        return added

    def events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kinds: Collection[BreakKind] | None = None,
        actions: Collection[Action] | None = None,
    ) -> list[Event]:
        """The matching events in the order they were appended (by sequence number).

        ``since`` (inclusive) and ``until`` (exclusive) filter by the time the event carries.
        """
        return list(self.iter_events(since, until, kinds, actions))

    def iter_events(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        kinds: Collection[BreakKind] | None = None,
        actions: Collection[Action] | None = None,
    ) -> Iterator[Event]:
        """Like ``events``, streamed in batches for big logs (finish it before writing)."""
        clauses: list[str] = []
        params: list[str] = []
        if since is not None:
            clauses.append("at >= ?")
            params.append(aggregate.at_text(since))
        if until is not None:
            clauses.append("at < ?")
            params.append(aggregate.at_text(until))
        for column, values in (
            ("kind", None if kinds is None else [k.value for k in kinds]),
            ("action", None if actions is None else [a.value for a in actions]),
        ):
            if values is None:
                continue
            if not values:
                return
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{_SELECT}{where} ORDER BY seq"  # clauses hold only placeholders
        try:
            cursor = self._conn.execute(sql, params)
            while batch := cursor.fetchmany(1000):
                yield from (_row_to_event(r) for r in batch)
        except sqlite3.Error as exc:
            raise translate(exc, self._where, "read events", self._busy_ms) from None

    def buckets(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        actions: Collection[Action] | None = None,
    ) -> list[Bucket]:
        """``insight.to_buckets`` of the matching events, aggregated by SQLite.

        Stats over years of a heavy user's log stay interactive this way: SQLite groups a
        million rows far faster than Python can build a million ``Event`` objects.
        """
        return aggregate.buckets(self._conn, self._where, self._busy_ms, (since, until), actions)

    def moved_by_quarter(self, until: datetime) -> list[tuple[datetime, float]]:
        """Minutes moved per UTC quarter hour before ``until`` (``insight.daily_minutes`` input).

        The same sums as ``buckets(None, until, (COMPLETED, ENDED_EARLY, NATURAL))`` without
        the split by kind and action, read from index 4 alone: the streaks need every day
        of the log, and this keeps ten years of it well under a second.
        """
        return aggregate.moved_by_quarter(self._conn, self._where, self._busy_ms, until)

    def count(self) -> int:
        """How many events the log holds."""
        try:
            return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.Error as exc:
            raise translate(exc, self._where, "count events", self._busy_ms) from None

    def last_event(self, actions: Collection[Action] | None = None) -> Event | None:
        """The last event appended, optionally only among ``actions``."""
        try:
            if actions is None:
                rows = self._conn.execute(_SELECT + " " + _LATEST).fetchall()
            else:
                # One indexed look-up per action beats one query that must sort them all.
                sql = _SELECT + " WHERE action = ? " + _LATEST
                rows = [row for a in set(actions) for row in self._conn.execute(sql, (a.value,))]
        except sqlite3.Error as exc:
            raise translate(exc, self._where, "read events", self._busy_ms) from None
        if not rows:
            return None
        return _row_to_event(max(rows, key=lambda r: int(r[6])))

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL back into the file)."""
        self._conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _row(event: Event) -> tuple[str, str, str | None, str, float | None, str]:
    kind = None if event.kind is None else event.kind.value
    return (
        event.id,
        aggregate.at_text(event.at),
        kind,
        event.action.value,
        event.duration_s,
        event.detail,
    )
