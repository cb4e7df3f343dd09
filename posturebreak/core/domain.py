"""The vocabulary of posturebreak: break kinds, answers, log actions and events.

Everything here is an enum or a frozen dataclass. The module imports only the standard
library so that the pure core (policy, config, stats) can be loaded anywhere.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone


class BreakKind(enum.Enum):
    """The three kinds of break, smallest first.

    A bigger break covers the smaller ones: a walk counts as a stretch and a stand.
    """

    STAND = "stand"
    STRETCH = "stretch"
    WALK = "walk"

    @property
    def rank(self) -> int:
        """Position in size order: stand 0, stretch 1, walk 2."""
        return _ORDER.index(self)

    def covers(self, other: BreakKind) -> bool:
        """Whether taking this break also counts as taking ``other``."""
        return self.rank >= other.rank

    @property
    def label(self) -> str:
        """The kind's name as shown to people ("Stand", "Stretch", "Walk")."""
        return self.value.capitalize()

    @classmethod
    def parse(cls, text: str) -> BreakKind:
        """The kind named ``text`` (case-insensitive); ``ValueError`` names the choices."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown break kind {text!r} (expected one of: {choices})") from None


_ORDER = (BreakKind.STAND, BreakKind.STRETCH, BreakKind.WALK)


class Action(enum.Enum):
    """What happened, as written to the log."""

    PROMPTED = "prompted"
    STARTED = "started"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    SNOOZED = "snoozed"
    SKIPPED = "skipped"
    MISSED = "missed"
    NATURAL = "natural"
    DEFERRED = "deferred"
    PAUSED = "paused"
    RESUMED = "resumed"
    PLAN_RESET = "plan_reset"


# The answers that close a prompt. Every prompt ends in exactly one of these.
PROMPT_OUTCOMES = frozenset(
    {Action.STARTED, Action.SNOOZED, Action.SKIPPED, Action.MISSED, Action.NATURAL}
)


class Choice(enum.Enum):
    """A person's answer to a prompt or a running break."""

    START = "start"
    SNOOZE = "snooze"
    SKIP = "skip"
    DONE = "done"
    STOP = "stop"


class Mode(enum.Enum):
    """What the app is doing, as the tray and ``status`` show it."""

    WORKING = "working"
    NOTICE = "notice"
    PROMPTING = "prompting"
    ON_BREAK = "on_break"
    SNOOZED = "snoozed"
    PAUSED = "paused"
    OFF_HOURS = "off_hours"
    AWAY = "away"
    DEFERRED = "deferred"


@dataclass(frozen=True)
class Event:
    """One line of the log. Instants are aware and in UTC.

    ``seq`` is the log's own count of appends on this machine (1, 2, 3, ...): the order the
    events happened in even when the wall clock was set back, so an answer never sorts before
    its prompt. The store assigns it; an event not read from a log (a new one, or one from
    another machine's export) has none that counts here. It is left out of equality: the same
    event read from two logs is the same event.
    """

    id: str
    at: datetime
    kind: BreakKind | None
    action: Action
    duration_s: float | None = None
    detail: str = ""
    seq: int | None = field(default=None, compare=False)

    @staticmethod
    def new(
        at: datetime,
        kind: BreakKind | None,
        action: Action,
        duration_s: float | None = None,
        detail: str = "",
    ) -> Event:
        """A fresh event with a random UUID, its instant converted to UTC."""
        return Event(
            id=str(uuid.uuid4()),
            at=to_utc(at),
            kind=kind,
            action=action,
            duration_s=duration_s,
            detail=detail,
        )


def to_utc(at: datetime) -> datetime:
    """``at`` as an aware UTC instant; naive datetimes are refused (they hide bugs)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: posturebreak works with aware instants only")
    return at.astimezone(timezone.utc)


def format_duration(span: timedelta) -> str:
    """``span`` in the config's own syntax: ``90s`` -> ``1m30s``, ``2h``, ``0s``."""
    total = round(span.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if v]
    return sign + ("".join(parts) or "0s")


def humanize(span: timedelta) -> str:
    """A short, friendly length for menus and tooltips: ``45 s``, ``12 min``, ``1 h 05 min``."""
    seconds = max(0, round(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = (seconds + 59) // 60 if seconds < 3600 else round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d} min"
