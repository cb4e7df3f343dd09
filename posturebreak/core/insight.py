"""What the log says about a person's habits: goal days, streaks, patterns, outcomes. Pure.

Big logs are read as *buckets*: events counted per UTC quarter hour, kind, action and whether
they are secondary (a prompt that returns after a snooze, a skip made for a pause or ahead of
time). Every real time zone's offset is a whole number of quarter hours, so each bucket falls
inside one local hour and one local day, and figures from buckets equal figures from events.
Days are working days (``hours.work_day``): a night shift's hours after midnight count for
the day it started. A bucket counts for the day its start belongs to, so a night ending off
a quarter hour (06:10) gives the whole boundary quarter to the night.
``store.EventStore.buckets`` computes the same buckets in SQL; ``to_buckets`` does it here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from types import MappingProxyType

from posturebreak.core import hours, stats
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.settings import Schedule, Settings

# A pattern needs this many prompts at one hour before we dare to say anything about it.
MIN_PROMPTS_FOR_PATTERN = 5
# ... and this share of them snoozed or skipped.
PATTERN_SHARE = 0.5


class Period(enum.Enum):
    """The span ``stats`` and ``report`` cover."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def month_bounds(
    day: date, tz: tzinfo | None, schedule: Schedule | None = None
) -> tuple[datetime, datetime]:
    """The 1st 00:00 to the next month's 1st 00:00 of the month holding ``day``.

    Given the ``schedule``, working days make the month (``stats.day_bounds``).
    """
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return stats.day_bounds(first, tz, schedule)[0], stats.day_bounds(following, tz, schedule)[0]


def period_bounds(
    period: Period, day: date, tz: tzinfo | None, schedule: Schedule | None = None
) -> tuple[datetime, datetime]:
    """The local day, Monday-to-Sunday week or calendar month holding ``day``.

    Given the ``schedule``, made of working days: a night counts for the day it started.
    """
    if period is Period.WEEK:
        return stats.week_bounds(day, tz, schedule)
    if period is Period.MONTH:
        return month_bounds(day, tz, schedule)
    return stats.day_bounds(day, tz, schedule)


def span_days(
    start: datetime, end: datetime, schedule: Schedule, tz: tzinfo | None
) -> tuple[date, date]:
    """The first and the last working day of ``[start, end)`` (``hours.work_day``)."""
    return (
        hours.work_day(schedule, start, tz),
        hours.work_day(schedule, end - timedelta(microseconds=1), tz),
    )


# --- buckets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """Events of one kind and action within one UTC quarter hour."""

    start: datetime
    kind: BreakKind | None
    action: Action
    secondary: bool
    count: int
    minutes: float


def quarter_of(at: datetime) -> datetime:
    """The UTC quarter hour holding ``at``."""
    u = at.astimezone(timezone.utc)
    return u.replace(minute=u.minute - u.minute % 15, second=0, microsecond=0)


def is_secondary(e: Event) -> bool:
    """A prompt returning after a snooze, or a skip that answered no prompt (pause, ahead)."""
    if e.action is Action.PROMPTED:
        return e.detail.startswith("snoozed")
    return e.action is Action.SKIPPED and e.detail != ""


def to_buckets(events: Iterable[Event]) -> list[Bucket]:
    """The buckets of ``events``, ordered by start, kind, action, flag (as the SQL gives them)."""
    acc: dict[tuple[datetime, str, str, bool], list[float]] = {}
    kinds: dict[str, BreakKind | None] = {}
    for e in events:
        k = "" if e.kind is None else e.kind.value
        kinds[k] = e.kind
        key = (quarter_of(e.at), k, e.action.value, is_secondary(e))
        c = acc.setdefault(key, [0, 0.0])
        c[0] += 1
        c[1] += stats.moved_minutes(e)
    return [
        Bucket(s, kinds[k], Action(a), flag, int(c[0]), c[1])
        for (s, k, a, flag), c in sorted(acc.items())
    ]


