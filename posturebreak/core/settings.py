"""The user's settings as frozen dataclasses, with the evidence-based defaults.

``config.py`` turns TOML text into these; the policy, stats and adapters only ever see
these typed values. Pure: standard library only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from types import MappingProxyType

from posturebreak.core.domain import BreakKind

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


MIDNIGHT = time(0)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class TimeRange:
    """A daily stretch of working time in local wall-clock time, from ``start`` to ``end``.

    An ``end`` at or before ``start`` is on the next day: ``22:00-06:00`` is a night shift,
    and an ``end`` of 00:00 is the midnight closing the day, written ``24:00``
    (``09:00-24:00``; ``00:00-24:00`` is the whole day). A night belongs to the day it
    starts on. Any other ``start == end`` is refused: it does not say which is meant.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end and self.start != MIDNIGHT:
            raise ValueError(f"{self}: start equals end; the whole day is 00:00-24:00")

    @property
    def offsets(self) -> tuple[timedelta, timedelta]:
        """Start and end as wall-clock time since the start day's midnight (end up to 48 h)."""
        start = _since_midnight(self.start)
        end = _since_midnight(self.end)
        return start, end + DAY if end <= start else end

    @property
    def length(self) -> timedelta:
        """The nominal length on the wall clock (a DST change makes the real one differ)."""
        start, end = self.offsets
        return end - start

    @property
    def ends_next_day(self) -> bool:
        """Whether ``end`` is on the day after ``start`` (a night, or 24:00)."""
        return self.end <= self.start

    @property
    def crosses_midnight(self) -> bool:
        """Whether the range holds time of the next day (a night, not one ending at 24:00)."""
        return self.offsets[1] > DAY

    def __str__(self) -> str:
        end = "24:00" if self.end == MIDNIGHT else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


def _since_midnight(at: time) -> timedelta:
    return timedelta(
        hours=at.hour, minutes=at.minute, seconds=at.second, microseconds=at.microsecond
    )


@dataclass(frozen=True)
class Schedule:
    """When the timers run: working days (0 = Monday) and the day's working ranges.

    A range that runs past midnight belongs to the working day it starts on: a Friday night
    runs into Saturday morning even when Saturday is not a working day.
    """

    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    hours: tuple[TimeRange, ...] = (
        TimeRange(time(9, 0), time(12, 30)),
        TimeRange(time(13, 30), time(17, 30)),
    )

    @property
    def nights(self) -> tuple[TimeRange, ...]:
        """The ranges that run into the next day (at most one in a valid schedule)."""
        return tuple(r for r in self.hours if r.crosses_midnight)


@dataclass(frozen=True)
class BreakRule:
    """How often and how long one kind of break is."""

    kind: BreakKind
    every: timedelta
    duration: timedelta
    enabled: bool = True


def _default_rules() -> Mapping[BreakKind, BreakRule]:
    # Diaz et al. 2023: movement every 30 min beats hourly; Cornell/Case Western: ~5 min hourly-ish.
    return MappingProxyType(
        {
            BreakKind.STAND: BreakRule(
                BreakKind.STAND, timedelta(minutes=30), timedelta(minutes=1)
            ),
            BreakKind.STRETCH: BreakRule(
                BreakKind.STRETCH, timedelta(minutes=60), timedelta(minutes=3)
            ),
            BreakKind.WALK: BreakRule(BreakKind.WALK, timedelta(hours=2), timedelta(minutes=5)),
        }
    )


@dataclass(frozen=True)
class PromptSettings:
    """How a prompt behaves: snooze choices and limit, timeout, heads-up, chime."""

    snooze: tuple[timedelta, ...] = (
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=15),
    )
    max_snoozes: int = 3
    timeout: timedelta = timedelta(minutes=5)
    notice: timedelta = timedelta(seconds=30)
    sound: bool = True


class IdleProbeName(enum.Enum):
    """Which idle-time source to use; ``auto`` picks the first that works."""

    AUTO = "auto"
    X11 = "x11"
    GNOME = "gnome"
    KDE = "kde"
    WINDOWS = "windows"
    MACOS = "macos"
    NONE = "none"


@dataclass(frozen=True)
class IdleSettings:
    """Presence detection: idle shorter than ``away_after`` still counts as sitting."""

    probe: IdleProbeName = IdleProbeName.AUTO
    away_after: timedelta = timedelta(minutes=3)


@dataclass(frozen=True)
class DndSettings:
    """Do-not-disturb: when a due prompt waits, and for how long at most."""

    fullscreen: bool = True
    meetings: bool = True
    apps: tuple[str, ...] = ()
    max_delay: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class GoalSettings:
    """The daily movement goal (Buckley 2015: 2 h of standing/light activity, rising to 4 h)."""

    daily_minutes: int = 120


@dataclass(frozen=True)
class WalkingPlan:
    """The progressive walking plan: the walk grows after good weeks, eases after poor ones."""

    enabled: bool = True
    step: timedelta = timedelta(minutes=1)
    cap: timedelta = timedelta(minutes=15)
    grow_at: float = 0.8
    ease_below: float = 0.5


class TrayBackend(enum.Enum):
    """pystray backend choice on Linux; ``auto`` tries appindicator, gtk, then xorg."""

    AUTO = "auto"
    APPINDICATOR = "appindicator"
    GTK = "gtk"
    XORG = "xorg"
    NONE = "none"


@dataclass(frozen=True)
class TraySettings:
    """Tray options."""

    backend: TrayBackend = TrayBackend.AUTO


@dataclass(frozen=True)
class Settings:
    """Everything the user can set. The defaults are the product's recommended setup."""

    schedule: Schedule = field(default_factory=Schedule)
    breaks: Mapping[BreakKind, BreakRule] = field(default_factory=_default_rules)
    prompt: PromptSettings = field(default_factory=PromptSettings)
    idle: IdleSettings = field(default_factory=IdleSettings)
    dnd: DndSettings = field(default_factory=DndSettings)
    goal: GoalSettings = field(default_factory=GoalSettings)
    walking_plan: WalkingPlan = field(default_factory=WalkingPlan)
    tray: TraySettings = field(default_factory=TraySettings)

    def enabled_rules(self) -> tuple[BreakRule, ...]:
        """The enabled break rules, smallest kind first."""
        return tuple(r for k in BreakKind if (r := self.breaks.get(k)) is not None and r.enabled)

    def rule(self, kind: BreakKind) -> BreakRule:
        """The rule for ``kind`` (present for every kind, enabled or not)."""
        return self.breaks[kind]
