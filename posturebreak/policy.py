"""THE state machine: ``step(state, ctx, observation, command) -> (state, effects)``.

Pure and clock-free: time arrives as ``observation.now``. One step first lets time pass
(desk time accumulates, absences become natural breaks, snoozes/pauses/breaks/prompts
expire, a due break is prompted), then applies the person's command, then asks for the
next wake-up and a status redraw.

Rules (DESIGN §1, issue #2):
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

from posturebreak import hours
from posturebreak.commands import (
    Command,
    FinishBreak,
    PauseFor,
    PauseUntil,
    PauseUntilTomorrow,
    Resume,
    Skip,
    Snooze,
    StartBreak,
    TakeBreak,
)
from posturebreak.domain import Action, BreakKind, Event, humanize
from posturebreak.effects import (
    ArmWakeup,
    BeginBreak,
    ClosePrompt,
    Effect,
    EndBreak,
    Notify,
    Record,
    Rejected,
    ShowPrompt,
    UpdateStatus,
)
from posturebreak.policy_state import (
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

__all__ = ["Context", "Observation", "PolicyState", "step"]

Step = tuple[PolicyState, list[Effect]]

# The detail of a natural break that closed an open prompt (stats and tests look for it).
AWAY_PROMPT = "away during the prompt"

# The hold reason the presence adapter gives for a camera or microphone in use. When a prompt
# held back by a meeting is released because the meeting ended, a walk is offered (issue #4).
MEETING_HOLD = "meeting"
AFTER_MEETING = "after meeting"

# A pause always ends: the longest one we accept.
MAX_PAUSE = timedelta(days=7)


def step(
    state: PolicyState, ctx: Context, obs: Observation, command: Command | None = None
) -> Step:
    """Advance to ``obs.now``, apply ``command`` (if any), and ask for the next wake-up."""
    now = obs.now
    effects: list[Effect] = []
    state = _advance(state, ctx, obs, effects)
    if command is not None:
        state = _apply(state, ctx, now, command, effects)
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
    away_from = _away_start(state, ctx, obs)
    still_away = _idle_away(ctx, obs)
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
    state = replace(state, last_tick=now)
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
    return replace(
        state,
        activity=act,
        last_tick=state.last_tick + jump,
        expected_wake=state.expected_wake + jump if state.expected_wake else None,
        away_since=state.away_since + jump if state.away_since else None,
        held_since=state.held_since + jump if state.held_since else None,
    )


def _idle_away(ctx: Context, obs: Observation) -> bool:
    return obs.idle is not None and obs.idle >= ctx.settings.idle.away_after


def _away_start(state: PolicyState, ctx: Context, obs: Observation) -> datetime | None:
    """When the current absence began, from every clue we have, or ``None`` if present."""
    starts: list[datetime] = []
    if state.away_since is not None:
        starts.append(state.away_since)
    late = obs.now - state.expected_wake if state.expected_wake is not None else timedelta(0)
    gap = max(late, obs.asleep)
    if gap >= ctx.gap_threshold:
        starts.append(max(state.last_tick, obs.now - gap))
    if _idle_away(ctx, obs) and obs.idle is not None:
        starts.append(obs.now - obs.idle)
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


def _covered(ctx: Context, kind: BreakKind) -> dict[BreakKind, timedelta]:
    return {r.kind: timedelta(0) for r in ctx.rules if kind.covers(r.kind)}


def _end_absence(
    state: PolicyState, ctx: Context, start: datetime, now: datetime, fx: list[Effect]
) -> PolicyState:
    """The person is back after ``[start, now)`` away.

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
    state = replace(state.with_sat(_covered(ctx, biggest)), noticed=None)
    counted = hours.work_time(ctx.settings.schedule, start, now, ctx.tz)
    logged = [k for k in fit if ctx.duration(k) <= counted]
    act = state.activity
    if isinstance(act, Prompt):
        if not biggest.covers(act.kind):
            return state  # too short for what was asked: the prompt stays open
        fx.append(ClosePrompt("away"))
        kind = max([*logged, act.kind], key=lambda k: k.rank)
        fx.append(_record(now, kind, Action.NATURAL, away.total_seconds(), AWAY_PROMPT))
        return replace(state, activity=None)
    if isinstance(act, Snoozed) and biggest.covers(act.kind):
        state = replace(state, activity=None)
    if logged:
        kind = max(logged, key=lambda k: k.rank)
        fx.append(_record(now, kind, Action.NATURAL, away.total_seconds(), "away"))
    return state