def summarize(buckets: Iterable[Bucket], start: datetime, end: datetime) -> stats.Summary:
    """The same figures as ``stats.summarize`` over the events, from their buckets."""
    counts: dict[BreakKind, dict[str, float]] = {
        k: dict.fromkeys(stats.KindFigures.__dataclass_fields__, 0) for k in BreakKind
    }
    for b in buckets:
        if b.kind is None or not start <= b.start < end:
            continue
        c = counts[b.kind]
        if b.action is Action.PROMPTED and not b.secondary:
            c["prompted"] += b.count
        name = b.action.value
        if name in c and name not in {"prompted", "minutes"}:
            c[name] += b.count
        c["minutes"] += b.minutes
    by_kind = {
        k: stats.KindFigures(
            **{n: (v if n == "minutes" else int(v)) for n, v in c.items()}  # type: ignore[arg-type]
        )
        for k, c in counts.items()
    }
    return stats.Summary(start, end, MappingProxyType(by_kind))


def daily_minutes(
    buckets: Iterable[Bucket], tz: tzinfo | None, schedule: Schedule | None = None
) -> dict[date, float]:
    """Minutes moved per working day (only days with movement appear); see ``minutes_by_day``."""
    return minutes_by_day(((b.start, b.minutes) for b in buckets), tz, schedule)


def minutes_by_day(
    quarters: Iterable[tuple[datetime, float]],
    tz: tzinfo | None,
    schedule: Schedule | None = None,
) -> dict[date, float]:
    """Minutes per working day from (quarter hour, minutes) pairs; days without any left out.

    A quarter hour counts for the working day its start belongs to (``hours.work_day``), so a
    night's movement after midnight counts for the day the night started. Without a
    ``schedule`` (or with one that has no nights) the days are local calendar days.
    """
    day_of = hours.work_day_finder(schedule or Schedule(), tz)
    out: dict[date, float] = {}
    for start, minutes in quarters:
        if minutes:
            day = day_of(start)
            out[day] = out.get(day, 0.0) + minutes
    return out


# --- goal and streaks --------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalDay:
    """One day measured against the daily goal."""

    day: date
    minutes: float
    working: bool
    met: bool


def goal_days(
    minutes: Mapping[date, float], first: date, last: date, settings: Settings
) -> tuple[GoalDay, ...]:
    """Every day from ``first`` to ``last`` (inclusive) against the goal."""
    goal = settings.goal.daily_minutes
    workdays = settings.schedule.workdays
    out: list[GoalDay] = []
    day = first
    while day <= last:
        m = minutes.get(day, 0.0)
        out.append(GoalDay(day, m, day.weekday() in workdays, m >= goal))
        day += timedelta(days=1)
    return tuple(out)


@dataclass(frozen=True)
class Streaks:
    """Runs of working days that met the goal; days off neither count nor break a run."""

    longest: int
    current: int


def streaks(
    minutes: Mapping[date, float], today: date, settings: Settings, since: date | None = None
) -> Streaks:
    """The longest run up to ``today`` and the run still going on ``today``.

    ``today`` not (yet) meeting the goal does not end the current run: the day is not over.
    """
    goal = settings.goal.daily_minutes
    workdays = settings.schedule.workdays
    if not workdays:
        return Streaks(0, 0)
    met_days = [d for d, m in minutes.items() if m >= goal and d <= today]
    if not met_days and since is None:
        return Streaks(0, 0)
    first = min([*met_days, *([since] if since else [])])
    longest = run = 0
    day = first
    while day <= today:
        if day.weekday() in workdays:
            if minutes.get(day, 0.0) >= goal:
                run += 1
                longest = max(longest, run)
            elif day != today:
                run = 0
        day += timedelta(days=1)
    return Streaks(longest, run)


# --- patterns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HourPattern:
    """How prompts shown in one local hour were answered."""

    hour: int
    prompts: int
    snoozed: int
    skipped: int

    @property
    def share(self) -> float:
        """Share of the prompts snoozed or skipped (0 with no prompts)."""
        if self.prompts == 0:
            return 0.0
        return min(1.0, (self.snoozed + self.skipped) / self.prompts)


def hour_patterns(buckets: Iterable[Bucket], tz: tzinfo | None) -> tuple[HourPattern, ...]:
    """Prompts shown (first and returning), snoozes and skips per local hour, hours with any."""
    acc: dict[int, list[int]] = {}
    for b in buckets:
        column = {Action.PROMPTED: 0, Action.SNOOZED: 1, Action.SKIPPED: 2}.get(b.action)
        if column is None or (b.action is Action.SKIPPED and b.secondary):
            continue
        hour = b.start.astimezone(tz).hour
        acc.setdefault(hour, [0, 0, 0])[column] += b.count
    return tuple(HourPattern(h, *acc[h]) for h in sorted(acc))


