"""What the policy asks the outside world to do, and the status snapshot front ends show.

The policy returns a list of these; the engine carries them out through its ports.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from posturebreak.core import status_text
from posturebreak.core.domain import BreakKind, Event, Mode


@dataclass(frozen=True)
class StatusView:
    """A snapshot of the app for the tray, the menu, the console and ``status``.

    ``next_at`` is the next thing the user will see happen (a prompt, the end of a snooze,
    pause or break); ``ring`` is the share of the current countdown still to go (1.0 just
    after a break, 0.0 when it is due), or ``None`` when nothing is counting down.
    """

    mode: Mode
    now: datetime
    next_kind: BreakKind | None = None
    next_at: datetime | None = None
    ring: float | None = None
    active_kind: BreakKind | None = None
    active_duration: timedelta | None = None
    paused_until: datetime | None = None
    snooze_choices: tuple[timedelta, ...] = ()
    snoozes_left: int = 0
    taken_today: int = 0
    prompted_today: int = 0
    notice: str = ""
    walk_note: str = ""

    @property
    def time_left(self) -> timedelta | None:
        """Time until ``next_at`` (never negative), or ``None``."""
        if self.next_at is None:
            return None
        return max(timedelta(0), self.next_at - self.now)

    def seen_at(self, now: datetime) -> StatusView:
        """The same snapshot as it reads at ``now``."""
        return replace(self, now=now)

    def headline(self) -> str:
        """The one-line summary used as the tray tooltip: "Walk in 12 min", ...."""
        return status_text.headline(self)

    def next_change(self) -> datetime | None:
        """When :meth:`headline` next reads differently by time alone (see status_text)."""
        return status_text.next_change(self)


@dataclass(frozen=True)
class Record:
    """Append ``event`` to the log (one committed transaction)."""

    event: Event


@dataclass(frozen=True)
class ShowPrompt:
    """Open the break prompt for ``kind`` (``duration`` long)."""

    kind: BreakKind
    duration: timedelta
    snooze_choices: tuple[timedelta, ...]
    snoozes_left: int
    deadline: datetime
    note: str = ""


@dataclass(frozen=True)
class ClosePrompt:
    """Close the prompt window if it is still open (answered elsewhere, timed out, ...)."""

    reason: str


@dataclass(frozen=True)
class BeginBreak:
    """Show the running break (countdown + exercise) for ``kind`` until ``ends_at``."""

    kind: BreakKind
    duration: timedelta
    ends_at: datetime
    note: str = ""


@dataclass(frozen=True)
class EndBreak:
    """The break is over; close the countdown."""

    kind: BreakKind
    completed: bool


@dataclass(frozen=True)
class Notify:
    """A heads-up notification (``title``, ``message``)."""

    title: str
    message: str


@dataclass(frozen=True)
class ArmWakeup:
    """Wake the engine at ``at`` (replaces any earlier request)."""

    at: datetime


@dataclass(frozen=True)
class UpdateStatus:
    """The status changed; redraw the tray and menu."""

    view: StatusView


@dataclass(frozen=True)
class Rejected:
    """A command could not be carried out; ``reason`` is a sentence for the user."""

    reason: str


Effect = (
    Record
    | ShowPrompt
    | ClosePrompt
    | BeginBreak
    | EndBreak
    | Notify
    | ArmWakeup
    | UpdateStatus
    | Rejected
)
