"""The policy's state, its fixed context, one observation of the world, and forecasts.

Split from ``policy.py`` so the transition function stays readable: here are the data and
the questions one can ask of it (what is due, when is the next prompt, what should the tray
show); ``policy.py`` holds the transitions. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType

from posturebreak.core import hours
from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.effects import StatusView
from posturebreak.core.settings import BreakRule, Settings


@dataclass(frozen=True)
class Prompt:
    """A prompt is open for ``kind`` since ``opened_at``; ``snoozes`` already used on it."""

    kind: BreakKind
    opened_at: datetime
    snoozes: int = 0


@dataclass(frozen=True)
class Snoozed:
    """The prompt for ``kind`` comes back at ``until`` (``span`` after it was snoozed)."""

    kind: BreakKind
    until: datetime
    span: timedelta
    snoozes: int


@dataclass(frozen=True)
class OnBreak:
    """A break of ``kind`` is running since ``started_at`` for ``duration``."""

    kind: BreakKind
    started_at: datetime
    duration: timedelta

    @property
    def ends_at(self) -> datetime:
        """When the break's time is up."""
        return self.started_at + self.duration


Activity = Prompt | Snoozed | OnBreak | None


def _zero_timers() -> Mapping[BreakKind, timedelta]:
    return MappingProxyType(dict.fromkeys(BreakKind, timedelta(0)))


@dataclass(frozen=True)
class PolicyState:
    """Everything the policy remembers between two steps.

    ``sat`` is the desk time (working hours, present, not paused, not on a break) since each
    kind's last break. ``expected_wake`` is the wake-up the policy last asked for (a tick that
    comes much later says only that the app was late, never that the person was away).
    ``sitting_until``: the last instant the person was known to sit under a hold (a meeting,
    a fullscreen video, a listed app); idle time before it is desk time, so an absence never
    starts earlier. ``hold_seen``: the last observation saw such a hold.
    """

    last_tick: datetime
    sat: Mapping[BreakKind, timedelta] = field(default_factory=_zero_timers)
    activity: Activity = None
    paused_until: datetime | None = None
    expected_wake: datetime | None = None
    noticed: BreakKind | None = None
    away_since: datetime | None = None
    held_since: datetime | None = None
    held_reason: str = ""
    sitting_until: datetime | None = None
    hold_seen: bool = False

    def with_sat(self, changes: Mapping[BreakKind, timedelta]) -> PolicyState:
        """A copy with some timers replaced."""
        merged = dict(self.sat)
        merged.update(changes)
        return replace(self, sat=MappingProxyType(merged))


def initial_state(now: datetime) -> PolicyState:
    """The state of a freshly started app: all timers at zero."""
    return PolicyState(last_tick=now)


@dataclass(frozen=True)
class Context:
    """What the policy needs that does not change from step to step.

    ``walk_target`` overrides the walk's configured duration (the progressive plan).
    """

    settings: Settings
    tz: tzinfo | None = None
    walk_target: timedelta | None = None
    walk_note: str = ""

    def note(self, kind: BreakKind) -> str:
        """The line shown with a prompt of ``kind`` (the walking plan's, for walks)."""
        return self.walk_note if kind is BreakKind.WALK else ""

    def duration(self, kind: BreakKind) -> timedelta:
        """How long a break of ``kind`` lasts today."""
        if kind is BreakKind.WALK and self.walk_target is not None:
            return self.walk_target
        return self.settings.rule(kind).duration

    @property
    def rules(self) -> tuple[BreakRule, ...]:
        """The enabled rules, smallest kind first."""
        return self.settings.enabled_rules()

    @property
    def gap_threshold(self) -> timedelta:
        """A tick this late (or a sleep this long) counts as time away from the desk."""
        shortest = min((self.duration(r.kind) for r in self.rules), default=timedelta(seconds=30))
        return min(timedelta(seconds=30), shortest)


@dataclass(frozen=True)
class Observation:
    """What the engine saw when it woke the policy.

    ``idle``: time since the last keyboard/mouse input (``None`` when unknown).
    ``asleep``: time the machine was suspended just before ``now`` (from the boot clock).
    ``jump``: how far the wall clock was moved since the last step (not real time passing).
    ``hold``: a reason to hold prompts back (fullscreen, meeting, app), or ``""``. Idle
    time under a hold is sitting (a call, a video, reading), never time away.
    ``locked``: the screen is locked; that counts as away even while a hold is active.
    """

    now: datetime
    idle: timedelta | None = None
    asleep: timedelta = timedelta(0)
    jump: timedelta = timedelta(0)
    hold: str = ""
    locked: bool = False

    @property
    def sitting(self) -> bool:
        """A hold is active on an unlocked screen: whatever the idle time, they are sitting."""
        return bool(self.hold) and not self.locked


# How often to look again while the person is away (when no event-driven idle watch exists).
# The presence watcher wakes the engine as soon as the person is back; this is a backstop.
AWAY_RECHECK = timedelta(minutes=5)


def window(rule: BreakRule) -> timedelta:
    """How close a bigger break must be to take the place of this one ("due at the same time")."""
    return rule.every / 4


