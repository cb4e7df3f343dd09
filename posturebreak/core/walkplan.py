"""The progressive walking plan, reconstructed from the log alone. Pure.

The walk starts at the configured duration. After each finished week (Monday to Sunday,
local working days) in which at least ``grow_at`` of the walk prompts were taken, it grows by
``step`` up to ``cap``; after a week below ``ease_below`` it eases back one step (never
below the start); otherwise, or in a week with no walk prompts, it holds. A ``plan_reset``
event starts the plan again from the configured duration. Weeks are made of working days
(``hours.work_day``): the walks of a Sunday night after midnight belong to that week.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from posturebreak.core.domain import Action, BreakKind, Event, humanize
from posturebreak.core.hours import work_day_finder
from posturebreak.core.settings import Settings
from posturebreak.core.today import is_first_prompt

# The events the plan reads (the app loads only these at start-up).
RELEVANT = (Action.PROMPTED, Action.COMPLETED, Action.NATURAL)
# How far back the plan looks; a cap of 15 min from 5 min is ten good weeks.
HISTORY = timedelta(weeks=104)


@dataclass(frozen=True)
class PlanWeek:
    """One finished week: its Monday, walk prompts offered and taken, and the target after it."""

    monday: date
    offered: int
    taken: int
    target_after: timedelta

    @property
    def share(self) -> float | None:
        """Share of walk prompts taken, ``None`` when none were offered."""
        return None if self.offered == 0 else min(1.0, self.taken / self.offered)


@dataclass(frozen=True)
class PlanStatus:
    """Where the plan stands today."""

    target: timedelta
    last_week: timedelta
    weeks: tuple[PlanWeek, ...]

    def headline(self) -> str:
        """The line for the prompt and tray: "Today's walk: 7 min — 1 more than last week"."""
        text = f"Today's walk: {humanize(self.target)}"
        diff = round((self.target - self.last_week).total_seconds() / 60)
        if diff > 0:
            return f"{text} — {diff} more than last week."
        if diff < 0:
            return f"{text} — {-diff} less than last week, an easier week."
        return f"{text}."


def _next(settings: Settings, target: timedelta, week: tuple[int, int]) -> timedelta:
    plan = settings.walking_plan
    start = settings.rule(BreakKind.WALK).duration
    offered, taken = week
    if offered == 0:
        return target
    share = min(1.0, taken / offered)
    if share >= plan.grow_at:
        return min(plan.cap, target + plan.step)
    if share < plan.ease_below:
        return max(start, target - plan.step)
    return target


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def current_target(
    settings: Settings, events: Iterable[Event], now: datetime, tz: tzinfo | None
) -> PlanStatus:
    """The plan's state at ``now`` from the walk events (any order) and plan resets."""
    start = settings.rule(BreakKind.WALK).duration
    day_of = work_day_finder(settings.schedule, tz)
    this_monday = _monday(day_of(now))
    ordered = sorted(events, key=lambda e: e.at)
    resets = [e.at for e in ordered if e.action is Action.PLAN_RESET and e.at <= now]
    since = resets[-1] if resets else None
    counts: dict[date, list[int]] = {}
    for e in ordered:
        if e.kind is not BreakKind.WALK or (since is not None and e.at < since):
            continue
        monday = _monday(day_of(e.at))
        if monday >= this_monday:
            continue
        c = counts.setdefault(monday, [0, 0])
        if is_first_prompt(e) or e.action is Action.NATURAL:
            c[0] += 1
        if e.action in {Action.COMPLETED, Action.NATURAL}:
            c[1] += 1
    target = start
    previous = start
    weeks: list[PlanWeek] = []
    if counts:
        monday = min(counts)
        while monday < this_monday:
            offered, taken = counts.get(monday, [0, 0])
            previous = target
            target = _next(settings, target, (offered, taken))
            weeks.append(PlanWeek(monday, offered, taken, target))
            monday += timedelta(days=7)
    if not settings.walking_plan.enabled:
        return PlanStatus(start, start, tuple(weeks))
    return PlanStatus(target, previous, tuple(weeks))
