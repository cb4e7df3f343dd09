"""The log's figures computed by SQLite: buckets for the stats and minutes per quarter hour.

Stats over years of a heavy user's log stay interactive this way: SQLite groups a million rows
far faster than Python can build a million ``Event`` objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime, timezone

from posturebreak.core.domain import Action, BreakKind, to_utc
from posturebreak.core.insight import Bucket
from posturebreak.core.stats import NATURAL_MINUTES_CAP
from posturebreak.storage.errors import StoreError, translate

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


def at_text(at: datetime) -> str:
    """An instant as the log stores it (one fixed width, so text order is time order)."""
    return to_utc(at).isoformat(timespec="microseconds")


def buckets(
    conn: sqlite3.Connection,
    where: str,
    busy_ms: int,
    span: tuple[datetime | None, datetime | None],
    actions: Collection[Action] | None,
) -> list[Bucket]:
    """``insight.to_buckets`` of the events in ``span`` (and ``actions``), grouped by SQLite."""
    since, until = span
    clauses = ["at >= ?", "at < ?"]
    params: list[object] = [
        NATURAL_MINUTES_CAP,
        at_text(since) if since else "",
        at_text(until) if until else "~",  # sorts after every ISO date
    ]
    if actions is not None:
        if not actions:
            return []
        clauses.append(f"action IN ({', '.join('?' * len(actions))})")
        params.extend(a.value for a in actions)
    sql = _BUCKETS.format(where=" AND ".join(clauses))  # clauses hold only placeholders
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise translate(exc, where, "read events", busy_ms) from None
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


def moved_by_quarter(
    conn: sqlite3.Connection, where: str, busy_ms: int, until: datetime
) -> list[tuple[datetime, float]]:
    """Minutes moved per UTC quarter hour before ``until``, from index 4 alone."""
    try:
        rows = conn.execute(_MOVED, (NATURAL_MINUTES_CAP, at_text(until))).fetchall()
    except sqlite3.Error as exc:
        raise translate(exc, where, "read events", busy_ms) from None
    return [(datetime.fromisoformat(q).replace(tzinfo=timezone.utc), float(m)) for q, m in rows]
