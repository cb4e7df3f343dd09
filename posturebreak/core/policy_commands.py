"""The person's commands and the app's quit, as transitions of the policy's state.

Split from ``policy.py`` (time passing, absences, prompting): here is what Start, Snooze,
Skip, Done, Pause and Resume do, and how quitting closes what is open. Pure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from posturebreak.core import hours
from posturebreak.core.commands import (
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
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.effects import (
    BeginBreak,
    ClosePrompt,
    Effect,
    EndBreak,
    Record,
    Rejected,
)
from posturebreak.core.policy_state import (
    Context,
    OnBreak,
    PolicyState,
    Prompt,
    Snoozed,
    forecast,
)

# A pause always ends: the longest one we accept.
MAX_PAUSE = timedelta(days=7)

# Why a prompt closed as the app quit. Quitting is the person's own choice to stop the
# reminders, like a pause, so the open prompt is logged as skipped (not taken, not missed).
QUIT = "quit"


def covered(ctx: Context, kind: BreakKind) -> dict[BreakKind, timedelta]:
    """Zeroed timers for ``kind`` and every smaller kind it covers."""
    return {r.kind: timedelta(0) for r in ctx.rules if kind.covers(r.kind)}


# --- commands -----------------------------------------------------------------------------


def apply(
    state: PolicyState, ctx: Context, now: datetime, cmd: Command, fx: list[Effect]
) -> PolicyState:
    """Carry out the person's ``cmd`` at ``now``; a refusal is a ``Rejected`` effect."""
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
        fx.append(record(now, None, Action.RESUMED))
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
    fx.append(record(now, kind, Action.STARTED, duration.total_seconds(), detail))
    fx.append(BeginBreak(kind, duration, now + duration, ctx.note(kind)))
    state = state.with_sat(covered(ctx, kind))
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
    fx.append(record(now, act.kind, Action.SNOOZED, span.total_seconds()))
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
        fx.append(record(now, act.kind, Action.SKIPPED))
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
        fx.append(record(now, kind, Action.SKIPPED, detail="next"))
    return replace(state.with_sat(covered(ctx, kind)), activity=None, noticed=None)


def _finish(state: PolicyState, now: datetime, cmd: FinishBreak, fx: list[Effect]) -> PolicyState:
    act = state.activity
    if not isinstance(act, OnBreak):
        # Late answer from a window whose break already ended by time: nothing to do.
        return state
    moved = cmd.moved if cmd.moved is not None else min(now - act.started_at, act.duration)
    moved = max(timedelta(0), moved)
    action = Action.COMPLETED if cmd.completed else Action.ENDED_EARLY
    fx.append(record(now, act.kind, action, moved.total_seconds()))
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
        fx.append(record(now, act.kind, Action.SKIPPED, detail="paused"))
        act = None
    elif isinstance(act, Snoozed):
        act = None
    detail = until.isoformat()
    fx.append(record(now, None, Action.PAUSED, (until - now).total_seconds(), detail))
    return replace(state, paused_until=until, activity=act, noticed=None, held_since=None)


def record(
    at: datetime,
    kind: BreakKind | None,
    action: Action,
    duration_s: float | None = None,
    detail: str = "",
) -> Record:
    """The effect that logs one new event."""
    return Record(Event.new(at, kind, action, duration_s, detail))


def stop(state: PolicyState, ctx: Context, now: datetime) -> tuple[PolicyState, list[Effect]]:
    """The app quits at ``now``: close the open prompt or running break with one outcome.

    A prompt past its deadline was missed (as the next tick would have said); otherwise
    quitting skips it (``QUIT``). A break whose time is up completed; otherwise it ended
    early after the time actually moved. A snooze or a pause simply ends with the app.
    """
    fx: list[Effect] = []
    act = state.activity
    if isinstance(act, Prompt):
        deadline = act.opened_at + ctx.settings.prompt.timeout
        fx.append(ClosePrompt(QUIT))
        if deadline <= now:
            fx.append(record(deadline, act.kind, Action.MISSED, detail="no answer"))
        else:
            fx.append(record(now, act.kind, Action.SKIPPED, detail=QUIT))
    elif isinstance(act, OnBreak):
        if act.ends_at <= now:
            fx.append(record(act.ends_at, act.kind, Action.COMPLETED, act.duration.total_seconds()))
            fx.append(EndBreak(act.kind, completed=True))
        else:
            moved = max(timedelta(0), now - act.started_at)
            fx.append(record(now, act.kind, Action.ENDED_EARLY, moved.total_seconds(), QUIT))
            fx.append(EndBreak(act.kind, completed=False))
    return replace(state, activity=None), fx
