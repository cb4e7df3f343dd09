"""What a person (tray, break window, console or CLI) can ask the policy to do.

These are plain frozen dataclasses so every front end speaks the same language and the
policy can be driven in tests without any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from posturebreak.core.domain import BreakKind


@dataclass(frozen=True)
class TakeBreak:
    """Start a break of ``kind`` now ("Take a break now")."""

    kind: BreakKind


@dataclass(frozen=True)
class StartBreak:
    """Answer the open prompt with Start."""


@dataclass(frozen=True)
class Snooze:
    """Snooze the open prompt (or the next break) by ``span``; ``None`` = the first choice."""

    span: timedelta | None = None


@dataclass(frozen=True)
class Skip:
    """Skip the open prompt, or the next break when none is open ("Skip next")."""


@dataclass(frozen=True)
class FinishBreak:
    """The running break ended.

    ``completed`` when its time ran out or Done was pressed at the end; otherwise it was cut
    short after ``moved`` of movement.
    """

    moved: timedelta | None = None
    completed: bool = True


@dataclass(frozen=True)
class PauseFor:
    """Pause reminders for ``span`` (a pause always ends)."""

    span: timedelta


@dataclass(frozen=True)
class PauseUntil:
    """Pause reminders until ``at``."""

    at: datetime


@dataclass(frozen=True)
class PauseUntilTomorrow:
    """Pause reminders until the start of the next working day."""


@dataclass(frozen=True)
class Resume:
    """End a pause now."""


Command = (
    TakeBreak
    | StartBreak
    | Snooze
    | Skip
    | FinishBreak
    | PauseFor
    | PauseUntil
    | PauseUntilTomorrow
    | Resume
)
