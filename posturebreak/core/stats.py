"""Figures derived from the log, and nothing else. Pure.

"Prompted" counts breaks the app offered (a prompt that comes back after a snooze is the same
break, so it is not counted twice). Compliance = (completed + natural) / (prompted + natural),
capped at 1 (breaks taken on one's own initiative can push it past the prompts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType

from posturebreak.core import hours
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.settings import Schedule
from posturebreak.core.today import is_first_prompt

# An absence of two hours is not two hours of movement: count at most this much of it.
NATURAL_MINUTES_CAP = 15.0


@dataclass(frozen=True)
class KindFigures:
    """Counts for one kind of break over a period."""

    prompted: int = 0
    started: int = 0
    completed: int = 0
    ended_early: int = 0
    snoozed: int = 0
    skipped: int = 0
    missed: int = 0
    natural: int = 0
    deferred: int = 0
    minutes: float = 0.0


_COUNTED = {
    Action.STARTED: "started",
    Action.COMPLETED: "completed",
    Action.ENDED_EARLY: "ended_early",
    Action.SNOOZED: "snoozed",
    Action.SKIPPED: "skipped",
    Action.MISSED: "missed",
    Action.NATURAL: "natural",
    Action.DEFERRED: "deferred",
}


def _empty() -> Mapping[BreakKind, KindFigures]:
    return MappingProxyType(dict.fromkeys(BreakKind, KindFigures()))


@dataclass(frozen=True)
class Summary:
    """Figures for ``[start, end)``."""

    start: datetime
    end: datetime
    by_kind: Mapping[BreakKind, KindFigures] = field(default_factory=_empty)

    @property
    def total(self) -> KindFigures:
        """All kinds added up."""
        sums = {name: sum(getattr(f, name) for f in self.by_kind.values()) for name in _FIELDS}
        return KindFigures(**sums)

    @property
    def compliance(self) -> float | None:
        """Share of breaks taken, or ``None`` when nothing was offered or taken."""
        t = self.total
        offered = t.prompted + t.natural
        if offered == 0:
            return None
        return min(1.0, (t.completed + t.natural) / offered)


_FIELDS = tuple(KindFigures.__dataclass_fields__)


def moved_minutes(e: Event) -> float:
    """Minutes of movement an event stands for."""
    if e.action in {Action.COMPLETED, Action.ENDED_EARLY}:
        return (e.duration_s or 0.0) / 60
    if e.action is Action.NATURAL:
        return min(NATURAL_MINUTES_CAP, (e.duration_s or 0.0) / 60)
    return 0.0


def summarize(events: Iterable[Event], start: datetime, end: datetime) -> Summary:
    """Count ``events`` in ``[start, end)`` per kind."""
    counts: dict[BreakKind, dict[str, float]] = {k: dict.fromkeys(_FIELDS, 0) for k in BreakKind}
    for e in events:
        if e.kind is None or not start <= e.at < end:
            continue
        c = counts[e.kind]
        if is_first_prompt(e):
            c["prompted"] += 1
        name = _COUNTED.get(e.action)
        if name is not None:
            c[name] += 1
        c["minutes"] += moved_minutes(e)
    by_kind = {
        k: KindFigures(**{n: (v if n == "minutes" else int(v)) for n, v in c.items()})  # type: ignore[arg-type]
        for k, c in counts.items()
    }
    return Summary(start, end, MappingProxyType(by_kind))


def day_bounds(
    day: date, tz: tzinfo | None, schedule: Schedule | None = None
) -> tuple[datetime, datetime]:
    """Local midnight to local midnight (23 or 25 h long across a DST change).

    Given the ``schedule``, the working day instead (``hours.work_day_bounds``): a night
    shift's hours after midnight belong to the day it started.
    """
    if schedule is not None:
        return hours.work_day_bounds(schedule, day, tz)
    return (
        hours.local_instant(day, time(0), tz),
        hours.local_instant(day + timedelta(days=1), time(0), tz),
    )


def week_bounds(
    day: date, tz: tzinfo | None, schedule: Schedule | None = None
) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of the week holding ``day`` (see ``day_bounds``)."""
    monday = day - timedelta(days=day.weekday())
    return day_bounds(monday, tz, schedule)[0], day_bounds(
        monday + timedelta(days=7), tz, schedule
    )[0]


def summary_json(s: Summary) -> dict[str, object]:
    """``stats --json``: ``{"from", "to", "by_kind": {KIND: {...}}, "compliance"}``."""
    by_kind = {}
    for k, f in s.by_kind.items():
        d = asdict(f)
        d["minutes"] = round(f.minutes, 1)
        by_kind[k.value] = d
    return {
        "from": s.start.isoformat(),
        "to": s.end.isoformat(),
        "by_kind": by_kind,
        "compliance": None if s.compliance is None else round(s.compliance, 3),
    }


def summary_text(s: Summary, schedule: Schedule | None = None, tz: tzinfo | None = None) -> str:
    """The figures as a small table for the terminal, headed by the days they cover.

    Given the ``schedule``, the days are working days: a Monday's night ends on Tuesday
    morning and is still headed "Mon".
    """
    last = s.end - timedelta(microseconds=1)
    if schedule is None:
        start, end = s.start.astimezone(tz).date(), last.astimezone(tz).date()
    else:
        start, end = hours.work_day(schedule, s.start, tz), hours.work_day(schedule, last, tz)
    span = f"{start:%a %d %b %Y}" if start == end else f"{start:%d %b} - {end:%d %b %Y}"
    head = "         prompted  done natural snoozed skipped missed    min"
    lines = [span, head]
    for kind, f in s.by_kind.items():
        lines.append(
            f"{kind.label:8} {f.prompted:8} {f.completed:5} {f.natural:7} {f.snoozed:7} "
            f"{f.skipped:7} {f.missed:6} {f.minutes:6.1f}"
        )
    c = s.compliance
    lines.append("Breaks taken: " + ("none offered yet" if c is None else f"{c:.0%}"))
    return "\n".join(lines)
