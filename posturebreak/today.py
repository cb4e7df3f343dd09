"""Today's "N of M breaks taken", kept current from the events the engine records. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo

from posturebreak.domain import Action, Event


def is_first_prompt(e: Event) -> bool:
    """A prompt for a new break, not the return of a snoozed one."""
    return e.action is Action.PROMPTED and not e.detail.startswith("snoozed")


class TodayCounter:
    """Counts breaks taken (completed or natural) and breaks offered today (local time).

    Used from the engine thread only.
    """

    def __init__(self, tz: tzinfo | None, events: Iterable[Event] = ()) -> None:
        self._tz = tz
        self._day: date | None = None
        self._taken = 0
        self._offered = 0
        for e in events:
            self.add(e)

    def _roll(self, at: datetime) -> date:
        day = at.astimezone(self._tz).date()
        if day != self._day:
            self._day, self._taken, self._offered = day, 0, 0
        return day

    def add(self, e: Event) -> None:
        """Count ``e`` if it belongs to today."""
        day = e.at.astimezone(self._tz).date()
        if self._day is not None and day < self._day:
            return
        self._roll(e.at)
        if e.action in {Action.COMPLETED, Action.NATURAL}:
            self._taken += 1
        if is_first_prompt(e) or e.action is Action.NATURAL:
            self._offered += 1

    def counts(self, now: datetime) -> tuple[int, int]:
        """(taken, offered) for the local day of ``now``."""
        self._roll(now)
        return self._taken, self._offered