def _expire(
    state: PolicyState, ctx: Context, obs: Observation, *, still_away: bool, fx: list[Effect]
) -> PolicyState:
    now = obs.now
    act = state.activity
    if state.paused_until is not None and state.paused_until <= now:
        fx.append(_record(now, None, Action.RESUMED, detail="pause ended"))
        state = replace(state, paused_until=None)
    if isinstance(act, OnBreak) and act.ends_at <= now:
        fx.append(_record(act.ends_at, act.kind, Action.COMPLETED, act.duration.total_seconds()))
        fx.append(EndBreak(act.kind, completed=True))
        state = replace(state, activity=None)
    elif isinstance(act, Prompt) and act.opened_at + ctx.settings.prompt.timeout <= now:
        fx.append(ClosePrompt("timeout"))
        if still_away and obs.idle is not None:
            fx.append(_record(now, act.kind, Action.NATURAL, obs.idle.total_seconds(), AWAY_PROMPT))
        else:
            fx.append(_record(now, act.kind, Action.MISSED, detail="no answer"))
        state = replace(state.with_sat(_covered(ctx, act.kind)), activity=None)
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
        return _maybe_notice(state, ctx, now, fx)
    if obs.hold:
        if state.held_since is None:
            fx.append(_record(now, kind, Action.DEFERRED, detail=obs.hold))
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
    fx.append(_record(now, kind, Action.PROMPTED, detail=detail))
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


# --- commands -----------------------------------------------------------------------------


def _apply(
    state: PolicyState, ctx: Context, now: datetime, cmd: Command, fx: list[Effect]
) -> PolicyState:
    act = state.activity
    if isinstance(cmd, TakeBreak):
        if not ctx.settings.rule(cmd.kind).enabled:
            fx.append(Rejected(f"{cmd.kind.label} breaks are turned off in the config."))
            return state
        if isinstance(act, OnBreak):
            fx.append(Rejected(f"A {act.kind.value} break is already running."))
            return state
        if isinstance(act, Prompt):
            fx.append(ClosePrompt("answered"))
        return _start(
            state, ctx, now, cmd.kind, detail="" if isinstance(act, Prompt) else "manual", fx=fx
        )
    if isinstance(cmd, StartBreak):
        if not isinstance(act, Prompt):
            fx.append(Rejected("No break is due. Use `break stand|stretch|walk` to take one now."))
            return state
        fx.append(ClosePrompt("answered"))
        return _start(state, ctx, now, act.kind, detail="", fx=fx)
    if isinstance(cmd, Snooze):
        return _snooze(state, ctx, now, cmd, fx)
    if isinstance(cmd, Skip):
        return _skip(state, ctx, now, fx)
    if isinstance(cmd, FinishBreak):
        return _finish(state, now, cmd, fx)
    if isinstance(cmd, Resume):
        if state.paused_until is None:
            fx.append(Rejected("Reminders are not paused."))
            return state
        fx.append(_record(now, None, Action.RESUMED))
        return replace(state, paused_until=None)
    return _pause(state, ctx, now, cmd, fx)


def _start(
    state: PolicyState,
    ctx: Context,
    now: datetime,
    kind: BreakKind,
    *,
    detail: str,
    fx: list[Effect],
) -> PolicyState:
    duration = ctx.duration(kind)
    fx.append(_record(now, kind, Action.STARTED, duration.total_seconds(), detail))
    fx.append(BeginBreak(kind, duration, now + duration, ctx.note(kind)))
    state = state.with_sat(_covered(ctx, kind))
    return replace(state, activity=OnBreak(kind, now, duration), noticed=None)


