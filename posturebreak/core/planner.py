"""``posturebreak plan``: the day's reminders as configured, by running the policy. Pure.

The plan assumes every break is taken when prompted, so it shows exactly the rhythm the
settings produce (including the covering of smaller breaks by bigger ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from posturebreak.core import hours
from posturebreak.core.commands import StartBreak
from posturebreak.core.domain import BreakKind
from posturebreak.core.effects import ShowPrompt
from posturebreak.core.policy import step
from posturebreak.core.policy_state import Context, Observation, initial_state
from posturebreak.core.settings import Settings


@dataclass(frozen=True)
class PlannedBreak:
    """One reminder of the day."""

    at: datetime
    kind: BreakKind
    duration: timedelta


def plan_day(
    settings: Settings, day: date, tz: tzinfo | None, walk_target: timedelta | None = None
) -> list[PlannedBreak]:
    """The reminders of working day ``day`` if every break is started when it is prompted.

    A night that starts on ``day`` is planned to its end the next morning; the morning hours
    of a night that started the day before belong to that day's plan.
    """
    ctx = Context(settings, tz, walk_target)
    start, end = hours.work_day_bounds(settings.schedule, day, tz)
    state = initial_state(start)
    now = start
    out: list[PlannedBreak] = []
    # A day holds far fewer than this many wake-ups even with seconds-long intervals.
    for _ in range(200_000):
        state, fx = step(state, ctx, Observation(now))
        for e in fx:
            if isinstance(e, ShowPrompt):
                out.append(PlannedBreak(now, e.kind, e.duration))
                state, _ = step(state, ctx, Observation(now), StartBreak())
        wake = state.expected_wake
        if wake is None or wake >= end:
            break
        now = wake
    return out
