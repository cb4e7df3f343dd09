"""What the tray tooltip, the menu's first line and ``status`` say, as a pure function of a view.

The text is deliberately coarse: a countdown reads "Stand in 12 min" or "Stand in under a
minute", never seconds, so it changes at most once a minute and the tray can keep it exact with
one redraw per change (:func:`next_change` says when). Instants are named with their day when
they are not today ("Paused until Wed 10:00").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from posturebreak.core.domain import BreakKind, Mode


class StatusView(Protocol):
    """What the words are made of: the fields of ``effects.StatusView`` read here.

    A protocol, so the effects module (which holds the view and asks for its words) and this
    one do not import each other.
    """

    @property
    def mode(self) -> Mode:
        """What the app is doing."""
        ...

    @property
    def now(self) -> datetime:
        """The instant of the snapshot."""
        ...

    @property
    def next_kind(self) -> BreakKind | None:
        """The break that comes next."""
        ...

    @property
    def next_at(self) -> datetime | None:
        """When the next thing happens."""
        ...

    @property
    def active_kind(self) -> BreakKind | None:
        """The break running or prompted now."""
        ...

    @property
    def paused_until(self) -> datetime | None:
        """The end of a pause."""
        ...

    @property
    def notice(self) -> str:
        """A standing notice (e.g. about the idle probe)."""
        ...

    @property
    def walk_note(self) -> str:
        """The walking plan's line."""
        ...

    @property
    def time_left(self) -> timedelta | None:
        """Time until ``next_at``."""
        ...

    def seen_at(self, now: datetime) -> StatusView:
        """The same snapshot as it reads at ``now``."""
        ...


_MINUTE = 60
_HOUR = 3600
# From here on a countdown is told in whole hours ("Stand in 30 h"): nothing is near, and the
# text then changes once an hour, not once a minute.
_HOURS_ONLY_FROM = 10 * _HOUR


def countdown(span: timedelta) -> str:
    """A time left as the tray says it: ``under a minute``, ``12 min``, ``1 h 05 min``, ``30 h``.

    Minutes and hours are rounded up, so the words only ever count down and each of them
    holds for a whole minute (or hour): "2 min" from 2 min down to just over 1 min.
    """
    seconds = max(0.0, span.total_seconds())
    if seconds <= _MINUTE:
        # Not "1 min": rounded up, that would hold only at exactly 60 s and flicker past.
        return "under a minute"
    if seconds >= _HOURS_ONLY_FROM:
        return f"{math.ceil(seconds / _HOUR)} h"
    minutes = math.ceil(seconds / _MINUTE)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d} min"


def clock_time(at: datetime, now: datetime) -> str:
    """``at`` in local time: ``14:30`` today, ``Wed 10:00`` on another day."""
    local = at.astimezone()
    if local.date() == now.astimezone().date():
        return f"{local:%H:%M}"
    return f"{local:%a %H:%M}"


def headline(view: StatusView) -> str:
    """The one-line summary used as the tray tooltip and the menu's first line."""
    special = _activity_line(view)
    if special is not None:
        return special
    left = view.time_left
    if view.next_kind is not None and left is not None:
        soon = f"{view.next_kind.label} in {countdown(left)}"
        if view.next_kind is BreakKind.WALK and view.walk_note:
            return f"{soon}. {view.walk_note}"
        return soon
    return "No breaks scheduled"


def _activity_line(view: StatusView) -> str | None:
    """The line for a mode that says something other than "next break in ..."."""
    line = _MODE_LINES.get(view.mode)
    return line(view) if line is not None else None


def _paused(view: StatusView) -> str | None:
    if view.paused_until is None:
        return None
    return f"Paused until {clock_time(view.paused_until, view.now)}"


def _prompting(view: StatusView) -> str | None:
    return None if view.active_kind is None else f"Time to {view.active_kind.value}"


def _on_break(view: StatusView) -> str | None:
    kind, left = view.active_kind, view.time_left
    if kind is None or left is None:
        return None
    return f"{kind.label} break: {countdown(left)} left"


def _snoozed(view: StatusView) -> str | None:
    kind, left = view.active_kind, view.time_left
    if kind is None or left is None:
        return None
    return f"{kind.label} snoozed: back in {countdown(left)}"


def _off_hours(view: StatusView) -> str:
    if view.next_at is None:
        return "Outside working hours"
    return f"Outside working hours until {clock_time(view.next_at, view.now)}"


def _away(_view: StatusView) -> str:
    return "Away from the desk"


def _deferred(view: StatusView) -> str | None:
    if view.active_kind is None:
        return None
    return f"{view.active_kind.label} waiting: {view.notice or 'do not disturb'}"


# One small function per mode with its own words; the others say "Stand in 12 min".
_MODE_LINES: Mapping[Mode, Callable[[StatusView], str | None]] = MappingProxyType(
    {
        Mode.PAUSED: _paused,
        Mode.PROMPTING: _prompting,
        Mode.ON_BREAK: _on_break,
        Mode.SNOOZED: _snoozed,
        Mode.OFF_HOURS: _off_hours,
        Mode.AWAY: _away,
        Mode.DEFERRED: _deferred,
    }
)


def next_change(view: StatusView) -> datetime | None:
    """The first instant after ``view.now`` at which :func:`headline` reads differently.

    Only the passing of time is considered (the view is otherwise frozen): a countdown reaching
    its next minute (or hour) boundary, and local midnight, when "Wed 10:00" becomes "10:00".
    ``None`` when the text cannot change by time alone.
    """
    now = view.now
    current = headline(view)
    for at in _candidates(view):
        if at > now and headline(view.seen_at(at)) != current:
            return at
    return None


def _candidates(view: StatusView) -> list[datetime]:
    """Instants where the text may change, in order: countdown boundaries, then midnight."""
    now = view.now
    out: list[datetime] = []
    if view.next_at is not None:
        left = (view.next_at - now).total_seconds()
        for unit in (_MINUTE, _HOUR):
            # The rounded-up count drops by one when the time left reaches a multiple of unit.
            steps = math.ceil(left / unit) - 1 if left > 0 else -1
            if steps >= 0:
                out.append(view.next_at - timedelta(seconds=steps * unit))
        if view.next_at > now:
            out.append(view.next_at)
    local = now.astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    out.append(midnight.astimezone(now.tzinfo))
    return sorted(out)
