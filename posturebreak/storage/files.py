"""The log's file on disk: made privately, judged, moved aside, followed when replaced.

Damage is SQLite's word alone (``PRAGMA quick_check`` through the -wal, or SQLITE_CORRUPT /
NOTADB): a damaged file is renamed aside, never deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from posturebreak.clock import SystemClock
from posturebreak.storage.errors import ELSEWHERE, StoreError, is_damage, os_problem
from posturebreak.storage.schema import SCHEMA_VERSION

_log = logging.getLogger("posturebreak.storage.store")

# Logs up to this size with their -wal (years of normal use) get SQLite's structural check on
# open, in well under a second; bigger ones only the cheap reads, so opening stays interactive.
THOROUGH_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class MovedAside:
    """A damaged log was renamed (kept, never deleted) and a new one started; tell the user."""

    original: Path
    moved_to: Path
    reason: str


class DamagedLogError(Exception):
    """The file is not a usable posturebreak log (internal: triggers moving it aside)."""


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders made inside are readable by their owner only."""
    # umask is process-wide; opening happens at start-up or in a short-lived CLI process.
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def prepare_file(path: Path) -> None:
    """Make the folder (0700) and an empty log file (0600) if they do not exist yet."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise os_problem(path.parent, exc, "the log folder") from None
    if path.is_dir():
        raise StoreError(f"The event log {path} is a folder, not a file; move it away{ELSEWHERE}.")
    if path.exists():
        return
    from posturebreak.private import UnsafePathError, open_private

    try:
        # 0600, never through a link, in a folder that is ours and writable by nobody else.
        fd = open_private(path, os.O_WRONLY)
    except UnsafePathError as exc:
        raise StoreError(str(exc)) from None
    except OSError as exc:
        raise os_problem(path, exc, "the event log") from None
    os.close(fd)


def sidecars(path: Path) -> Iterator[Path]:
    """The -wal, -shm and -journal next to the log at ``path``."""
    for suffix in ("-wal", "-shm", "-journal"):
        yield path.with_name(path.name + suffix)


def size_with_wal(path: Path) -> int:
    """Bytes in the log and its -wal: how long a full structural check would read."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(OSError):
            total += part.stat().st_size
    return total


def probe(conn: sqlite3.Connection, *, thorough: bool) -> int:
    """The file's schema version, reading only; ``DamagedLogError`` if it is not a usable log.

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
                raise DamagedLogError(f"SQLite finds it damaged: {first}")
        elif "events" in tables:
            # Touch the newest pages and the indexes: a truncated file fails here, cheaply.
            conn.execute("SELECT * FROM events ORDER BY rowid DESC LIMIT 1").fetchall()
            if version >= 2:
                conn.execute("SELECT at FROM events ORDER BY at DESC LIMIT 1").fetchall()
            if version >= 5:
                conn.execute("SELECT seq FROM events ORDER BY seq DESC LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise DamagedLogError(f"SQLite finds it damaged or not a database: {exc}") from None
        raise
    if version == 0 and tables:
        raise DamagedLogError("it is an SQLite database, but not a posturebreak log")
    if 0 < version <= SCHEMA_VERSION and "events" not in tables:
        raise DamagedLogError("it has no events table")
    return version


def _aside_name(path: Path) -> Path:
    stamp = SystemClock().now().strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


def move_aside(path: Path, reason: str) -> MovedAside:
    """Rename a damaged log (and its data sidecars) to ``<name>.corrupt-<UTC stamp>``."""
    target = _aside_name(path)
    try:
        # Sidecars first: a -wal left next to a fresh file would be replayed into it.
        for side in sidecars(path):
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


def keep_orphans(path: Path) -> None:
    """Rename a -wal/-shm whose log is gone: replayed into a new file it would corrupt it."""
    stamp = SystemClock().now().strftime("%Y%m%dT%H%M%SZ")
    for side in sidecars(path):
        with contextlib.suppress(OSError):
            if side.exists():
                side.rename(side.with_name(f"{side.name}.orphan-{stamp}"))


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


Ident = tuple[int, int]


def ident(path: Path) -> Ident | None:
    """Which file ``path`` names now (device, inode), following links; ``None`` if none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def real(path: Path) -> Path:
    """The file a (possibly symlinked) log path names: what is checked and moved aside."""
    return Path(os.path.realpath(path))
