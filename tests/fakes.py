"""Recording fakes for the engine's ports (no Mock(): each one keeps what it was asked)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from posturebreak.core.domain import Event
from posturebreak.core.effects import BeginBreak, EndBreak, Notify, ShowPrompt, StatusView
from posturebreak.core.exercises import Exercise
from posturebreak.storage.durability import LOGGED, Saved


@dataclass
class FakeClock:
    """Wall, monotonic and boot time that move only when told."""

    wall: datetime
    mono: float = 1000.0
    boot: float = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def boottime(self) -> float:
        return self.boot

    def advance(self, span: timedelta) -> None:
        self.wall += span
        self.mono += span.total_seconds()
        self.boot += span.total_seconds()

    def suspend(self, span: timedelta) -> None:
        """The machine slept: wall and boot time move, monotonic time does not."""
        self.wall += span
        self.boot += span.total_seconds()

    def set_wall(self, span: timedelta) -> None:
        """Someone moved the wall clock."""
        self.wall += span


@dataclass
class RecordingStore:
    """The engine's log port, as a log that takes every write at once."""

    events: list[Event] = field(default_factory=list)
    outcome: Saved = LOGGED

    def submit(self, events: Sequence[Event], done: Callable[[Saved], None] | None = None) -> None:
        self.events.extend(events)
        if done is not None:
            done(self.outcome)


@dataclass
class RecordingWakeup:
    armed: list[datetime] = field(default_factory=list)

    def arm(self, at: datetime) -> None:
        self.armed.append(at)


@dataclass
class RecordingFront:
    calls: list[tuple[str, object]] = field(default_factory=list)
    views: list[StatusView] = field(default_factory=list)

    def show_prompt(self, prompt: ShowPrompt, card: Exercise | None) -> None:
        self.calls.append(("prompt", (prompt, card)))

    def close_prompt(self, reason: str) -> None:
        self.calls.append(("close", reason))

    def begin_break(self, brk: BeginBreak, card: Exercise | None) -> None:
        self.calls.append(("begin", (brk, card)))

    def end_break(self, end: EndBreak) -> None:
        self.calls.append(("end", end))

    def show_status(self, view: StatusView) -> None:
        self.views.append(view)

    def notify(self, note: Notify) -> None:
        self.calls.append(("notify", note))

    def named(self, name: str) -> list[object]:
        return [v for n, v in self.calls if n == name]


@dataclass
class FixedProbe:
    """An idle probe that says what the test set in ``value``."""

    value: timedelta | None = timedelta(0)
    name: str = "fixed"
    notice: str = ""

    def idle(self) -> timedelta | None:
        return self.value

    def close(self) -> None:
        pass
