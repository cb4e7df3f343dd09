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

import contextlib
import logging
import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from posturebreak.clock import SystemClock
from posturebreak.domain import Action, BreakKind, Event, to_utc
from posturebreak.durability import Problem
from posturebreak.insight import Bucket
from posturebreak.stats import NATURAL_MINUTES_CAP

_log = logging.getLogger(__name__)

# Numbered schema steps, applied in order, one transaction each; PRAGMA user_version holds how
# many have run. Append only: a released step is never edited, or existing logs would diverge.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the log itself.
    (
        """CREATE TABLE events (
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT,
            action TEXT NOT NULL,
            duration_s REAL,
            detail TEXT NOT NULL DEFAULT ''
        )""",
    ),
    # 2: reading by time, and by kind over time (stats over a million events stay interactive).
    (
        "CREATE INDEX events_by_at ON events (at, id)",
        "CREATE INDEX events_by_kind_at ON events (kind, at, id)",
    ),
    # 3: "the last event with this action" without scanning back through the whole log.
    ("CREATE INDEX events_by_action_at ON events (action, at, id)",),
    # 4: minutes moved per day over the whole log (goal streaks) from the index alone, in time
    # order: only the rows that carry minutes, with the columns the sum needs.
    (
        (
            "CREATE INDEX events_moved ON events (at, action, duration_s)"
            " WHERE action IN ('completed', 'ended_early', 'natural')"
        ),
    ),
    # 5: the per-machine sequence number: the order events were appended in, which a wall clock
    # set back cannot disturb. Existing rows are numbered by rowid, which is append order: the
    # table only ever grows, and SQLite gives a new row the largest rowid so far plus one.
    # The unique index serves ordered reads and the next number; the other, "the last event
    # with this action" (step 3's question, now answered in append order).
    (
        "ALTER TABLE events ADD COLUMN seq INTEGER",
        "UPDATE events SET seq = rowid",
        "CREATE UNIQUE INDEX events_by_seq ON events (seq)",
        "CREATE INDEX events_by_action_seq ON events (action, seq)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_SELECT = "SELECT id, at, kind, action, duration_s, detail, seq FROM events"
# The number is taken inside the INSERT itself, so it is assigned in the same transaction (under
# the write lock) as the row: two processes appending at once can never draw the same one.
_INSERT = (
    "INSERT INTO events (id, at, kind, action, duration_s, detail, seq)"
    " VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM events))"
)
# insight.to_buckets in SQL: per UTC quarter hour ("2026-11-21T09:15"), kind ('' for none),
# action and the secondary flag; count and minutes moved as stats.moved_minutes counts them.
_BUCKETS = (
    "SELECT substr(at, 1, 14) || printf('%02d', CAST(substr(at, 15, 2) AS INTEGER) / 15 * 15) AS q,"
    " coalesce(kind, '') AS k, action,"
    " CASE WHEN action = 'prompted' THEN substr(detail, 1, 7) = 'snoozed'"
    "  WHEN action = 'skipped' THEN detail <> '' ELSE 0 END AS sec,"
    " count(*),"
    " total(CASE WHEN action IN ('completed', 'ended_early') THEN coalesce(duration_s, 0) / 60.0"
    "  WHEN action = 'natural' THEN min(?, coalesce(duration_s, 0) / 60.0)"
    "  ELSE 0 END)"
    " FROM events WHERE {where} GROUP BY q, k, action, sec ORDER BY q, k, action, sec"
)
# Minutes moved per UTC quarter hour; the WHERE repeats index 4's so SQLite can use it.
_MOVED = (
    "SELECT substr(at, 1, 14) || printf('%02d', CAST(substr(at, 15, 2) AS INTEGER) / 15 * 15) AS q,"
    " total(CASE WHEN action = 'natural' THEN min(?, coalesce(duration_s, 0) / 60.0)"
    "  ELSE coalesce(duration_s, 0) / 60.0 END)"
    " FROM events INDEXED BY events_moved"
    " WHERE action IN ('completed', 'ended_early', 'natural') AND at < ?"
    " GROUP BY q ORDER BY q"
)
# Logs up to this size with their -wal (years of normal use) get SQLite's structural check on
# open, in well under a second; bigger ones only the cheap reads, so opening stays interactive.
_THOROUGH_MAX_BYTES = 32 * 1024 * 1024
_LATEST = "ORDER BY seq DESC LIMIT 1"

# SQLite primary result codes (sqlite3.SQLITE_* exists only from Python 3.11 on).
_READONLY, _BUSY, _LOCKED, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 8, 5, 6, 10, 11, 13, 14, 26
_PERM, _AUTH = 3, 23


class StoreError(Exception):
    """The log cannot be used; the message says what is wrong and what to do.

    ``problem`` is the cause in the user's terms (what the write path's notice names).
    """

    def __init__(self, message: str, problem: Problem = Problem.OTHER) -> None:
        super().__init__(message)
        self.problem = problem


class StoreLocked(StoreError):  # noqa: N818  the name is part of the agreed API
    """Another process held a write lock on the log for longer than the busy timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Problem.LOCKED)


@dataclass(frozen=True)
class MovedAside:
    """A damaged log was renamed (kept, never deleted) and a new one started; tell the user."""

    original: Path
    moved_to: Path
    reason: str


class _DamagedLogError(Exception):
    """The file is not a usable posturebreak log (internal: triggers moving it aside)."""


def _code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of ``exc``, from the attribute or (3.10) the message."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    for needle, value in (
        ("locked", _BUSY),
        ("full", _FULL),
        ("readonly", _READONLY),
        ("malformed", _CORRUPT),
        ("not a database", _NOTADB),
        ("unable to open", _CANTOPEN),
        ("disk i/o", _IOERR),
    ):
        if needle in text:
            return value
    return None


def _is_damage(exc: sqlite3.Error) -> bool:
    return _code(exc) in (_CORRUPT, _NOTADB)


_ELSEWHERE = ", or set POSTUREBREAK_HOME to another folder"
# What to tell the user for each kind of failure: what is wrong, then what to do.
_ADVICE: tuple[tuple[tuple[int, ...], Problem, str], ...] = (
    ((_FULL,), Problem.FULL, "the disk holding {where} is full; free some space and try again"),
    (
        (_READONLY,),
        Problem.READ_ONLY,
        "{where} is read-only; make it and its folder writable by you" + _ELSEWHERE,
    ),
    (
        (_CANTOPEN, _PERM, _AUTH),
        Problem.MISSING,
        "cannot open {where}; check its and its folder's permissions",
    ),
    (
        (_CORRUPT, _NOTADB),
        Problem.DAMAGED,
        "{where} is damaged ({exc}); rename it to start a new log",
    ),
    ((_IOERR,), Problem.DISK, "a disk error occurred on {where} ({exc}); check the disk"),
)


def _translate(exc: sqlite3.Error, where: str, doing: str, busy_ms: int) -> StoreError:
    """One clear sentence for a failed SQLite call: what went wrong and what to do."""
    code = _code(exc)
    if code in (_BUSY, _LOCKED):
        return StoreLocked(
            f"Could not {doing}: the event log {where} is locked by another process"
            f" (waited {busy_ms} ms); close the other posturebreak and try again."
        )
    for codes, problem, advice in _ADVICE:
        if code in codes:
            return StoreError(f"Could not {doing}: {advice.format(where=where, exc=exc)}.", problem)
    return StoreError(f"Could not {doing} in the event log {where}: {exc}.")


def _at_text(at: datetime) -> str:
    # One fixed width format, so text order is time order and indexes can serve range queries.
    return to_utc(at).isoformat(timespec="microseconds")


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    # umask is process-wide; opening happens at start-up or in a short-lived CLI process.
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _os_problem(path: Path, exc: OSError, what: str) -> StoreError:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return StoreError(
            f"Cannot create {what} {path}: a part of that path is a file, not a folder;"
            f" move that file away{_ELSEWHERE}."
        )
    if isinstance(exc, PermissionError):
        return StoreError(
            f"Cannot create {what} {path}: permission denied; make its folder writable by you"
            f"{_ELSEWHERE}."
        )
    return StoreError(f"Cannot create {what} {path}: {exc.strerror or exc}.")


def _prepare_file(path: Path) -> None:
    """Make the folder (0700) and an empty log file (0600) if they do not exist yet."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise _os_problem(path.parent, exc, "the log folder") from None
    if path.is_dir():
        raise StoreError(f"The event log {path} is a folder, not a file; move it away{_ELSEWHERE}.")
    if path.exists():
        return
    from posturebreak.private import UnsafePathError, open_private

    try:
        # 0600, never through a link, in a folder that is ours and writable by nobody else.
        fd = open_private(path, os.O_WRONLY)
    except UnsafePathError as exc:
        raise StoreError(str(exc)) from None
    except OSError as exc:
        raise _os_problem(path, exc, "the event log") from None
    os.close(fd)


def _sidecars(path: Path) -> Iterator[Path]:
    for suffix in ("-wal", "-shm", "-journal"):
        yield path.with_name(path.name + suffix)


def _size_with_wal(path: Path) -> int:
    """Bytes in the log and its -wal: how long a full structural check would read."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


def _probe(conn: sqlite3.Connection, *, thorough: bool) -> int:
    """The file's schema version, reading only; ``_DamagedLogError`` if it is not a usable log.

    Only SQLite judges damage, reading through the -wal: a main file shorter than its header's
    page count is healthy while the missing pages sit in the -wal (a checkpoint cut off by a
    full disk leaves exactly that), so file sizes prove nothing.
    """
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if thorough:
            problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if problem != "ok":
                # One line for the user: SQLite's report spans lines and names the schema.
                first = " ".join(str(problem).replace("*** in database main ***", "").split())
                raise _DamagedLogError(f"SQLite finds it damaged: {first}")
        elif "events" in tables:
            # Touch the newest pages and the indexes: a truncated file fails here, cheaply.
            conn.execute("SELECT * FROM events ORDER BY rowid DESC LIMIT 1").fetchall()
            if version >= 2:
                conn.execute("SELECT at FROM events ORDER BY at DESC LIMIT 1").fetchall()
            if version >= 5:
                conn.execute("SELECT seq FROM events ORDER BY seq DESC LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        if _is_damage(exc):
            raise _DamagedLogError(f"SQLite finds it damaged or not a database: {exc}") from None
        raise
    if version == 0 and tables:
        raise _DamagedLogError("it is an SQLite database, but not a posturebreak log")
    if 0 < version <= SCHEMA_VERSION and "events" not in tables:
        raise _DamagedLogError("it has no events table")
    return version


def _refuse_newer(where: str, version: int) -> None:
    """``StoreError`` if the file's schema is newer than this code (leave such a file alone)."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The event log {where} was written by a newer posturebreak (schema {version}, this"
            f" one knows up to {SCHEMA_VERSION}); upgrade posturebreak."
        )


