"""The policy on a fake clock: a simulated working week and the rules people notice."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

from posturebreak.core.commands import (
    FinishBreak,
    PauseFor,
    PauseUntilTomorrow,
    Resume,
    Skip,
    Snooze,
    StartBreak,
    TakeBreak,
)
from posturebreak.core.domain import Action, BreakKind, Event, Mode
from posturebreak.core.effects import BeginBreak, ClosePrompt, ShowPrompt, StatusView
from posturebreak.core.policy_state import view_of
from posturebreak.core.settings import BreakRule, Settings
from tests.sim import Sim, at, check_prompt_outcomes, minutes

MONDAY = "2026-11-23"


def start_every_prompt(sim: Sim, p: ShowPrompt):
    return StartBreak()


def never_answer(sim: Sim, p: ShowPrompt):
    return None


def prompted(sim: Sim) -> list[tuple[str, BreakKind]]:
    return [(f"{sim.local(e):%a %H:%M}", e.kind) for e in sim.of(Action.PROMPTED)]  # type: ignore[misc]


def test_first_day_prompts_stand_stretch_walk_in_order():
    sim = Sim(Settings(), at(f"{MONDAY} 08:00"))
    sim.run_until(at(f"{MONDAY} 12:30"), answer=start_every_prompt)
    got = prompted(sim)
    # 30 min of desk time after 09:00; a 1-min stand pauses the timers; the stretch at 60 min
    # covers the stand that falls due with it; the walk at 120 min covers both.
    assert got[0] == ("Mon 09:30", BreakKind.STAND)
    assert got[1] == ("Mon 10:01", BreakKind.STRETCH)
    assert got[2] == ("Mon 10:34", BreakKind.STAND)
    assert got[3][1] is BreakKind.WALK
    assert [k for _, k in got].count(BreakKind.WALK) == 1
    assert len(sim.of(Action.COMPLETED)) == len(got)
    check_prompt_outcomes(sim.events)


def test_working_week_respects_hours_lunch_and_weekend():
    sim = Sim(Settings(), at(f"{MONDAY} 00:00"))
    sim.run_until(at("2026-11-30 00:00"), answer=start_every_prompt)
    times = [sim.local(e) for e in sim.of(Action.PROMPTED)]
    assert {t.strftime("%a") for t in times} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    for t in times:
        hm = t.strftime("%H:%M")
        assert ("09:00" <= hm < "12:30") or ("13:30" <= hm < "17:30"), t
    # Every working day looks the same: the lunch hour and the night restart the timers.
    per_day = {}
    for t in times:
        per_day.setdefault(t.date(), []).append(t.strftime("%H:%M"))
    days = list(per_day.values())
    assert all(d == days[0] for d in days)
    assert days[0][0] == "09:30"
    assert "14:00" in days[0]  # first break after lunch: 30 min of desk time after 13:30
    check_prompt_outcomes(sim.events)


def test_heads_up_notice_comes_30s_before_each_prompt():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:30:00"), answer=None)
    assert len(sim.notices()) == 1
    assert "30 s" in sim.notices()[0].message
    assert len(sim.of(Action.PROMPTED)) == 1


def test_no_notice_when_disabled():
    s = Settings()
    s = replace(s, prompt=replace(s.prompt, notice=timedelta(0)))
    sim = Sim(s, at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 11:00"), answer=start_every_prompt)
    assert sim.notices() == []


def test_snooze_returns_the_prompt_and_the_limit_holds():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:30"))
    for n in range(3):
        sim.do(Snooze())
        assert sim.of(Action.SNOOZED)[-1].duration_s == 300
        assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.SNOOZED
        sim.run_until(sim.now + minutes(5))
        assert len(sim.of(Action.PROMPTED)) == n + 2
    assert view_of(sim.state, sim.ctx, sim.now).snoozes_left == 0
    before = len(sim.events)
    sim.do(Snooze())
    assert "No snoozes left" in sim.rejections()[-1].reason
    assert len(sim.events) == before
    sim.do(StartBreak())
    assert sim.of(Action.STARTED)[-1].kind is BreakKind.STAND
    check_prompt_outcomes(sim.events)


def test_snooze_with_a_chosen_span():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:30"))
    sim.do(Snooze(minutes(15)))
    sim.run_until(at(f"{MONDAY} 09:44:59"))
    assert len(sim.of(Action.PROMPTED)) == 1
    sim.run_until(at(f"{MONDAY} 09:45"))
    assert len(sim.of(Action.PROMPTED)) == 2


def test_unanswered_prompt_is_missed_after_the_timeout_and_timers_restart():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:40"), answer=never_answer)
    missed = sim.of(Action.MISSED)
    assert len(missed) == 1
    assert f"{sim.local(missed[0]):%H:%M}" == "09:35"
    assert any(isinstance(e, ClosePrompt) for e in sim.effects)
    sim.run_until(at(f"{MONDAY} 10:05:01"), answer=never_answer)
    # The stand restarted at 09:35 (due 10:05) but the stretch falls due at 10:00 and covers it.
    assert prompted(sim) == [("Mon 09:30", BreakKind.STAND), ("Mon 10:00", BreakKind.STRETCH)]


def test_skip_restarts_the_kind_and_the_ones_it_covers():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 10:00"), answer=lambda _sim, _prompt: Skip())
    assert [e.kind for e in sim.of(Action.SKIPPED)] == [BreakKind.STAND, BreakKind.STRETCH]
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:30", "10:00"]


def test_skip_next_before_it_is_due():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.now = at(f"{MONDAY} 09:10")
    sim.do(Skip())
    (skip,) = sim.of(Action.SKIPPED)
    assert (skip.kind, skip.detail) == (BreakKind.STAND, "next")
    sim.run_until(at(f"{MONDAY} 09:45"))
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:40"]


def test_take_a_walk_now_covers_stand_and_stretch():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.now = at(f"{MONDAY} 09:20")
    sim.do(TakeBreak(BreakKind.WALK))
    assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.ON_BREAK
    sim.run_until(at(f"{MONDAY} 10:00"))
    (done,) = sim.of(Action.COMPLETED)
    assert (done.kind, done.duration_s) == (BreakKind.WALK, 300)
    # All timers restarted when the walk began and stood still during it: stand at 09:55.
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:55"]
    assert sim.of(Action.STARTED)[0].detail == "manual"


def test_ending_a_break_early_logs_the_real_duration():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:30"))
    sim.do(StartBreak())
    sim.now += timedelta(seconds=20)
    sim.do(FinishBreak(moved=timedelta(seconds=20), completed=False))
    (ended,) = sim.of(Action.ENDED_EARLY)
    assert ended.duration_s == 20
    assert sim.of(Action.COMPLETED) == []
    # A late "done" from a window after the break is over changes nothing.
    sim.do(FinishBreak())
    assert len(sim.of(Action.COMPLETED)) == 0


def test_pause_silences_reminders_and_always_ends():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.now = at(f"{MONDAY} 09:10")
    sim.do(PauseFor(timedelta(hours=1)))
    assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.PAUSED
    sim.run_until(at(f"{MONDAY} 10:10"))
    assert sim.of(Action.PROMPTED) == []
    assert len(sim.of(Action.RESUMED)) == 1
    # 10 min sat before the pause; the paused hour did not count: stand at 10:30.
    sim.run_until(at(f"{MONDAY} 10:31"))
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["10:30"]


def test_pause_until_tomorrow_ends_at_the_next_working_morning():
    sim = Sim(Settings(), at("2026-11-27 15:00"))  # a Friday
    sim.do(PauseUntilTomorrow())
    assert f"{sim.state.paused_until.astimezone(sim.tz):%a %H:%M}" == "Mon 09:00"
    sim.run_until(at("2026-11-30 09:00"))
    assert sim.of(Action.PROMPTED) == []
    assert len(sim.of(Action.RESUMED)) == 1


def test_resume_ends_a_pause_and_a_due_break_prompts_at_once():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:29"))
    sim.do(PauseFor(timedelta(hours=2)))
    sim.now = at(f"{MONDAY} 09:45")
    sim.do(Resume())
    sim.run_until(at(f"{MONDAY} 09:46"))
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:46"]
    sim.do(Resume())
    assert "not paused" in sim.rejections()[-1].reason


def test_pause_closes_an_open_prompt_with_one_outcome():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:30"))
    sim.do(PauseFor(minutes(30)))
    assert sim.of(Action.SKIPPED)[0].detail == "paused"
    check_prompt_outcomes(sim.events)


def test_a_two_hour_sleep_is_one_natural_break_not_a_pile_of_prompts():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:20"))
    sim.now = at(f"{MONDAY} 11:20")  # the laptop slept through four wake-ups
    sim.tick(asleep=timedelta(hours=2))
    assert sim.of(Action.PROMPTED) == []
    (nat,) = sim.of(Action.NATURAL)
    assert nat.kind is BreakKind.WALK
    assert nat.duration_s is not None
    assert nat.duration_s >= 7200 - 600
    sim.run_until(at(f"{MONDAY} 11:51"))
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["11:50"]


def test_a_gap_shorter_than_any_break_gives_exactly_one_prompt():
    rules = {
        k: BreakRule(k, timedelta(seconds=10 * (k.rank + 1)), timedelta(minutes=k.rank + 2))
        for k in BreakKind
    }
    sim = Sim(replace(Settings(), breaks=rules), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:00:05"))
    # Asleep from 09:00:10, when the stand fell due, to 09:01:35: every kind was due meanwhile.
    sim.now = at(f"{MONDAY} 09:01:35")
    sim.tick(asleep=timedelta(seconds=85))
    assert len(sim.of(Action.PROMPTED)) == 1
    # Time asleep is not counted as sitting: only what was due before it.
    assert sim.of(Action.PROMPTED)[0].kind is BreakKind.STAND


def test_a_night_away_restarts_timers_with_one_natural_break_for_its_working_minutes():
    sim = Sim(Settings(), at(f"{MONDAY} 17:00"))
    sim.run_until(at(f"{MONDAY} 17:20"))
    sim.now = at("2026-11-24 09:05")  # laptop closed overnight, opened after 09:00
    sim.tick(asleep=sim.now - at(f"{MONDAY} 17:20"))
    # Of the night, 17:20-17:30 and 09:00-09:05 are working time: a walk's worth, logged once.
    (natural,) = sim.of(Action.NATURAL)
    assert natural.kind is BreakKind.WALK
    assert sim.of(Action.PROMPTED) == []
    sim.run_until(at("2026-11-24 09:36"))
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:35"]


def test_wall_clock_moved_back_neither_stalls_nor_bursts():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:20"))
    sim.now = at(f"{MONDAY} 08:20") + timedelta(hours=1, minutes=0)  # same instant: no-op
    sim.now = at(f"{MONDAY} 09:20") - timedelta(minutes=40)  # moved back 40 min, unannounced
    sim.tick()
    assert sim.wake is not None
    assert sim.wake > sim.now
    assert sim.wake - sim.now <= timedelta(hours=1)


def test_announced_clock_jump_shifts_deadlines():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:30"))
    jump = timedelta(hours=1)
    sim.now += jump
    sim.tick(jump=jump)
    # The open prompt's timeout moved with the clock: not missed by the jump.
    assert sim.of(Action.MISSED) == []
    sim.run_until(sim.now + minutes(5))
    assert len(sim.of(Action.MISSED)) == 1


def test_disabled_kind_is_never_prompted_and_cannot_be_taken():
    s = Settings()
    rules = dict(s.breaks)
    rules[BreakKind.WALK] = replace(rules[BreakKind.WALK], enabled=False)
    sim = Sim(replace(s, breaks=rules), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 17:30"), answer=start_every_prompt)
    assert BreakKind.WALK not in {e.kind for e in sim.events}
    sim.do(TakeBreak(BreakKind.WALK))
    assert "turned off" in sim.rejections()[-1].reason


def test_status_headline_follows_the_day():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.now = at(f"{MONDAY} 09:18")
    sim.tick()
    v = view_of(sim.state, sim.ctx, sim.now)
    assert v.headline() == "Stand in 12 min"
    assert 0.35 < (v.ring or 0) < 0.45
    sim.now = at(f"{MONDAY} 18:00")
    assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.OFF_HOURS


def test_a_seconds_long_schedule_works():
    rules = {
        BreakKind.STAND: BreakRule(BreakKind.STAND, timedelta(seconds=4), timedelta(seconds=1)),
        BreakKind.STRETCH: BreakRule(BreakKind.STRETCH, timedelta(seconds=8), timedelta(seconds=2)),
        BreakKind.WALK: BreakRule(BreakKind.WALK, timedelta(seconds=16), timedelta(seconds=3)),
    }
    s = replace(Settings(), breaks=rules)
    s = replace(s, prompt=replace(s.prompt, notice=timedelta(seconds=1)))
    sim = Sim(s, at(f"{MONDAY} 10:00"))
    sim.run_until(at(f"{MONDAY} 10:01"), answer=start_every_prompt)
    kinds = [e.kind for e in sim.of(Action.PROMPTED)]
    assert len(kinds) >= 8
    assert set(kinds) == set(BreakKind)
    check_prompt_outcomes(sim.events)


def test_the_core_imports_no_toolkit():
    code = (
        "import sys, posturebreak.core.policy, posturebreak.config, posturebreak.core.stats, "
        "posturebreak.core.domain\n"
        "kits = ('pystray', 'PIL', 'plyer', 'apscheduler', 'tkinter')\n"
        "bad = [m for m in kits if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_idle_absence_is_measured_from_the_last_input_even_with_steps_in_between():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.now = at(f"{MONDAY} 09:10")
    sim.tick(idle=timedelta(0))
    sim.now = at(f"{MONDAY} 09:12")
    sim.tick(idle=minutes(2))  # reading: still sitting, a status query or a notice
    sim.now = at(f"{MONDAY} 09:14")
    sim.tick(idle=minutes(4))  # now away, since 09:10
    assert view_of(sim.state, sim.ctx, sim.now).mode is Mode.AWAY
    sim.now = at(f"{MONDAY} 09:16")
    sim.tick(idle=timedelta(seconds=1))  # back
    (nat,) = sim.of(Action.NATURAL)
    assert nat.kind is BreakKind.WALK  # six minutes away covers a 5-minute walk
    assert nat.duration_s == 360
    sim.run_until(at(f"{MONDAY} 09:47"))
    assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:46"]


def test_a_held_prompt_says_which_break_waits_and_why():
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.run_until(at(f"{MONDAY} 09:29:59"))
    sim.now = at(f"{MONDAY} 09:30")
    sim.tick(hold="fullscreen")
    view = view_of(sim.state, sim.ctx, sim.now)
    assert view.mode is Mode.DEFERRED
    assert view.headline() == "Stand waiting: fullscreen"
    assert [(e.kind, e.detail) for e in sim.of(Action.DEFERRED)] == [
        (BreakKind.STAND, "fullscreen")
    ]
    sim.now = at(f"{MONDAY} 09:40")
    sim.tick()  # the presentation ended
    assert len(sim.of(Action.PROMPTED)) == 1


def test_the_walking_plan_speaks_in_the_walk_prompt_and_the_tray():
    note = "Today's walk: 7 min — 1 more than last week."
    sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
    sim.ctx = replace(sim.ctx, walk_target=minutes(7), walk_note=note)
    sim.tick()
    sim.now = at(f"{MONDAY} 09:10")
    sim.tick()
    sim.do(TakeBreak(BreakKind.WALK))
    begin = [e for e in sim.effects if isinstance(e, BeginBreak)][-1]
    assert (begin.duration, begin.note) == (minutes(7), note)
    sim.run_until(at(f"{MONDAY} 12:30"), answer=start_every_prompt)
    shown = [e for e in sim.effects if isinstance(e, ShowPrompt)]
    assert {p.note for p in shown if p.kind is BreakKind.WALK} == {note}
    assert {p.note for p in shown if p.kind is not BreakKind.WALK} == {""}
    walk_next = StatusView(
        Mode.WORKING, sim.now, BreakKind.WALK, sim.now + minutes(12), walk_note=note
    )
    assert walk_next.headline() == f"Walk in 12 min. {note}"
    stand_next = replace(walk_next, next_kind=BreakKind.STAND)
    assert stand_next.headline() == "Stand in 12 min"


# --- the app's own lateness is not the person's absence ---------------------------------------


def test_a_stalled_app_is_not_a_person_away_whatever_the_probe():
    for probe_says in ({"idle": timedelta(seconds=5)}, {}):  # a probe, and none at all
        sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
        sim.run_until(at(f"{MONDAY} 09:20"))
        # The engine stalled 25 minutes (a write stuck on a slow disk, a busy machine): the
        # tick comes late, but the machine never slept and nobody said the person left.
        sim.now = at(f"{MONDAY} 09:45")
        sim.tick(**probe_says)
        assert sim.of(Action.NATURAL) == [], probe_says
        # The stalled time was desk time: the stand break that fell due is offered now.
        assert [f"{sim.local(e):%H:%M}" for e in sim.of(Action.PROMPTED)] == ["09:45"]


def test_a_real_suspend_is_time_away_but_a_late_tick_of_the_same_length_is_not():
    def after(**obs: object) -> list[Event]:
        sim = Sim(Settings(), at(f"{MONDAY} 09:00"))
        sim.run_until(at(f"{MONDAY} 09:20"))
        sim.now = at(f"{MONDAY} 09:35")
        sim.tick(idle=timedelta(seconds=3), **obs)
        return sim.of(Action.NATURAL)

    (natural,) = after(asleep=timedelta(minutes=15))
    assert natural.kind is BreakKind.WALK
    assert natural.duration_s == 15 * 60
    assert after() == []
