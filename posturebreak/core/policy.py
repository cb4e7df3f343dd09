"""THE state machine: ``step(state, ctx, observation, command) -> (state, effects)``.

Pure and clock-free: time arrives as ``observation.now``. One step first lets time pass
(desk time accumulates, absences become natural breaks, snoozes/pauses/breaks/prompts
expire, a due break is prompted), then applies the person's command, then asks for the
next wake-up and a status redraw.

Rules:
- timers count desk time only: inside working hours, present, not paused, not on a break;
- a bigger break covers the smaller ones (walk > stretch > stand) and restarts their timers;
- one prompt at a time; every prompt ends in exactly one outcome
  (started, snoozed, skipped, missed or natural);
- a long absence (sleep, stopped process, idle) yields at most one prompt, and counts as a
  natural break when it is at least as long as the break.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from posturebreak.core import hours
from posturebreak.core.commands import Command
from posturebreak.core.domain import Action, BreakKind, humanize
from posturebreak.core.effects import (
    ArmWakeup,
    ClosePrompt,
    Effect,
    EndBreak,
    Notify,
    ShowPrompt,
    UpdateStatus,
)
from posturebreak.core.policy_commands import MAX_PAUSE, QUIT, apply, covered, record, stop
from posturebreak.core.policy_state import (
    Context,
    Observation,
    OnBreak,
    PolicyState,
    Prompt,
    Snoozed,
    due_kind,
    forecast,
    next_wakeup,
    view_of,
)

__all__ = ["MAX_PAUSE", "QUIT", "Context", "Observation", "PolicyState", "step", "stop"]

Step = tuple[PolicyState, list[Effect]]

# The detail of a natural break that closed an open prompt (stats and tests look for it).
AWAY_PROMPT = "away during the prompt"

# The hold reason the presence adapter gives for a camera or microphone in use. When a prompt
# held back by a meeting is released because the meeting ended, a walk is offered.
MEETING_HOLD = "meeting"
AFTER_MEETING = "after meeting"


def step(
    state: PolicyState, ctx: Context, obs: Observation, command: Command | None = None
) -> Step:
    """Advance to ``obs.now``, apply ``command`` (if any), and ask for the next wake-up."""
    now = obs.now
    effects: list[Effect] = []
    state = _advance(state, ctx, obs, effects)
    if command is not None:
        state = apply(state, ctx, now, command, effects)
        state = _maybe_prompt(state, ctx, obs, effects)
    wake = next_wakeup(state, ctx, now)
    state = replace(state, expected_wake=wake)
    if wake is not None:
        effects.append(ArmWakeup(wake))
    effects.append(UpdateStatus(view_of(state, ctx, now)))
    return state, effects


# --- time passing -------------------------------------------------------------------------


def _advance(state: PolicyState, ctx: Context, obs: Observation, fx: list[Effect]) -> PolicyState:
    now = obs.now
    if obs.jump:
        state = _shift(state, obs.jump)
    if now < state.last_tick:
        # The wall clock went back without us being told: lose the interval, never stall.
        state = replace(state, last_tick=now)
    if state.hold_seen or obs.sitting:
        # Sitting under a hold now, or until a hold that ended since the last look. The
        # presence watcher wakes us when a hold ends or the screen locks, so the instant we
        # see it is the instant it happened (to within its sampling).
        state = replace(state, sitting_until=now)
    gap_from = _gap_start(state, ctx, obs)
    away_from = _away_start(state, ctx, obs, gap_from)
    still_away = _idle_away(state, ctx, obs)
    if obs.sitting and state.away_since is not None and gap_from is None:
        # A hold began during an absence: only the idle before it counts. We know they were
        # away without a hold until the last look; from then on they are sitting.
        state = _end_absence(state, ctx, state.away_since, state.last_tick, fx)
        state = _accumulate(state, ctx, now)
    else:
        if away_from is not None and away_from < state.last_tick and state.away_since is None:
            # Steps taken before the idle time crossed the threshold counted that time as
            # sitting: take it back, so the absence is as long as it really was.
            state = _uncount(state, ctx, away_from)
        desk_end = min(now, away_from) if away_from is not None else now
        state = _accumulate(state, ctx, desk_end)
        if away_from is not None and not still_away:
            state = _end_absence(state, ctx, away_from, now, fx)
        elif still_away and away_from is not None:
            state = replace(state, away_since=away_from)
    state = replace(state, last_tick=now, hold_seen=obs.sitting)
    state = _expire(state, ctx, obs, still_away=still_away, fx=fx)
    return _maybe_prompt(state, ctx, obs, fx)


def _shift(state: PolicyState, jump: timedelta) -> PolicyState:
    """Move every relative deadline with a wall-clock change, so nothing bursts or stalls."""
    act = state.activity
    if isinstance(act, Prompt):
        act = replace(act, opened_at=act.opened_at + jump)
    elif isinstance(act, Snoozed):
        act = replace(act, until=act.until + jump)
    elif isinstance(act, OnBreak):
        act = replace(act, started_at=act.started_at + jump)

    def moved(at: datetime | None) -> datetime | None:
        return at + jump if at is not None else None

    return replace(
        state,
        activity=act,
        last_tick=state.last_tick + jump,
        expected_wake=moved(state.expected_wake),
        away_since=moved(state.away_since),
        held_since=moved(state.held_since),
        sitting_until=moved(state.sitting_until),
    )


def _idle(state: PolicyState, obs: Observation) -> timedelta:
    """Idle time that may count as away: none under a hold, none from before the last hold."""
    if obs.sitting:
        return timedelta(0)
    idle = obs.idle if obs.idle is not None else timedelta(0)
    if state.sitting_until is not None:
        idle = min(idle, max(timedelta(0), obs.now - state.sitting_until))
    return idle


def _idle_away(state: PolicyState, ctx: Context, obs: Observation) -> bool:
    """Away by idle: a locked screen, or idle long enough with no hold active."""
    if obs.sitting:
        return False
    if obs.locked:
        return True
    return obs.idle is not None and _idle(state, obs) >= ctx.settings.idle.away_after


def _gap_start(state: PolicyState, ctx: Context, obs: Observation) -> datetime | None:
    """When a real suspend began, if there was one.

    Only the machine's own clocks say so (boot time ran on while monotonic time stood still).
    A tick that merely came late (the app stalled on a slow disk, a busy machine, a stopped
    process) is the app's lateness, not the person's absence: the idle probe decides that.
    """
    if obs.asleep >= ctx.gap_threshold:
        return max(state.last_tick, obs.now - obs.asleep)
    return None


def _away_start(
    state: PolicyState, ctx: Context, obs: Observation, gap_from: datetime | None
) -> datetime | None:
    """When the current absence began, from every clue we have, or ``None`` if present."""
    starts: list[datetime] = []
    if state.away_since is not None:
        starts.append(state.away_since)
    if gap_from is not None:
        starts.append(gap_from)
    if _idle_away(state, ctx, obs):
        starts.append(obs.now - _idle(state, obs))
    return min(starts) if starts else None


def _uncount(state: PolicyState, ctx: Context, since: datetime) -> PolicyState:
    """Remove the desk time of ``[since, last_tick)`` from every timer (never below zero)."""
    counted = hours.work_time(ctx.settings.schedule, since, state.last_tick, ctx.tz)
    return state.with_sat({k: max(timedelta(0), v - counted) for k, v in state.sat.items()})


def _accumulate(state: PolicyState, ctx: Context, until: datetime) -> PolicyState:
    """Add the desk time of ``[last_tick, until)``; off-hours stretches restart timers."""
    start = state.last_tick
    if state.paused_until is not None:
        start = max(start, state.paused_until)
    if isinstance(state.activity, OnBreak):
        start = max(start, state.activity.ends_at)
    if until <= start:
        return state
    sched = ctx.settings.schedule
    gaps = hours.off_hours_gaps(sched, start, until, ctx.tz)
    changes: dict[BreakKind, timedelta] = {}
    for rule in ctx.rules:
        restart = start
        reset = False
        for lo, hi in gaps:
            if hi - lo >= ctx.duration(rule.kind):
                restart, reset = hi, True
        worked = hours.work_time(sched, restart, until, ctx.tz)
        changes[rule.kind] = worked if reset else state.sat[rule.kind] + worked
    return state.with_sat(changes)


def _end_absence(
    state: PolicyState, ctx: Context, start: datetime, now: datetime, fx: list[Effect]
) -> PolicyState:
    """The person is back (or sitting under a hold) after ``[start, now)`` away.

    Any absence as long as a break restarts that break's timers (a night away does too);
    only the part inside working hours is logged as a natural break, so evenings and lunch
    do not inflate the figures. A prompt left open through the absence closes as natural.
    """
    state = replace(state, away_since=None)
    away = now - start
    fit = [r.kind for r in ctx.rules if ctx.duration(r.kind) <= away]
    if not fit:
        return state
    biggest = max(fit, key=lambda k: k.rank)
    state = replace(state.with_sat(covered(ctx, biggest)), noticed=None)
    counted = hours.work_time(ctx.settings.schedule, start, now, ctx.tz)
    logged = [k for k in fit if ctx.duration(k) <= counted]
    act = state.activity
    if isinstance(act, Prompt):
        if not biggest.covers(act.kind):
            return state  # too short for what was asked: the prompt stays open
        fx.append(ClosePrompt("away"))
        kind = max([*logged, act.kind], key=lambda k: k.rank)
        fx.append(record(now, kind, Action.NATURAL, away.total_seconds(), AWAY_PROMPT))
        return replace(state, activity=None)
    if isinstance(act, Snoozed) and biggest.covers(act.kind):
        state = replace(state, activity=None)
    if logged:
        kind = max(logged, key=lambda k: k.rank)
        fx.append(record(now, kind, Action.NATURAL, away.total_seconds(), "away"))
    return state


def _expire(
    state: PolicyState, ctx: Context, obs: Observation, *, still_away: bool, fx: list[Effect]
) -> PolicyState:
    now = obs.now
    act = state.activity
    if state.paused_until is not None and state.paused_until <= now:
        fx.append(record(now, None, Action.RESUMED, detail="pause ended"))
        state = replace(state, paused_until=None)
    if isinstance(act, OnBreak) and act.ends_at <= now:
        fx.append(record(act.ends_at, act.kind, Action.COMPLETED, act.duration.total_seconds()))
        fx.append(EndBreak(act.kind, completed=True))
        state = replace(state, activity=None)
    elif isinstance(act, Prompt) and act.opened_at + ctx.settings.prompt.timeout <= now:
        if still_away:
            # The front ends say why the prompt went: away is a natural break, not a miss.
            fx.append(ClosePrompt("away"))
            idle = _idle(state, obs).total_seconds()
            fx.append(record(now, act.kind, Action.NATURAL, idle, AWAY_PROMPT))
        else:
            fx.append(ClosePrompt("timeout"))
            fx.append(record(now, act.kind, Action.MISSED, detail="no answer"))
        state = replace(state.with_sat(covered(ctx, act.kind)), activity=None)
    elif isinstance(act, Snoozed) and act.until <= now and state.paused_until is None:
        kind = act.kind
        due = due_kind(state, ctx)
        if due is not None and due.rank > kind.rank:
            kind = due
        state = _open_prompt(state, ctx, now, kind, snoozes=act.snoozes, fx=fx)
    return state


# --- prompting ----------------------------------------------------------------------------


def _maybe_prompt(
    state: PolicyState, ctx: Context, obs: Observation, fx: list[Effect]
) -> PolicyState:
    now = obs.now
    if state.activity is not None or state.paused_until is not None:
        return state
    if state.away_since is not None:
        return state
    if not hours.in_hours(ctx.settings.schedule, now, ctx.tz):
        return replace(state, held_since=None, held_reason="")
    kind = due_kind(state, ctx)
    if kind is None:
        # Nothing waits any more (a break was taken meanwhile): no hold to remember.
        state = replace(state, held_since=None, held_reason="")
        return _maybe_notice(state, ctx, now, fx)
    if obs.hold:
        if state.held_since is None:
            fx.append(record(now, kind, Action.DEFERRED, detail=obs.hold))
            return replace(state, held_since=now, held_reason=obs.hold)
        if now - state.held_since < ctx.settings.dnd.max_delay:
            return replace(state, held_reason=obs.hold)
    elif state.held_reason == MEETING_HOLD and ctx.settings.rule(BreakKind.WALK).enabled:
        # The meeting just ended (not timed out): the best moment for a walk.
        state = replace(state, held_since=None, held_reason="")
        return _open_prompt(state, ctx, now, BreakKind.WALK, snoozes=0, fx=fx, why=AFTER_MEETING)
    state = replace(state, held_since=None, held_reason="")
    return _open_prompt(state, ctx, now, kind, snoozes=0, fx=fx)


def _maybe_notice(state: PolicyState, ctx: Context, now: datetime, fx: list[Effect]) -> PolicyState:
    notice = ctx.settings.prompt.notice
    if notice <= timedelta(0) or state.noticed is not None:
        return state
    nxt = forecast(state, ctx, now)
    if nxt is None or nxt[1] - now > notice:
        return state
    kind, at = nxt
    extra = " — finish your sentence" if kind is not BreakKind.STAND else ""
    fx.append(Notify(f"{kind.label} break soon", f"{kind.label} in {humanize(at - now)}{extra}"))
    return replace(state, noticed=kind)


def _open_prompt(
    state: PolicyState,
    ctx: Context,
    now: datetime,
    kind: BreakKind,
    *,
    snoozes: int,
    fx: list[Effect],
    why: str = "",
) -> PolicyState:
    p = ctx.settings.prompt
    detail = f"snoozed {snoozes}x" if snoozes else why
    fx.append(record(now, kind, Action.PROMPTED, detail=detail))
    fx.append(
        ShowPrompt(
            kind=kind,
            duration=ctx.duration(kind),
            snooze_choices=p.snooze,
            snoozes_left=max(0, p.max_snoozes - snoozes),
            deadline=now + p.timeout,
            note=ctx.note(kind),
        )
    )
    return replace(state, activity=Prompt(kind, now, snoozes), noticed=None)
