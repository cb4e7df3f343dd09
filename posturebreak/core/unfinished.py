"""Prompts and breaks a crash left open in the log, closed at the next start.

A prompt or a break is open in the log when no outcome follows it: the app was killed
(``kill -9``, a power cut, a crash) before it could say how it ended. The next start gives
each exactly one closing event with the reason ``APP_STOPPED``:

- an open prompt was **missed**: nobody answered it, and with the app gone nobody could;
- a running break **completed** if its time was up by now (as the running app would have
  logged with nobody pressing Done), else it **ended early** after the time it ran.

Each is dated when it would have closed had the app lived and nobody acted (the prompt's
deadline, the break's end), or at the start-up instant if that is sooner: never in the
future. Pure apart from reading the log through the two queries it is given.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Protocol

from posturebreak.core.domain import PROMPT_OUTCOMES, Action, Event

APP_STOPPED = "app stopped"

BREAK_ENDS = frozenset({Action.COMPLETED, Action.ENDED_EARLY})

# A closing event is dated at least this much after what it closes, so that it sorts after
# it even when the app restarts within the same microsecond (or the clock went back).
_AFTER = timedelta(microseconds=1)

# Events logged at one instant, in the order one step of the policy writes them: a break
# ends, an old prompt closes, a new one opens, then an answer to it (a start or a snooze).
_ORDER = {
    Action.COMPLETED: 0,
    Action.ENDED_EARLY: 0,
    Action.MISSED: 1,
    Action.NATURAL: 1,
    Action.SKIPPED: 1,
    Action.PROMPTED: 2,
    Action.STARTED: 3,
    Action.SNOOZED: 3,
}


def _log_order(e: Event) -> tuple[int, datetime, int]:
    """Where ``e`` stands in the log.

    Its sequence number first (a clock set back cannot reorder those), then, for events not
    read from the log, time and the order in which one policy step writes them.
    """
    return (e.seq or 0, e.at, _ORDER.get(e.action, 1))


class LogTail(Protocol):
    """The two queries of the event store this needs."""

    def last_event(self, actions: Collection[Action] | None = None) -> Event | None:
        """The latest event among ``actions``."""
        ...

    def events(self, since: datetime | None = None) -> list[Event]:
        """The events from ``since`` on, in log order."""
        ...


def tail(log: LogTail) -> list[Event]:
    """The end of the log that may hold an open prompt or break (often nothing at all)."""
    starts: list[datetime] = []
    for opened, closers in ((Action.PROMPTED, PROMPT_OUTCOMES), (Action.STARTED, BREAK_ENDS)):
        last = log.last_event([opened])
        closed = log.last_event(closers)
        if last is not None and (closed is None or _log_order(closed) <= _log_order(last)):
            starts.append(last.at)
    return log.events(since=min(starts)) if starts else []


def closing_events(events: Iterable[Event], timeout: timedelta, now: datetime) -> list[Event]:
    """One closing event for the prompt and the break still open at the end of ``events``.

    ``timeout`` is how long a prompt waits for an answer; ``now`` the start-up instant.
    """
    prompt: Event | None = None
    running: Event | None = None
    for e in sorted(events, key=_log_order):
        if e.action is Action.PROMPTED:
            prompt = e
        elif e.action in PROMPT_OUTCOMES:
            # Any outcome closes an open prompt (those answering none come when none is open).
            prompt = None
        if e.action is Action.STARTED:
            running = e
        elif e.action in BREAK_ENDS:
            running = None
    closing: list[Event] = []
    if prompt is not None:
        at = max(prompt.at + _AFTER, min(prompt.at + timeout, now))
        closing.append(Event.new(at, prompt.kind, Action.MISSED, detail=APP_STOPPED))
    if running is not None:
        planned = timedelta(seconds=running.duration_s or 0.0)
        end = running.at + max(planned, _AFTER)
        if end <= now:
            closing.append(
                Event.new(end, running.kind, Action.COMPLETED, planned.total_seconds(), APP_STOPPED)
            )
        else:
            at = max(running.at + _AFTER, now)
            moved = (at - running.at).total_seconds()
            closing.append(Event.new(at, running.kind, Action.ENDED_EARLY, moved, APP_STOPPED))
    return closing