def _aside_name(path: Path) -> Path:
    stamp = SystemClock().now().strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


def _move_aside(path: Path, reason: str) -> MovedAside:
    target = _aside_name(path)
    try:
        # Sidecars first: a -wal left next to a fresh file would be replayed into it.
        for side in _sidecars(path):
            if not side.exists():
                continue
            # The -shm is an index SQLite rebuilds from the -wal, and an empty -wal holds
            # nothing (the read-only check itself may leave both): only data is kept.
            if side.name.endswith("-shm") or side.stat().st_size == 0:
                side.unlink()
            else:
                side.rename(target.with_name(target.name + side.name[len(path.name) :]))
        path.rename(target)
    except OSError as exc:
        raise StoreError(
            f"The event log {path} is unusable ({reason}) and could not be moved aside"
            f" ({exc.strerror or exc}); move it away yourself and start posturebreak again."
        ) from None
    _log.warning("moved damaged event log %s to %s: %s", path, target, reason)
    return MovedAside(original=path, moved_to=target, reason=reason)


def _keep_orphans(path: Path) -> None:
    """Rename a -wal/-shm whose log is gone: replayed into a new file it would corrupt it."""
    stamp = SystemClock().now().strftime("%Y%m%dT%H%M%SZ")
    for side in _sidecars(path):
        with contextlib.suppress(OSError):
            if side.exists():
                side.rename(side.with_name(f"{side.name}.orphan-{stamp}"))


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


