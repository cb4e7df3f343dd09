"""Today's "N of M breaks taken", kept current from the events the engine records. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo

from posturebreak.core.domain import Action, Event
from posturebreak.core.hours import work_day_finder
from posturebreak.core.settings import Schedule


def is_first_prompt(e: Event) -> bool:
    """A prompt for a new break, not the return of a snoozed one."""
    return e.action is Action.PROMPTED and not e.detail.startswith("snoozed")


class TodayCounter:
    """Counts breaks taken (completed or natural) and breaks offered today.

    "Today" is the working day (``hours.work_day``): during a night shift the breaks after
    midnight add to the night's count. Without a ``schedule`` days are local calendar days.
    Used from the engine thread only.
    """

    def __init__(
        self, tz: tzinfo | None, events: Iterable[Event] = (), schedule: Schedule | None = None
    ) -> None:
        # The default schedule has no nights: its working days are the calendar days.
        self._day_of: Callable[[datetime], date] = work_day_finder(schedule or Schedule(), tz)
        self._day: date | None = None
        self._taken = 0
        self._offered = 0
        for e in events:
            self.add(e)

    def _roll(self, day: date) -> None:
        if day != self._day:
            self._day, self._taken, self._offered = day, 0, 0

    def add(self, e: Event) -> None:
        """Count ``e`` if it belongs to today."""
        day = self._day_of(e.at)
        if self._day is not None and day < self._day:
            return
        self._roll(day)
        if e.action in {Action.COMPLETED, Action.NATURAL}:
            self._taken += 1
        if is_first_prompt(e) or e.action is Action.NATURAL:
            self._offered += 1

    def counts(self, now: datetime) -> tuple[int, int]:
        """(taken, offered) for the working day of ``now``."""
        self._roll(self._day_of(now))
        return self._taken, self._offered
