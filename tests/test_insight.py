"""Figures from hand-built logs with known answers: stats, goals, streaks, patterns, the plan."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from posturebreak.core import insight, stats, walkplan
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.insight import Outcome, Period
from posturebreak.core.settings import GoalSettings, Schedule, Settings, WalkingPlan
from posturebreak.storage.store import EventStore
from tests.sim import BERLIN, at

STAND, STRETCH, WALK = BreakKind.STAND, BreakKind.STRETCH, BreakKind.WALK
KOLKATA = ZoneInfo("Asia/Kolkata")


def ev(when: str, kind, action, dur=None, detail="") -> Event:
    return Event.new(at(when), kind, action, dur, detail)


def taken(when: str, kind=STAND, minutes=1.0) -> list[Event]:
    t = at(when)
    return [
        Event.new(t, kind, Action.PROMPTED),
        Event.new(t, kind, Action.STARTED, minutes * 60),
        Event.new(t + timedelta(minutes=minutes), kind, Action.COMPLETED, minutes * 60),
    ]


# --- figures: events and buckets agree --------------------------------------------------------


def test_a_week_across_the_dst_change_counts_every_local_day():
    # Berlin leaves summer time on Sun 2026-10-25: that day has 25 hours.
    events = [
        *taken("2026-10-19 00:10"),  # Monday just after local midnight (still 18 Oct in UTC)
        ev("2026-10-25 02:30", STAND, Action.NATURAL, 600, "away"),  # the hour that repeats
        ev("2026-10-25 23:50", STRETCH, Action.SKIPPED),  # last minutes of the long Sunday
        ev("2026-10-26 00:05", STRETCH, Action.SKIPPED),  # next week already
        ev("2026-10-18 23:55", STRETCH, Action.SKIPPED),  # previous week
    ]
    start, end = insight.period_bounds(Period.WEEK, date(2026, 10, 22), BERLIN)
    assert end.astimezone(timezone.utc) - start.astimezone(timezone.utc) == timedelta(
        days=7, hours=1
    )
    s = insight.summarize(insight.to_buckets(events), start, end)
    assert s.by_kind[STAND].completed == 1
    assert s.by_kind[STAND].natural == 1
    assert s.by_kind[STRETCH].skipped == 1
    assert s.total.minutes == pytest.approx(11.0)
    assert s == stats.summarize(events, start, end)
    sunday = insight.daily_minutes(insight.to_buckets(events), BERLIN, Schedule())
    assert sunday == {date(2026, 10, 19): 1.0, date(2026, 10, 25): 10.0}


def test_month_bounds_and_deferred_are_counted():
    start, end = insight.period_bounds(Period.MONTH, date(2026, 10, 13), BERLIN)
    assert start == at("2026-10-01 00:00")
    assert end == at("2026-11-01 00:00")
    events = [
        ev("2026-10-01 00:00", WALK, Action.DEFERRED, detail="fullscreen"),
        ev("2026-10-31 23:59", WALK, Action.DEFERRED, detail="meeting"),
        ev("2026-11-01 00:00", WALK, Action.DEFERRED, detail="meeting"),
    ]
    assert insight.summarize(insight.to_buckets(events), start, end).by_kind[WALK].deferred == 2


def test_a_returning_prompt_is_not_counted_twice():
    events = [
        ev("2026-11-23 10:00", WALK, Action.PROMPTED),
        ev("2026-11-23 10:01", WALK, Action.SNOOZED, 300),
        ev("2026-11-23 10:06", WALK, Action.PROMPTED, detail="snoozed 1x"),
        ev("2026-11-23 10:07", WALK, Action.SKIPPED),
    ]
    start, end = stats.day_bounds(date(2026, 11, 23), BERLIN)
    s = insight.summarize(insight.to_buckets(events), start, end)
    assert (s.by_kind[WALK].prompted, s.by_kind[WALK].snoozed, s.by_kind[WALK].skipped) == (1, 1, 1)
    assert s.compliance == 0.0


def random_log(rng: random.Random, n: int) -> list[Event]:
    t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    out = []
    for _ in range(n):
        action = rng.choice(list(Action))
        kind = None if action in {Action.PAUSED, Action.RESUMED} else rng.choice(list(BreakKind))
        detail = rng.choice(["", "snoozed 1x", "next", "paused", "away"])
        dur = rng.choice([None, 30.0, 299.5, 5000.0])
        out.append(
            Event.new(t0 + timedelta(seconds=rng.randint(0, 90 * 86400)), kind, action, dur, detail)
        )
    return out


def test_the_sql_buckets_are_the_python_buckets():
    events = random_log(random.Random(3), 3000)
    store = EventStore.memory()
    store.merge(events)
    since, until = (
        datetime(2026, 3, 20, tzinfo=timezone.utc),
        datetime(2026, 5, 2, tzinfo=timezone.utc),
    )
    inside = [e for e in events if since <= e.at < until]
    sql, py = store.buckets(since, until), insight.to_buckets(inside)
    assert [(b.start, b.kind, b.action, b.secondary, b.count) for b in sql] == [
        (b.start, b.kind, b.action, b.secondary, b.count) for b in py
    ]
    assert [round(b.minutes, 6) for b in sql] == [round(b.minutes, 6) for b in py]
    moved = store.buckets(actions=(Action.NATURAL,))
    assert sum(b.count for b in moved) == sum(e.action is Action.NATURAL for e in events)


def test_events_from_two_machines_add_up_and_a_half_hour_zone_keeps_its_days():
    office = [*taken("2026-11-23 09:30", WALK, 5)]
    laptop = [Event.new(datetime(2026, 11, 23, 23, 50, tzinfo=KOLKATA), STAND, Action.NATURAL, 600)]
    store = EventStore.memory()
    store.merge(office)
    store.merge(laptop)
    buckets = store.buckets()
    # 23:50 in Kolkata is 18:20 UTC: a UTC-hour grouping would have put it on the next day.
    assert insight.daily_minutes(buckets, KOLKATA, Schedule()) == {date(2026, 11, 23): 15.0}
    start, end = stats.day_bounds(date(2026, 11, 23), BERLIN)
    s = insight.summarize(buckets, start, end)
    assert s.by_kind[WALK].completed == 1
    assert s.by_kind[STAND].natural == 1
    assert s.total.minutes == 15.0


# --- goal and streaks --------------------------------------------------------------------------


def week_of(minutes: list[float], monday: date) -> dict[date, float]:
    return {monday + timedelta(days=i): m for i, m in enumerate(minutes) if m}


def test_streaks_skip_weekends_and_a_day_in_progress_does_not_break_them():
    s = Settings(goal=GoalSettings(daily_minutes=60))
    mins = {
        **week_of([60, 70, 10, 80, 90, 0, 0], date(2026, 11, 2)),  # Wed below goal
        **week_of([65, 61, 62, 63, 64, 200, 0], date(2026, 11, 9)),  # Sat counts for nothing
        **week_of([60, 0, 0, 0, 0, 0, 0], date(2026, 11, 16)),
    }
    # Thu 5 Nov .. Mon 16 Nov: 2 + 5 + 1 = 8 working days in a row.
    assert insight.streaks(mins, date(2026, 11, 16), s) == insight.Streaks(longest=8, current=8)
    # Tuesday not done yet: the run goes on.
    assert insight.streaks(mins, date(2026, 11, 17), s).current == 8
    # Wednesday: Tuesday was missed, the run is over.
    assert insight.streaks(mins, date(2026, 11, 18), s) == insight.Streaks(longest=8, current=0)
    assert insight.streaks({}, date(2026, 11, 18), s) == insight.Streaks(0, 0)


def test_goal_days_mark_working_days_that_met_the_goal():
    s = Settings(goal=GoalSettings(daily_minutes=120))
    days = insight.goal_days(
        {date(2026, 11, 23): 121.0, date(2026, 11, 28): 500.0},
        date(2026, 11, 23),
        date(2026, 11, 29),
        s,
    )
    assert [(d.working, d.met) for d in days] == [
        (True, True),
        (True, False),
        (True, False),
        (True, False),
        (True, False),
        (False, True),
        (False, False),
    ]


# --- patterns ----------------------------------------------------------------------------------


def prompts_at(day: date, hour: int, answers: list[Action]) -> list[Event]:
    out = []
    for n, answer in enumerate(answers):
        t = datetime(day.year, day.month, day.day, hour, 0, tzinfo=BERLIN) + timedelta(days=7 * n)
        out.append(Event.new(t, STAND, Action.PROMPTED))
        out.append(
            Event.new(
                t + timedelta(minutes=1), STAND, answer, 60 if answer is Action.COMPLETED else None
            )
        )
    return out


def test_a_standing_meeting_is_spotted_and_named():
    d = date(2026, 9, 1)
    skip, done, snooze = Action.SKIPPED, Action.COMPLETED, Action.SNOOZED
    events = [
        *prompts_at(d, 10, [skip] * 7 + [done] * 3),
        *prompts_at(d, 14, [done] * 9 + [snooze]),
        *prompts_at(d, 16, [done] * 2 + [skip]),  # too few prompts to judge
    ]
    patterns = insight.hour_patterns(insight.to_buckets(events), BERLIN)
    assert [(p.hour, p.prompts, p.snoozed, p.skipped) for p in patterns] == [
        (10, 10, 0, 7),
        (14, 10, 1, 0),
        (16, 3, 0, 1),
    ]
    assert insight.suggestion(patterns) == (
        "You skip 7 of 10 prompts at 10:00 — a standing meeting?"
        " Try `pause until 10:30` or move your hours."
    )


def test_no_suggestion_when_nothing_stands_out():
    d = date(2026, 9, 1)
    skip, done = Action.SKIPPED, Action.COMPLETED
    evenly = [*prompts_at(d, 10, [skip, done] * 4), *prompts_at(d, 11, [skip, done] * 4)]
    assert insight.suggestion(insight.hour_patterns(insight.to_buckets(evenly), BERLIN)) is None
    good = prompts_at(d, 9, [done] * 10)
    assert insight.suggestion(insight.hour_patterns(insight.to_buckets(good), BERLIN)) is None


def test_snoozes_are_named_as_snoozes():
    d = date(2026, 9, 1)
    events = prompts_at(d, 15, [Action.SNOOZED] * 6 + [Action.COMPLETED] * 4)
    events += prompts_at(d, 9, [Action.COMPLETED] * 10)
    hint = insight.suggestion(insight.hour_patterns(insight.to_buckets(events), BERLIN))
    assert hint is not None
    assert hint.startswith("You snooze 6 of 10 prompts at 15:00")


# --- outcomes per day --------------------------------------------------------------------------


def test_each_offered_break_ends_in_one_outcome_per_day():
    s = Settings()
    events = [
        *taken("2026-11-23 09:30"),
        ev("2026-11-23 10:00", WALK, Action.PROMPTED),
        ev("2026-11-23 10:00", WALK, Action.SNOOZED, 300),
        ev("2026-11-23 10:05", WALK, Action.PROMPTED, detail="snoozed 1x"),
        ev("2026-11-23 10:06", WALK, Action.STARTED, 300),
        ev("2026-11-23 10:11", WALK, Action.COMPLETED, 300),
        ev("2026-11-23 11:00", STRETCH, Action.PROMPTED),
        ev("2026-11-23 11:01", STRETCH, Action.SKIPPED),
        ev("2026-11-24 09:30", STAND, Action.PROMPTED),
        ev("2026-11-24 09:35", STAND, Action.MISSED, detail="no answer"),
        ev("2026-11-24 12:00", STAND, Action.NATURAL, 3600, "away"),
    ]
    days = insight.day_outcomes(events, date(2026, 11, 23), date(2026, 11, 25), BERLIN, s)
    assert [d.day for d in days] == [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    mon, tue, wed = days
    assert dict(mon.counts) == {
        Outcome.TAKEN: 1,
        Outcome.SNOOZED_TAKEN: 1,
        Outcome.SKIPPED: 1,
        Outcome.NATURAL: 0,
        Outcome.MISSED: 0,
    }
    assert mon.minutes[Outcome.SNOOZED_TAKEN] == 5.0
    assert mon.minutes[Outcome.SKIPPED] == 3.0  # the stretch that was not done
    assert mon.moved == 6.0
    assert tue.minutes[Outcome.NATURAL] == 15.0
    assert tue.minutes[Outcome.MISSED] == 1.0
    assert sum(wed.counts.values()) == 0


# --- the walking plan over months --------------------------------------------------------------


def walk_week(monday: date, offered: int, taken_n: int) -> list[Event]:
    out = []
    for i in range(offered):
        t = datetime(monday.year, monday.month, monday.day, 10, tzinfo=BERLIN) + timedelta(hours=i)
        out.append(Event.new(t, WALK, Action.PROMPTED))
        if i < taken_n:
            out.append(Event.new(t + timedelta(minutes=6), WALK, Action.COMPLETED, 300))
        else:
            out.append(Event.new(t + timedelta(minutes=1), WALK, Action.SKIPPED))
    return out


def plan_after(
    shares: list[tuple[int, int]],
    first: date,
    s: Settings | None = None,
    extra: list[Event] | None = None,
) -> walkplan.PlanStatus:
    events = [
        e for i, (o, t) in enumerate(shares) for e in walk_week(first + timedelta(weeks=i), o, t)
    ]
    now = datetime.combine(
        first + timedelta(weeks=len(shares), days=1), datetime.min.time(), BERLIN
    )
    return walkplan.current_target(s or Settings(), [*events, *(extra or [])], now, BERLIN)


MONDAY = date(2026, 6, 1)


def minutes_of(status: walkplan.PlanStatus) -> list[int]:
    return [round(w.target_after.total_seconds() / 60) for w in status.weeks]


def test_the_walk_grows_after_good_weeks_holds_then_eases():
    status = plan_after([(5, 4), (5, 5), (4, 4), (5, 3), (5, 2), (5, 4)], MONDAY)
    # 80 % grows, 60 % holds, 40 % eases one step, then grows again.
    assert minutes_of(status) == [6, 7, 8, 8, 7, 8]
    assert status.target == timedelta(minutes=8)
    assert status.headline() == "Today's walk: 8 min — 1 more than last week."


def test_the_walk_never_passes_the_cap_nor_drops_below_the_start():
    months = [(5, 5)] * 20  # five months of perfect weeks
    status = plan_after(months, MONDAY)
    assert status.target == timedelta(minutes=15)
    assert max(minutes_of(status)) == 15
    bad = plan_after([(5, 0)] * 8, MONDAY)
    assert bad.target == timedelta(minutes=5)


def test_a_week_without_walk_prompts_holds_and_a_reset_starts_again():
    status = plan_after([(5, 5), (5, 5), (0, 0), (5, 5)], MONDAY)
    assert minutes_of(status) == [6, 7, 7, 8]
    reset_at = datetime.combine(MONDAY + timedelta(weeks=3, days=2), datetime.min.time(), BERLIN)
    reset = [Event.new(reset_at, None, Action.PLAN_RESET, detail="cli")]
    again = plan_after([(5, 5), (5, 5), (0, 0), (5, 5)], MONDAY, extra=reset)
    # Only the walks after the reset (Thu..Sun of week 4: none) count; the plan restarts.
    assert again.target == timedelta(minutes=5)


def test_a_switched_off_plan_keeps_the_configured_walk():
    s = Settings(walking_plan=WalkingPlan(enabled=False))
    assert plan_after([(5, 5)] * 6, MONDAY, s).target == timedelta(minutes=5)


def test_custom_step_cap_and_thresholds():
    s = Settings(
        walking_plan=WalkingPlan(
            step=timedelta(minutes=2), cap=timedelta(minutes=9), grow_at=0.6, ease_below=0.3
        )
    )
    status = plan_after([(5, 3), (5, 3), (5, 3), (5, 1)], MONDAY, s)
    assert minutes_of(status) == [7, 9, 9, 7]
