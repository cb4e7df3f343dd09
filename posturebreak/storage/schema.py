"""The log's schema: numbered migration steps and how they are applied."""

from __future__ import annotations

import logging
import sqlite3

from posturebreak.storage.errors import StoreError

_log = logging.getLogger("posturebreak.storage.store")

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


def refuse_newer(where: str, version: int) -> None:
    """``StoreError`` if the file's schema is newer than this code (leave such a file alone)."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The event log {where} was written by a newer posturebreak (schema {version}, this"
            f" one knows up to {SCHEMA_VERSION}); upgrade posturebreak."
        )


def migrate(conn: sqlite3.Connection, where: str) -> None:
    """Run the missing schema steps, each in its own write transaction."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read under the write lock: another process may have migrated meanwhile.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version >= SCHEMA_VERSION:
                conn.execute("COMMIT")
                refuse_newer(where, version)
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
