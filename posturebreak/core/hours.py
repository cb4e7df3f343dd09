"""Working-hours arithmetic: which instants count, and when enough desk time has passed.

Pure. Working hours are local wall-clock ranges; instants are aware datetimes. ``tz`` is
the local zone (``None`` = the system's own, resolved by ``datetime.astimezone``), so a
working day across a DST change has the right length: a 22:00-06:00 night in Berlin is
7 h on the night the clocks go forward and 9 h on the night they go back.

A range may run past midnight (a night shift) or end at 24:00. It belongs to the working
day it starts on (``work_day``): Friday's night runs into Saturday morning even when
Saturday is not a working day, and a Sunday night does not start when Sunday is not one.

All arithmetic is done in UTC: Python compares and subtracts two datetimes of the same
``ZoneInfo`` by their wall clocks, which is wrong across a DST change. The intervals and
instants computed here are UTC datetimes; show them with ``astimezone``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from posturebreak.core.settings import MIDNIGHT, Schedule, TimeRange

UTC = timezone.utc
ONE_DAY = timedelta(days=1)
# How far ahead we look for working time before saying "none scheduled" (a long holiday
# configuration with no workdays is refused by config; two weeks covers any real week).
HORIZON = timedelta(days=15)
_TICK = timedelta(microseconds=1)

Interval = tuple[datetime, datetime]


def local_instant(day: date, at: time, tz: tzinfo | None) -> datetime:
    """The first instant of ``day`` at which the wall clock in ``tz`` reads ``at`` or later.

    A wall time that happens twice (the night the clocks go back) is its first occurrence;
    one that never happens (skipped when they go forward) is the instant of the jump.
    """
    wall = datetime.combine(day, at)
    if tz is None:
        return wall.astimezone()
    return _utc_instant(wall, tz).astimezone(tz)


def _utc_instant(wall: datetime, tz: tzinfo) -> datetime:
    # fold=0 is the earlier of a repeated time, and past the jump for a skipped one.
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # Skipped: the jump lies between the two readings; find the first instant at or after it.
    lo, hi = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), first
    while hi - lo > _TICK:
        mid = lo + (hi - lo) // 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _utc(day: date, at: time, tz: tzinfo | None) -> datetime:
    wall = datetime.combine(day, at)
    if tz is None:
        return wall.astimezone().astimezone(UTC)
    return _utc_instant(wall, tz)


def local_date(at: datetime, tz: tzinfo | None) -> date:
    """The calendar date of ``at`` in ``tz``."""
    return at.astimezone(tz).date()


def occurrence(r: TimeRange, day: date, tz: tzinfo | None) -> Interval:
    """Range ``r`` as it happens when started on ``day``, in UTC (empty if a DST jump ate it)."""
    end_day = day + ONE_DAY if r.ends_next_day else day
    return _utc(day, r.start, tz), _utc(end_day, r.end, tz)


def _day_ranges(schedule: Schedule, day: date, tz: tzinfo | None) -> Iterator[Interval]:
    """The ranges started on ``day`` (none unless it is a working day), non-empty, in UTC."""
    if day.weekday() not in schedule.workdays:
        return
    for r in schedule.hours:
        lo, hi = occurrence(r, day, tz)
        if lo < hi:
            yield lo, hi


def work_intervals(
    schedule: Schedule, start: datetime, end: datetime, tz: tzinfo | None
) -> list[Interval]:
    """The working intervals overlapping ``[start, end)``, clipped to it, in order, in UTC.

    Ranges that touch (23:00-24:00 and the next day's 00:00-06:00) are one interval.
    """
    lo_u, hi_u = start.astimezone(UTC), end.astimezone(UTC)
    if hi_u <= lo_u:
        return []
    found: list[Interval] = []
    # A range holding ``start`` began on its local date or, running past midnight, the day before.
    day = local_date(start, tz) - ONE_DAY
    last = local_date(end, tz)
    while day <= last:
        for s, e in _day_ranges(schedule, day, tz):
            lo, hi = max(s, lo_u), min(e, hi_u)
            if lo < hi:
                found.append((lo, hi))
        day += ONE_DAY
    merged: list[Interval] = []
    for lo, hi in sorted(found):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def work_time(schedule: Schedule, start: datetime, end: datetime, tz: tzinfo | None) -> timedelta:
    """How much of ``[start, end)`` is working time (real time, DST included)."""
    return sum((hi - lo for lo, hi in work_intervals(schedule, start, end, tz)), timedelta(0))


def in_hours(schedule: Schedule, at: datetime, tz: tzinfo | None) -> bool:
    """Whether ``at`` falls inside working hours."""
    u = at.astimezone(UTC)
    day = local_date(at, tz)
    return any(
        lo <= u < hi for d in (day - ONE_DAY, day) for lo, hi in _day_ranges(schedule, d, tz)
    )


def _nights(schedule: Schedule, day: date, tz: tzinfo | None) -> list[Interval]:
    """The nights (ranges running past midnight) started on ``day``, in UTC."""
    if day.weekday() not in schedule.workdays:
        return []
    return [occurrence(r, day, tz) for r in schedule.nights]


def work_day(schedule: Schedule, at: datetime, tz: tzinfo | None) -> date:
    """The working day ``at`` belongs to: the day its night started on, else its local date.

    Every per-day figure (stats, the goal, streaks, "today", the day's plan) groups by this.
    With no range past midnight it is simply the local date.
    """
    day = local_date(at, tz)
    if not schedule.nights:
        return day
    u = at.astimezone(UTC)
    before = day - ONE_DAY
    return before if any(lo <= u < hi for lo, hi in _nights(schedule, before, tz)) else day


def work_day_finder(schedule: Schedule, tz: tzinfo | None) -> Callable[[datetime], date]:
    """``work_day`` for many instants (a log's worth): each day's nights are worked out once."""
    if not schedule.nights:
        return lambda at: local_date(at, tz)
    known: dict[date, list[Interval]] = {}

    def find(at: datetime) -> date:
        day = local_date(at, tz)
        before = day - ONE_DAY
        nights = known.get(before)
        if nights is None:
            nights = known[before] = _nights(schedule, before, tz)
        u = at.astimezone(UTC)
        return before if any(lo <= u < hi for lo, hi in nights) else day

    return find


def work_day_start(schedule: Schedule, day: date, tz: tzinfo | None) -> datetime:
    """The first instant of working day ``day``: local midnight, or when the night before ends."""
    start = local_instant(day, MIDNIGHT, tz)
    for _, end in _nights(schedule, day - ONE_DAY, tz):
        if end > start:
            start = end.astimezone(tz)
    return start


def work_day_bounds(schedule: Schedule, day: date, tz: tzinfo | None) -> Interval:
    """``[start, end)`` of working day ``day``: the instants ``work_day`` gives ``day`` for.

    Local midnight to local midnight, except that a night running into the next morning
    moves the end there (and the next day's start with it).
    """
    return work_day_start(schedule, day, tz), work_day_start(schedule, day + ONE_DAY, tz)


def after_work_time(
    schedule: Schedule, start: datetime, amount: timedelta, tz: tzinfo | None
) -> datetime | None:
    """The instant when ``amount`` of working time has passed after ``start``.

    ``None`` when the schedule has no working time within the horizon.
    """
    left = max(amount, timedelta(0))
    cursor = start.astimezone(UTC)
    limit = cursor + HORIZON
    while cursor < limit:
        window_end = cursor + 2 * ONE_DAY
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
    """The first range start of a later working day than ``at``'s ("until tomorrow").

    During a night shift that is the next night, not the morning after midnight.
    """
    u = at.astimezone(UTC)
    day = work_day(schedule, at, tz) + ONE_DAY
    for _ in range(HORIZON.days):
        starts = [lo for lo, _ in _day_ranges(schedule, day, tz) if lo >= u]
        if starts:
            return min(starts)
        day += ONE_DAY
    return None


def off_hours_gaps(
    schedule: Schedule, start: datetime, end: datetime, tz: tzinfo | None
) -> list[Interval]:
    """The non-working stretches of ``[start, end)``: the complement of ``work_intervals``."""
    gaps: list[Interval] = []
    cursor = start.astimezone(UTC)
    stop = end.astimezone(UTC)
    for lo, hi in work_intervals(schedule, start, end, tz):
        if lo > cursor:
            gaps.append((cursor, lo))
        cursor = hi
    if cursor < stop:
        gaps.append((cursor, stop))
    return gaps
