"""Invariants of the policy under random days of answers, idle spells, sleeps and clock jumps."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posturebreak.core.commands import (
    FinishBreak,
    PauseFor,
    Resume,
    Skip,
    Snooze,
    StartBreak,
    TakeBreak,
)
from posturebreak.core.domain import Action, BreakKind
from posturebreak.core.policy_state import OnBreak, Prompt
from posturebreak.core.settings import Settings
from tests.sim import Sim, at, check_prompt_outcomes

commands = st.one_of(
    st.just(StartBreak()),
    st.just(Skip()),
    st.just(Resume()),
    st.builds(Snooze, st.sampled_from([None, timedelta(minutes=5), timedelta(minutes=15)])),
    st.builds(TakeBreak, st.sampled_from(list(BreakKind))),
    st.builds(FinishBreak, st.none(), st.booleans()),
    st.builds(PauseFor, st.sampled_from([timedelta(minutes=30), timedelta(hours=1)])),
)
steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=180 * 60),  # seconds to let pass first
        st.sampled_from(["follow", "command", "sleep", "idle", "jump_back", "held", "locked"]),
        commands,
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(min_value=0, max_value=6))
def test_invariants_hold_for_any_day(script, weekday):
    start = at("2026-11-23 07:30") + timedelta(days=weekday)
    sim = Sim(Settings(), start)
    for seconds, how, cmd in script:
        target = sim.now + timedelta(seconds=seconds)
        if how == "follow":
            sim.run_until(target)
        elif how == "sleep":
            sim.now = target  # no ticks in between: suspended laptop
            sim.tick()
        elif how == "idle":
            sim.now = target
            sim.tick(idle=timedelta(seconds=seconds))
        elif how == "jump_back":
            sim.now = sim.now - timedelta(seconds=seconds)
            sim.tick()
        elif how == "held":
            sit_through_a_call(sim, target)
        elif how == "locked":
            sim.now = target
            sim.tick(idle=timedelta(seconds=seconds), hold="meeting", locked=True)
        else:
            sim.run_until(target)
            sim.do(cmd)
        # The next wake-up is always in the future.
        assert sim.wake is None or sim.wake > sim.now
    sim.run_until(sim.now + timedelta(hours=3))
    # Each prompt ends in exactly one outcome, and never two prompts at once.
    check_prompt_outcomes(sim.events)
    prompts = sim.of(Action.PROMPTED)
    closed = [
        e
        for e in sim.events
        if e.action in {Action.STARTED, Action.SNOOZED, Action.SKIPPED, Action.MISSED}
        and e.detail not in {"manual", "next"}
    ]
    natural_closes = [e for e in sim.of(Action.NATURAL) if "prompt" in e.detail]
    still_open = 1 if isinstance(sim.state.activity, Prompt) else 0
    assert len(prompts) == len(closed) + len(natural_closes) + still_open
    # Every started break ends exactly once (or is still running).
    started = len(sim.of(Action.STARTED))
    ended = len(sim.of(Action.COMPLETED)) + len(sim.of(Action.ENDED_EARLY))
    running = 1 if isinstance(sim.state.activity, OnBreak) else 0
    assert started == ended + running
    # Quitting leaves nothing open: every prompt and every break has its one outcome.
    sim.stop()
    check_prompt_outcomes(sim.events)
    assert sim.state.activity is None
    answers = [
        e
        for e in sim.events
        if e.action in {Action.STARTED, Action.SNOOZED, Action.SKIPPED, Action.MISSED}
        and e.detail not in {"manual", "next"}
    ]
    assert len(prompts) == len(answers) + len(natural_closes)
    assert len(sim.of(Action.STARTED)) == (
        len(sim.of(Action.COMPLETED)) + len(sim.of(Action.ENDED_EARLY))
    )


def sit_through_a_call(sim: Sim, end: datetime) -> None:
    """A call until ``end`` with no keyboard or mouse input, the policy ticking as asked."""
    start = sim.now
    sim.world = lambda now: {"idle": now - start, "hold": "meeting"}
    sim.run_until(end)
    sim.tick()
    sim.world = None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=90 * 60),
            st.sampled_from(["follow", "call", "command"]),
            commands,
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=6),
)
def test_sitting_through_calls_never_makes_a_natural_break(script, weekday):
    sim = Sim(Settings(), at("2026-11-23 07:30") + timedelta(days=weekday))
    for seconds, how, cmd in script:
        target = sim.now + timedelta(seconds=seconds)
        if how == "call":
            sit_through_a_call(sim, target)
        else:
            sim.run_until(target)
            if how == "command":
                sim.do(cmd)
    sim.run_until(sim.now + timedelta(hours=3))
    assert sim.of(Action.NATURAL) == []
    check_prompt_outcomes(sim.events)