def _snooze(
    state: PolicyState, ctx: Context, now: datetime, cmd: Snooze, fx: list[Effect]
) -> PolicyState:
    act = state.activity
    p = ctx.settings.prompt
    if not isinstance(act, Prompt):
        fx.append(Rejected("Nothing to snooze: no break is due right now."))
        return state
    if act.snoozes >= p.max_snoozes:
        fx.append(Rejected("No snoozes left for this break: start it or skip it."))
        return state
    span = cmd.span if cmd.span is not None else p.snooze[0]
    if span <= timedelta(0) or span > MAX_PAUSE:
        fx.append(Rejected("A snooze must be longer than zero and at most a week."))
        return state
    fx.append(ClosePrompt("answered"))
    fx.append(_record(now, act.kind, Action.SNOOZED, span.total_seconds()))
    return replace(state, activity=Snoozed(act.kind, now + span, span, act.snoozes + 1))


def _skip(state: PolicyState, ctx: Context, now: datetime, fx: list[Effect]) -> PolicyState:
    act = state.activity
    if isinstance(act, OnBreak):
        fx.append(Rejected("A break is running: press Done to end it."))
        return state
    if state.paused_until is not None:
        fx.append(Rejected("Reminders are paused: there is nothing to skip."))
        return state
    if isinstance(act, Prompt):
        fx.append(ClosePrompt("answered"))
        fx.append(_record(now, act.kind, Action.SKIPPED))
        kind = act.kind
    else:
        nxt = forecast(state, ctx, now)
        if isinstance(act, Snoozed):
            kind = act.kind
        elif nxt is not None:
            kind = nxt[0]
        else:
            fx.append(Rejected("No break is scheduled: there is nothing to skip."))
            return state
        fx.append(_record(now, kind, Action.SKIPPED, detail="next"))
    return replace(state.with_sat(_covered(ctx, kind)), activity=None, noticed=None)


def _finish(state: PolicyState, now: datetime, cmd: FinishBreak, fx: list[Effect]) -> PolicyState:
    act = state.activity
    if not isinstance(act, OnBreak):
        # Late answer from a window whose break already ended by time: nothing to do.
        return state
    moved = cmd.moved if cmd.moved is not None else min(now - act.started_at, act.duration)
    moved = max(timedelta(0), moved)
    action = Action.COMPLETED if cmd.completed else Action.ENDED_EARLY
    fx.append(_record(now, act.kind, action, moved.total_seconds()))
    fx.append(EndBreak(act.kind, completed=cmd.completed))
    return replace(state, activity=None)


def _pause(
    state: PolicyState,
    ctx: Context,
    now: datetime,
    cmd: PauseFor | PauseUntil | PauseUntilTomorrow,
    fx: list[Effect],
) -> PolicyState:
    if isinstance(cmd, PauseFor):
        until: datetime | None = now + cmd.span
    elif isinstance(cmd, PauseUntil):
        until = cmd.at
    else:
        until = hours.next_day_start(ctx.settings.schedule, now, ctx.tz)
        if until is None:
            until = now + timedelta(days=1)
    if until is None or until <= now or until - now > MAX_PAUSE:
        fx.append(Rejected("A pause must end in the future, at most a week from now."))
        return state
    act = state.activity
    if isinstance(act, Prompt):
        fx.append(ClosePrompt("paused"))
        fx.append(_record(now, act.kind, Action.SKIPPED, detail="paused"))
        act = None
    elif isinstance(act, Snoozed):
        act = None
    detail = until.isoformat()
    fx.append(_record(now, None, Action.PAUSED, (until - now).total_seconds(), detail))
    return replace(state, paused_until=until, activity=act, noticed=None, held_since=None)


def _record(
    at: datetime,
    kind: BreakKind | None,
    action: Action,
    duration_s: float | None = None,
    detail: str = "",
) -> Record:
    return Record(Event.new(at, kind, action, duration_s, detail))
