"""Working-hours arithmetic: which instants count, and when enough desk time has passed.

Pure. Working hours are local wall-clock ranges; instants are aware datetimes. ``tz`` is
the local zone (``None`` = the system's own, resolved by ``datetime.astimezone``), so a
working day across a DST change has the right length.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from posturebreak.settings import Schedule

# How far ahead we look for working time before saying "none scheduled" (a long holiday
# configuration with no workdays is refused by config; two weeks covers any real week).
HORIZON = timedelta(days=15)


def local_instant(day: date, at: time, tz: tzinfo | None) -> datetime:
    """The aware instant of wall-clock ``at`` on ``day`` in ``tz``."""
    if tz is None:
        return datetime.combine(day, at).astimezone()
    return datetime.combine(day, at, tzinfo=tz)


def local_date(at: datetime, tz: tzinfo | None) -> date:
    """The calendar date of ``at`` in ``tz``."""
    return at.astimezone(tz).date()


def _day_ranges(
    schedule: Schedule, day: date, tz: tzinfo | None
) -> Iterator[tuple[datetime, datetime]]:
    if day.weekday() not in schedule.workdays:
        return
    for r in schedule.hours:
        yield local_instant(day, r.start, tz), local_instant(day, r.end, tz)


def work_intervals(
    schedule: Schedule, start: datetime, end: datetime, tz: tzinfo | None
) -> list[tuple[datetime, datetime]]:
    """The working intervals overlapping ``[start, end)``, clipped to it, in order."""
    if end <= start:
        return []
    out: list[tuple[datetime, datetime]] = []
    day = local_date(start, tz) - timedelta(days=1)
    last = local_date(end, tz) + timedelta(days=1)
    while day <= last:
        for s, e in _day_ranges(schedule, day, tz):
            lo, hi = max(s, start), min(e, end)
            if lo < hi:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def work_time(schedule: Schedule, start: datetime, end: datetime, tz: tzinfo | None) -> timedelta:
    """How much of ``[start, end)`` is working time."""
    return sum((hi - lo for lo, hi in work_intervals(schedule, start, end, tz)), timedelta(0))


def in_hours(schedule: Schedule, at: datetime, tz: tzinfo | None) -> bool:
    """Whether ``at`` falls inside working hours."""
    return bool(work_intervals(schedule, at, at + timedelta(microseconds=1), tz))


def after_work_time(
    schedule: Schedule, start: datetime, amount: timedelta, tz: tzinfo | None
) -> datetime | None:
    """The instant when ``amount`` of working time has passed after ``start``.

    ``None`` when the schedule has no working time within the horizon.
    """
    left = max(amount, timedelta(0))
    cursor = start
    while cursor < start + HORIZON:
        window_end = cursor + timedelta(days=2)
        for lo, hi in work_intervals(schedule, cursor, window_end, tz):
            if hi - lo >= left:
                return lo + left
            left -= hi - lo
        cursor = window_end
    return None


def next_work_start(schedule: Schedule, at: datetime, tz: tzinfo | None) -> datetime | None:
    """The start of the next working range at or after ``at`` (``at`` itself if inside one)."""
    found = work_intervals(schedule, at, at + HORIZON, tz)
    return found[0][0] if found else None


def next_day_start(schedule: Schedule, at: datetime, tz: tzinfo | None) -> datetime | None:
    """The first working instant on a later calendar day than ``at`` ("until tomorrow")."""
    tomorrow = local_date(at, tz) + timedelta(days=1)
    return next_work_start(schedule, local_instant(tomorrow, time(0, 0), tz), tz)


def off_hours_gaps(
    schedule: Schedule, start: datetime, end: datetime, tz: tzinfo | None
) -> list[tuple[datetime, datetime]]:
    """The non-working stretches of ``[start, end)``: the complement of ``work_intervals``."""
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start
    for lo, hi in work_intervals(schedule, start, end, tz):
        if lo > cursor:
            gaps.append((cursor, lo))
        cursor = hi
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