def suggestion(patterns: Sequence[HourPattern]) -> str | None:
    """A plain-language hint when one hour's prompts are put off much more than the rest."""
    candidates = [p for p in patterns if p.prompts >= MIN_PROMPTS_FOR_PATTERN]
    if not candidates:
        return None
    worst = max(candidates, key=lambda p: (p.share, p.prompts))
    others = [p for p in patterns if p.hour != worst.hour]
    rest_prompts = sum(p.prompts for p in others)
    rest_share = (
        min(1.0, sum(p.snoozed + p.skipped for p in others) / rest_prompts) if rest_prompts else 0.0
    )
    if worst.share < PATTERN_SHARE or worst.share < rest_share + 0.2:
        return None
    if worst.skipped / worst.prompts >= PATTERN_SHARE:
        verb, n = "skip", worst.skipped
    elif worst.snoozed / worst.prompts >= PATTERN_SHARE:
        verb, n = "snooze", worst.snoozed
    else:
        verb, n = "snooze or skip", worst.snoozed + worst.skipped
    n = min(n, worst.prompts)
    return (
        f"You {verb} {n} of {worst.prompts} prompts at {worst.hour:02d}:00 — a standing meeting?"
        f" Try `pause until {worst.hour:02d}:30` or move your hours."
    )


# --- outcomes per day (the report's bars) ------------------------------------------------------


class Outcome(enum.Enum):
    """How one offered break ended, as the report stacks it."""

    TAKEN = "taken"
    NATURAL = "natural"
    SNOOZED_TAKEN = "snoozed_then_taken"
    SKIPPED = "skipped"
    MISSED = "missed"

    @property
    def label(self) -> str:
        """The legend's words."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class DayOutcomes:
    """One local day's breaks by outcome: how many, and minutes (moved, or not moved)."""

    day: date
    counts: Mapping[Outcome, int]
    minutes: Mapping[Outcome, float]

    @property
    def moved(self) -> float:
        """Minutes actually moved (taken, natural, snoozed then taken)."""
        return sum(self.minutes[o] for o in (Outcome.TAKEN, Outcome.NATURAL, Outcome.SNOOZED_TAKEN))


def day_outcomes(
    events: Iterable[Event], first: date, last: date, tz: tzinfo | None, settings: Settings
) -> tuple[DayOutcomes, ...]:
    """Each working day from ``first`` to ``last``: breaks by outcome (events in time order).

    Skipped and missed breaks weigh the configured length of their kind: the minutes the
    person could have moved, so the bar shows what was left on the table.
    """
    counts: dict[date, dict[Outcome, int]] = {}
    mins: dict[date, dict[Outcome, float]] = {}
    snoozed: set[BreakKind] = set()
    day_of = hours.work_day_finder(settings.schedule, tz)
    for e in events:
        if e.kind is None:
            continue
        if e.action is Action.SNOOZED:
            snoozed.add(e.kind)
            continue
        outcome = _outcome(e, e.kind in snoozed)
        if outcome is None:
            continue
        snoozed.discard(e.kind)
        day = day_of(e.at)
        if not first <= day <= last:
            continue
        weight = stats.moved_minutes(e)
        if outcome in {Outcome.SKIPPED, Outcome.MISSED}:
            weight = settings.rule(e.kind).duration.total_seconds() / 60
        c = counts.setdefault(day, dict.fromkeys(Outcome, 0))
        m = mins.setdefault(day, dict.fromkeys(Outcome, 0.0))
        c[outcome] += 1
        m[outcome] += weight
    out: list[DayOutcomes] = []
    day = first
    while day <= last:
        out.append(
            DayOutcomes(
                day,
                MappingProxyType(counts.get(day, dict.fromkeys(Outcome, 0))),
                MappingProxyType(mins.get(day, dict.fromkeys(Outcome, 0.0))),
            )
        )
        day += timedelta(days=1)
    return tuple(out)


def _outcome(e: Event, was_snoozed: bool) -> Outcome | None:
    if e.action in {Action.COMPLETED, Action.ENDED_EARLY}:
        return Outcome.SNOOZED_TAKEN if was_snoozed else Outcome.TAKEN
    if e.action is Action.NATURAL:
        return Outcome.NATURAL
    if e.action is Action.SKIPPED:
        return Outcome.SKIPPED
    if e.action is Action.MISSED:
        return Outcome.MISSED
    return None
