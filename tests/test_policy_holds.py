"""Sitting still is not a break: idle time under a hold (a call, a video, a listed app) is desk
time; a locked screen, a suspend, or idle with no hold is time away. Scenarios on the fake
clock, with the world as the presence port would report it."""

from __future__ import annotations

from datetime import datetime, timedelta

from posturebreak.core.commands import StartBreak
from posturebreak.core.domain import Action, BreakKind, Mode
from posturebreak.core.effects import ClosePrompt
from posturebreak.core.policy import AFTER_MEETING, AWAY_PROMPT, MEETING_HOLD
from posturebreak.core.policy_state import view_of
from posturebreak.core.settings import Settings
from tests.sim import Sim, World, at, check_prompt_outcomes, minutes


def call(start: datetime, end: datetime, *, last_input: datetime | None = None) -> World:
    """A call from ``start`` to ``end`` with no keyboard or mouse input after ``last_input``."""
    quiet_from = last_input or start

    def world(now: datetime) -> dict[str, object]:
        idle = max(timedelta(0), now - quiet_from)
        return {"idle": idle, "hold": MEETING_HOLD if start <= now < end else ""}

    return world


def test_a_25_minute_call_with_no_input_is_desk_time_and_the_walk_comes_after_it():
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    sim.world = call(at("2026-11-23 09:20"), at("2026-11-23 09:45"))
    sim.run_until(at("2026-11-23 09:44"))
    sim.tick()
    # The stand came due mid-call: held back, not prompted, and the person counts as sitting.
    assert [(e.kind, e.action, e.detail) for e in sim.events] == [
        (BreakKind.STAND, Action.DEFERRED, MEETING_HOLD)
    ]
    assert sim.state.sat[BreakKind.STAND] == minutes(44)  # the timers kept counting
    assert sim.state.sat[BreakKind.WALK] == minutes(44)
    assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.DEFERRED
    # The call ends; nobody has touched the keyboard for 25 minutes: still no absence.
    sim.now = at("2026-11-23 09:45")
    sim.tick()
    assert sim.events[-1].action is Action.PROMPTED
    assert (sim.events[-1].kind, sim.events[-1].detail) == (BreakKind.WALK, AFTER_MEETING)
    sim.now += timedelta(seconds=30)
    sim.do(StartBreak(), idle=timedelta(0))
    sim.run_until(at("2026-11-23 10:00"))
    assert sim.of(Action.NATURAL) == []
    assert [e.action for e in sim.events][-2:] == [Action.STARTED, Action.COMPLETED]
    check_prompt_outcomes(sim.events)


def test_typing_again_after_a_silent_call_is_no_return_from_an_absence():
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    sim.world = call(at("2026-11-23 09:20"), at("2026-11-23 09:45"))
    sim.run_until(at("2026-11-23 09:45"))
    sim.tick()
    sim.now = at("2026-11-23 09:46")
    sim.tick(idle=timedelta(0))  # the first key after the call
    assert sim.of(Action.NATURAL) == []


def test_a_prompt_unanswered_during_a_fullscreen_video_is_missed_not_a_natural_break():
    settings = Settings()
    sim = Sim(settings, at("2026-11-23 09:00"))
    video_from, video_to = at("2026-11-23 09:10"), at("2026-11-23 10:20")

    def watching(now: datetime) -> dict[str, object]:
        idle = max(timedelta(0), now - video_from)
        return {"idle": idle, "hold": "fullscreen" if video_from <= now < video_to else ""}

    sim.world = watching
    sim.run_until(video_to - timedelta(seconds=1))
    assert [(e.action, e.detail) for e in sim.events[:2]] == [
        (Action.DEFERRED, "fullscreen"),
        (Action.PROMPTED, ""),  # held at most max_delay, then shown anyway
    ]
    assert sim.events[1].at == sim.events[0].at + settings.dnd.max_delay
    assert [(e.action, e.detail) for e in sim.events[2:]] == [(Action.MISSED, "no answer")]
    sim.now = video_to
    sim.tick(idle=timedelta(0))
    assert sim.of(Action.NATURAL) == []
    check_prompt_outcomes(sim.events)