def due_kind(state: PolicyState, ctx: Context) -> BreakKind | None:
    """The kind to prompt now, if any: the biggest one due, or due within the window."""
    rules = ctx.rules
    due = [r for r in rules if state.sat[r.kind] >= r.every]
    if not due:
        return None
    first = due[0]
    near = [r for r in rules if r.every - state.sat[r.kind] <= window(first)]
    return max((r.kind for r in (*due, *near)), key=lambda k: k.rank)


def forecast(state: PolicyState, ctx: Context, now: datetime) -> tuple[BreakKind, datetime] | None:
    """The next prompt if nothing else happens: (kind, instant); ``None`` if none is scheduled."""
    s = ctx.settings.schedule
    times: list[tuple[datetime, BreakRule]] = []
    for r in ctx.rules:
        at = hours.after_work_time(s, now, r.every - state.sat[r.kind], ctx.tz)
        if at is not None:
            times.append((at, r))
    if not times:
        return None
    first_at, first = min(times, key=lambda t: (t[0], t[1].kind.rank))
    kind = max((r.kind for at, r in times if at <= first_at + window(first)), key=lambda k: k.rank)
    return kind, first_at


def mode_of(state: PolicyState, ctx: Context, now: datetime) -> Mode:
    """The mode the tray shows."""
    act = state.activity
    if isinstance(act, OnBreak):
        return Mode.ON_BREAK
    if state.paused_until is not None:
        return Mode.PAUSED
    if isinstance(act, Prompt):
        return Mode.PROMPTING
    if isinstance(act, Snoozed):
        return Mode.SNOOZED
    if state.away_since is not None:
        return Mode.AWAY
    if state.held_since is not None:
        return Mode.DEFERRED
    if not hours.in_hours(ctx.settings.schedule, now, ctx.tz):
        return Mode.OFF_HOURS
    if state.noticed is not None:
        return Mode.NOTICE
    return Mode.WORKING


def view_of(state: PolicyState, ctx: Context, now: datetime) -> StatusView:
    """The status snapshot for front ends (today's counts are filled in by the engine)."""
    mode = mode_of(state, ctx, now)
    act = state.activity
    p = ctx.settings.prompt
    base = StatusView(
        mode=mode,
        now=now,
        paused_until=state.paused_until,
        notice=state.held_reason,
        walk_note=ctx.walk_note,
    )
    if isinstance(act, OnBreak):
        left = act.ends_at - now
        return replace(
            base,
            active_kind=act.kind,
            active_duration=act.duration,
            next_at=act.ends_at,
            ring=_share(left, act.duration),
        )
    if mode is Mode.PAUSED:
        return replace(base, next_at=state.paused_until)
    if isinstance(act, Prompt):
        return replace(
            base,
            active_kind=act.kind,
            active_duration=ctx.duration(act.kind),
            next_at=act.opened_at + p.timeout,
            ring=0.0,
            snooze_choices=p.snooze,
            snoozes_left=max(0, p.max_snoozes - act.snoozes),
        )
    if isinstance(act, Snoozed):
        return replace(
            base,
            active_kind=act.kind,
            active_duration=ctx.duration(act.kind),
            next_kind=act.kind,
            next_at=act.until,
            ring=_share(act.until - now, act.span),
        )
    nxt = forecast(state, ctx, now)
    if nxt is None:
        return base
    kind, at = nxt
    if mode is Mode.OFF_HOURS:
        start = hours.next_work_start(ctx.settings.schedule, now, ctx.tz)
        return replace(base, next_kind=kind, next_at=start)
    rule = ctx.settings.rule(kind)
    return replace(
        base,
        next_kind=kind,
        next_at=at,
        # Held back (do not disturb): the tray says which break is waiting.
        active_kind=kind if mode is Mode.DEFERRED else None,
        active_duration=ctx.duration(kind),
        ring=_share(rule.every - state.sat[kind], rule.every),
    )


def _share(left: timedelta, whole: timedelta) -> float:
    if whole <= timedelta(0):
        return 0.0
    return min(1.0, max(0.0, left / whole))


def next_wakeup(state: PolicyState, ctx: Context, now: datetime) -> datetime | None:
    """When the policy next needs to run, or ``None`` when nothing is ever due.

    Always strictly after ``now``: an instant already passed is moved to ``now`` plus a
    millisecond so a caller never spins.
    """
    act = state.activity
    candidates: list[datetime] = []
    if state.paused_until is not None:
        candidates.append(state.paused_until)
    if isinstance(act, OnBreak):
        candidates.append(act.ends_at)
    elif isinstance(act, Prompt):
        candidates.append(act.opened_at + ctx.settings.prompt.timeout)
    elif isinstance(act, Snoozed) and state.paused_until is None:
        candidates.append(act.until)
    elif act is None and state.paused_until is None and state.held_since is not None:
        # A held prompt appears when the hold ends (the engine ticks) or at the latest here.
        candidates.append(state.held_since + ctx.settings.dnd.max_delay)
    elif act is None and state.paused_until is None and state.away_since is not None:
        # Away: look again soon; an idle watch may tick earlier when the person is back.
        candidates.append(now + AWAY_RECHECK)
    elif act is None and state.paused_until is None:
        nxt = forecast(state, ctx, now)
        if nxt is not None:
            _kind, at = nxt
            notice = ctx.settings.prompt.notice
            if notice > timedelta(0) and state.noticed is None and at - notice > now:
                candidates.append(at - notice)
            candidates.append(at)
    if not candidates:
        return None
    return max(min(candidates), now + timedelta(milliseconds=1))