@dataclass(frozen=True)
class LogReplaced:
    """The log file was deleted or replaced while open; writing goes on in the file now there.

    ``moved`` is set when the file found at the path was damaged and had to be moved aside.
    """

    path: Path
    reason: str
    moved: MovedAside | None = None

    def message(self) -> str:
        """One line for the user: what happened and where the answers go now."""
        also = (
            ""
            if self.moved is None
            else f" (a damaged file there was kept as {self.moved.moved_to})"
        )
        return (
            f"The event log {self.path} {self.reason}; answers from now on are saved there{also}."
        )


_Ident = tuple[int, int]


def _ident(path: Path) -> _Ident | None:
    """Which file ``path`` names now (device, inode), following links; ``None`` if none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _real(path: Path) -> Path:
    """The file a (possibly symlinked) log path names: what is checked and moved aside."""
    return Path(os.path.realpath(path))


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
        ident: _Ident | None = None,
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
        with _private_umask():
            try:
                return cls._open_file(path, busy_timeout_ms), None
            except _DamagedLogError as damaged:
                moved = _move_aside(_real(path), str(damaged))
            try:
                return cls._open_file(path, busy_timeout_ms), moved
            except _DamagedLogError as damaged:  # a brand-new file never is
                raise StoreError(f"Cannot start a new event log at {path}: {damaged}.") from None

    @classmethod
    def _open_file(cls, path: Path, busy_timeout_ms: int) -> EventStore:
        real = _real(path)
        _prepare_file(real)
        where = str(real)
        try:
            # Judge the file read-only first: a writable connection would fold a -wal into a
            # damaged file (and delete it) on close, and the damaged file must be kept intact.
            before = _ident(real)
            probe = sqlite3.connect(real.as_uri() + "?mode=ro", uri=True)
            try:
                version = _probe(probe, thorough=_size_with_wal(real) <= _THOROUGH_MAX_BYTES)
            finally:
                probe.close()
            _refuse_newer(where, version)
            conn = sqlite3.connect(
                where,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,
                check_same_thread=False,  # opened by the composition root, used by the engine
            )
        except sqlite3.Error as exc:
            raise _translate(exc, where, "open the log", busy_timeout_ms) from None
        try:
            store = cls._setup(conn, where, busy_timeout_ms, version, wal=True)
        except sqlite3.Error as exc:
            conn.close()
            if _is_damage(exc):
                raise _DamagedLogError(f"SQLite finds it damaged: {exc}") from None
            raise _translate(exc, where, "open the log", busy_timeout_ms) from None
        except BaseException:
            conn.close()
            raise
        # The same file before the check and after the connection is set up: that file is the
        # one the connection holds (SQLite does not hand out its descriptor to fstat).
        store._path = path
        store._ident = before if before is not None and before == _ident(real) else None
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
            _migrate(conn, where)
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
                raise _translate(exc, self._where, "save an event", self._busy_ms) from None
            raise ValueError(f"event {event.id} is already in the log") from None
        except sqlite3.Error as exc:
            raise _translate(exc, self._where, "save an event", self._busy_ms) from None
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
            raise _translate(exc, self._where, "set up the log", self._busy_ms) from None

    def _follow_path(self) -> LogReplaced | None:
        """Reopen the log if its path no longer names the file open (one stat per write)."""
        if self._path is None:
            return None
        if self._lost is None:
            now = _ident(self._path)
            if now is not None and now == self._ident:
                return None
            reason = "was deleted; a new log was started" if now is None else "was replaced"
            _log.warning("event log %s %s while open; reopening it", self._path, reason)
            # SQLite skips the closing checkpoint of a file that moved, so closing cannot touch
            # the sidecars of whatever file is at the path now.
            self._conn.close()
            self._lost = reason
            if now is None:
                _keep_orphans(_real(self._path))
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
            raise _translate(exc, self._where, "merge events", self._busy_ms) from None
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
            params.append(_at_text(since))
        if until is not None:
            clauses.append("at < ?")
            params.append(_at_text(until))
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
            raise _translate(exc, self._where, "read events", self._busy_ms) from None

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
        clauses = ["at >= ?", "at < ?"]
        params: list[object] = [
            NATURAL_MINUTES_CAP,
            _at_text(since) if since else "",
            _at_text(until) if until else "~",  # sorts after every ISO date
        ]
        if actions is not None:
            if not actions:
                return []
            clauses.append(f"action IN ({', '.join('?' * len(actions))})")
            params.extend(a.value for a in actions)
        sql = _BUCKETS.format(where=" AND ".join(clauses))  # clauses hold only placeholders
        try:
            rows = self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc, self._where, "read events", self._busy_ms) from None
        try:
            return [
                Bucket(
                    datetime.fromisoformat(q).replace(tzinfo=timezone.utc),
                    BreakKind(k) if k else None,
                    Action(a),
                    bool(sec),
                    int(n),
                    float(m),
                )
                for q, k, a, sec, n, m in rows
            ]
        except ValueError as exc:
            raise StoreError(
                f"The log holds an event this posturebreak cannot read ({exc}); was it written"
                " by a newer posturebreak? Upgrade posturebreak."
            ) from None

    def moved_by_quarter(self, until: datetime) -> list[tuple[datetime, float]]:
        """Minutes moved per UTC quarter hour before ``until`` (``insight.daily_minutes`` input).

        The same sums as ``buckets(None, until, (COMPLETED, ENDED_EARLY, NATURAL))`` without
        the split by kind and action, read from index 4 alone: the streaks need every day
        of the log, and this keeps ten years of it well under a second.
        """
        try:
            rows = self._conn.execute(_MOVED, (NATURAL_MINUTES_CAP, _at_text(until))).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc, self._where, "read events", self._busy_ms) from None
        return [(datetime.fromisoformat(q).replace(tzinfo=timezone.utc), float(m)) for q, m in rows]

    def count(self) -> int:
        """How many events the log holds."""
        try:
            return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.Error as exc:
            raise _translate(exc, self._where, "count events", self._busy_ms) from None

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
            raise _translate(exc, self._where, "read events", self._busy_ms) from None
        if not rows:
            return None
        return _row_to_event(max(rows, key=lambda r: int(r[6])))

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL back into the file)."""
        self._conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _row(event: Event) -> tuple[str, str, str | None, str, float | None, str]:
    kind = None if event.kind is None else event.kind.value
    return (event.id, _at_text(event.at), kind, event.action.value, event.duration_s, event.detail)


def _migrate(conn: sqlite3.Connection, where: str) -> None:
    """Run the missing schema steps, each in its own write transaction."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read under the write lock: another process may have migrated meanwhile.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version >= SCHEMA_VERSION:
                conn.execute("COMMIT")
                _refuse_newer(where, version)
                return
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        _log.info("event log %s migrated to schema %d", where, version + 1)