def test_a_screen_locked_during_a_meeting_counts_as_away_from_the_lock():
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    sim.world = call(at("2026-11-23 09:20"), at("2026-11-23 10:30"))
    sim.run_until(at("2026-11-23 09:35"))
    sim.tick()
    # The person locks the screen and leaves the call running; the presence port folds the
    # lock into idle time and says it is locked.
    sim.now = at("2026-11-23 09:36")
    sim.tick(idle=minutes(16), hold=MEETING_HOLD, locked=True)
    assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.AWAY
    sim.now = at("2026-11-23 09:51")
    sim.tick(idle=minutes(31), hold=MEETING_HOLD, locked=True)
    sim.now = at("2026-11-23 09:52")
    sim.tick(idle=timedelta(0), hold="")
    (natural,) = sim.of(Action.NATURAL)
    # Away from the lock (09:36), not from the last key press during the meeting (09:20).
    assert (natural.kind, natural.duration_s) == (BreakKind.WALK, minutes(16).total_seconds())
    check_prompt_outcomes(sim.events)


def test_idle_with_no_hold_is_still_a_natural_break():
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    left, back = at("2026-11-23 09:10"), at("2026-11-23 09:22")

    def away(now: datetime) -> dict[str, object]:
        return {"idle": max(timedelta(0), now - left) if now < back else timedelta(0)}

    sim.world = away
    sim.now = at("2026-11-23 09:14")
    sim.tick()  # the presence watcher's look once idle crossed the threshold
    sim.now = back
    sim.tick()
    (natural,) = sim.of(Action.NATURAL)
    assert (natural.kind, natural.duration_s) == (BreakKind.WALK, minutes(12).total_seconds())


def test_a_hold_that_starts_during_an_absence_ends_it_at_the_last_look_without_one():
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    sim.now = at("2026-11-23 09:04")
    sim.tick(idle=minutes(4))  # away since 09:00
    sim.now = at("2026-11-23 09:08")
    # A video started playing by itself (or they are back watching it): from now on it is
    # sitting, and only the idle seen before the hold counts: 09:00 to 09:04.
    sim.tick(idle=minutes(8), hold="fullscreen")
    (natural,) = sim.of(Action.NATURAL)
    assert (natural.kind, natural.duration_s) == (BreakKind.STRETCH, minutes(4).total_seconds())
    assert sim.state.away_since is None
    sat = sim.state.sat[BreakKind.STAND]
    sim.now = at("2026-11-23 09:18")
    sim.tick(idle=minutes(18), hold="fullscreen")
    assert sim.state.sat[BreakKind.STAND] == sat + minutes(10)
    assert len(sim.of(Action.NATURAL)) == 1


def test_idle_after_a_call_counts_as_away_only_from_the_end_of_the_call():
    sim = Sim(Settings(), at("2026-11-23 09:00"))
    # They leave as the call ends and touch nothing until 10:05.
    sim.world = call(at("2026-11-23 09:20"), at("2026-11-23 09:45"))
    sim.run_until(at("2026-11-23 09:45"))
    sim.tick()
    assert sim.events[-1].detail == AFTER_MEETING
    sim.run_until(at("2026-11-23 09:55"))  # the walk prompt times out while they are away
    (natural,) = sim.of(Action.NATURAL)
    assert natural.detail == AWAY_PROMPT
    assert natural.duration_s == minutes(5).total_seconds()  # 09:45 to 09:50, not 30 min
    # The front ends are told why the prompt went: away (a natural break), not a miss.
    closes = [e.reason for e in sim.effects if isinstance(e, ClosePrompt)]
    assert closes[-1] == "away"
    check_prompt_outcomes(sim.events)
