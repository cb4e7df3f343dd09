"""Working hours that fit real people: all day to 24:00, night shifts, and the DST nights.

A night belongs to the working day it starts on, everywhere a day is counted: the plan, the
figures, the goal and streaks, today's count and the walking plan's weeks.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from posturebreak.config import parse_settings
from posturebreak.core import hours, insight, stats, walkplan
from posturebreak.core.commands import PauseUntilTomorrow, StartBreak
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.effects import ShowPrompt
from posturebreak.core.insight import Outcome, Period, Streaks
from posturebreak.core.planner import plan_day
from posturebreak.core.settings import Schedule, Settings, TimeRange
from posturebreak.core.today import TodayCounter
from tests.sim import BERLIN, Sim, at, check_prompt_outcomes

UTC = timezone.utc
MON = date(2026, 11, 23)
WEEK = [MON + timedelta(days=i) for i in range(7)]
NIGHTS = '[schedule]\nworkdays = ["mon", "tue", "wed", "thu", "fri"]\nhours = ["22:00-06:00"]\n'
STANDS_ONLY = "[breaks.stretch]\nenabled = false\n[breaks.walk]\nenabled = false\n"


def start_every_prompt(sim: Sim, p: ShowPrompt) -> StartBreak:
    return StartBreak()


def night_week(extra: str = "") -> tuple[Settings, Sim]:
    """A Mon-Fri night-shift week (Berlin, no DST change), every prompt started."""
    settings = parse_settings(NIGHTS + extra)
    sim = Sim(settings, at("2026-11-23 00:00"))
    sim.run_until(at("2026-11-30 12:00"), answer=start_every_prompt)
    check_prompt_outcomes(sim.events)
    return settings, sim


# --- the night the clocks change -----------------------------------------------------------------


def test_a_night_is_seven_hours_when_clocks_go_forward_and_nine_when_they_go_back():
    sched = parse_settings('[schedule]\nworkdays = ["sat"]\nhours = ["22:00-06:00"]\n').schedule
    for saturday, length in (("2026-03-28", 7), ("2026-10-24", 9), ("2026-11-28", 8)):
        noon = at(f"{saturday} 12:00")
        assert hours.work_time(sched, noon, noon + timedelta(days=1), BERLIN) == timedelta(
            hours=length
        )
        [(lo, hi)] = hours.work_intervals(sched, noon, noon + timedelta(days=1), BERLIN)
        assert lo == at(f"{saturday} 22:00")
        assert f"{hi.astimezone(BERLIN):%a %H:%M}" == "Sun 06:00"
        sunday_morning = at(f"{saturday} 22:00").astimezone(UTC) + timedelta(hours=length - 1)
        assert hours.work_day(sched, sunday_morning, BERLIN) == date.fromisoformat(saturday)


def test_the_repeated_hour_is_worked_twice_and_the_skipped_one_not_at_all():
    sched = parse_settings('[schedule]\nworkdays = ["sat"]\nhours = ["22:00-06:00"]\n').schedule
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)  # summer time, the first 02:30
    second = first.replace(fold=1)  # winter time, an hour later
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert hours.in_hours(sched, first, BERLIN)
    assert hours.in_hours(sched, second, BERLIN)
    # 02:30 never happens on 29 March: a range that starts there starts when the clock jumps.
    jump = hours.local_instant(date(2026, 3, 29), time(2, 30), BERLIN)
    assert jump.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    short = Schedule(frozenset({6}), (TimeRange(time(1), time(2, 30)),))
    sunday = at("2026-03-29 00:00")
    assert hours.work_time(short, sunday, sunday + timedelta(days=1), BERLIN) == timedelta(hours=1)


def test_a_night_shift_across_both_dst_changes_prompts_every_31_real_minutes():
    settings = parse_settings(
        '[schedule]\nworkdays = ["sat"]\nhours = ["22:00-06:00"]\n' + STANDS_ONLY
    )
    counts = []
    for saturday in ("2026-03-28", "2026-10-24"):
        sim = Sim(settings, at(f"{saturday} 21:00"))
        sim.run_until(at(f"{saturday} 21:00") + timedelta(hours=10), answer=start_every_prompt)
        prompts = [e.at.astimezone(UTC) for e in sim.of(Action.PROMPTED)]
        # 30 min of desk time, then the 1 min stand: real minutes, whatever the wall clock does.
        assert {b - a for a, b in itertools.pairwise(prompts)} == {timedelta(minutes=31)}
        assert f"{prompts[0].astimezone(BERLIN):%a %H:%M}" == "Sat 22:30"
        assert f"{prompts[-1].astimezone(BERLIN):%a}" == "Sun"
        assert all(hours.in_hours(settings.schedule, t, BERLIN) for t in prompts)
        assert {hours.work_day(settings.schedule, t, BERLIN) for t in prompts} == {
            date.fromisoformat(saturday)
        }
        counts.append(len(prompts))
        check_prompt_outcomes(sim.events)
    assert counts == [13, 17]  # 7 h and 9 h of night


# --- a week of nights --------------------------------------------------------------------------


def test_a_night_belongs_to_the_day_it_starts_and_a_sunday_night_off_does_not_start():
    sched = parse_settings(NIGHTS).schedule
    assert hours.work_day(sched, at("2026-11-24 02:00"), BERLIN) == MON
    assert hours.work_day(sched, at("2026-11-24 07:00"), BERLIN) == date(2026, 11, 24)
    assert hours.in_hours(sched, at("2026-11-28 05:59"), BERLIN)  # Friday's night, on Saturday
    assert hours.work_day(sched, at("2026-11-28 05:59"), BERLIN) == date(2026, 11, 27)
    assert not hours.in_hours(sched, at("2026-11-28 22:30"), BERLIN)  # Saturday is off
    assert not hours.in_hours(sched, at("2026-11-30 02:00"), BERLIN)  # no Sunday night
    assert hours.work_day(sched, at("2026-11-30 02:00"), BERLIN) == date(2026, 11, 30)
    assert hours.next_work_start(sched, at("2026-11-28 03:00"), BERLIN) == at("2026-11-28 03:00")
    assert hours.next_work_start(sched, at("2026-11-28 07:00"), BERLIN) == at("2026-11-30 22:00")
    bounds = [stats.day_bounds(d, BERLIN, sched) for d in WEEK]
    assert bounds[0] == (at("2026-11-23 00:00"), at("2026-11-24 06:00"))
    assert bounds[4] == (at("2026-11-27 06:00"), at("2026-11-28 06:00"))
    assert bounds[5] == (at("2026-11-28 06:00"), at("2026-11-29 00:00"))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_until_tomorrow_during_a_night_means_the_next_night():
    sched = parse_settings(NIGHTS).schedule
    assert hours.next_day_start(sched, at("2026-11-24 03:00"), BERLIN) == at("2026-11-24 22:00")
    assert hours.next_day_start(sched, at("2026-11-27 23:00"), BERLIN) == at("2026-11-30 22:00")
    sim = Sim(parse_settings(NIGHTS), at("2026-11-23 23:50"))
    sim.run_until(at("2026-11-24 03:00"))
    sim.do(PauseUntilTomorrow())
    assert sim.state.paused_until == at("2026-11-24 22:00")


def test_the_plan_of_a_night_runs_to_the_morning_after():
    settings, sim = night_week()
    plans = {d: plan_day(settings, d, BERLIN) for d in WEEK}
    monday = [f"{b.at.astimezone(BERLIN):%a %H:%M}" for b in plans[MON]]
    assert monday[0] == "Mon 22:30"
    assert "Tue 00:05" in monday
    assert monday[-1].startswith("Tue 05")
    for day in WEEK[:5]:
        start, end = at(f"{day} 22:00"), at(f"{day + timedelta(days=1)} 06:00")
        assert all(start < b.at < end for b in plans[day])
        assert len(plans[day]) == len(plans[MON]) > 10
    assert plans[WEEK[5]] == plans[WEEK[6]] == []  # Friday's night is Friday's
    # The plan is what the week did: each night's prompts, day by day.
    prompted = list(sim.of(Action.PROMPTED))
    for day in WEEK:
        ours = [e.at for e in prompted if hours.work_day(settings.schedule, e.at, BERLIN) == day]
        assert ours == [b.at for b in plans[day]]


def test_stats_goal_and_streaks_count_each_night_for_the_day_it_started():
    settings, sim = night_week()
    sched = settings.schedule
    buckets = insight.to_buckets(sim.events)
    per_day = insight.daily_minutes(buckets, BERLIN, sched)
    assert sorted(per_day) == WEEK[:5]  # nothing on Saturday morning
    night = per_day[MON]
    assert set(per_day.values()) == {night}
    # A break at 02:15 on Tuesday is one of Monday's.
    walk = next(e for e in sim.of(Action.COMPLETED) if e.at.astimezone(BERLIN).hour == 2)
    assert walk.at.astimezone(BERLIN).date() == date(2026, 11, 24)
    monday = insight.summarize(buckets, *stats.day_bounds(MON, BERLIN, sched))
    assert monday == stats.summarize(sim.events, *stats.day_bounds(MON, BERLIN, sched))
    assert monday.total.prompted == len(plan_day(settings, MON, BERLIN))
    assert monday.compliance == 1.0
    saturday = insight.summarize(buckets, *stats.day_bounds(WEEK[5], BERLIN, sched))
    assert saturday.total.prompted == 0
    week = insight.summarize(buckets, *insight.period_bounds(Period.WEEK, MON, BERLIN, sched))
    assert week.total.prompted == 5 * monday.total.prompted
    goal = parse_settings(NIGHTS + f"[goal]\ndaily_minutes = {int(night)}\n")
    days = insight.goal_days(per_day, MON, WEEK[6], goal)
    assert [d.met for d in days] == [True] * 5 + [False] * 2
    assert [d.working for d in days] == [True] * 5 + [False] * 2
    assert insight.streaks(per_day, WEEK[6], goal) == Streaks(5, 5)
    assert insight.span_days(*stats.day_bounds(MON, BERLIN, sched), sched, BERLIN) == (MON, MON)
    assert stats.summary_text(monday, sched, BERLIN).splitlines()[0] == "Mon 23 Nov 2026"


def test_the_report_bars_put_each_night_on_its_own_day():
    settings, sim = night_week()
    bars = insight.day_outcomes(sim.events, MON, WEEK[6], BERLIN, settings)
    taken = [d.counts[Outcome.TAKEN] for d in bars]
    assert taken == [len(plan_day(settings, MON, BERLIN))] * 5 + [0, 0]


def test_today_during_a_night_counts_the_whole_night():
    settings, sim = night_week()
    events = [e for e in sim.events if e.at < at("2026-11-24 03:00")]
    counter = TodayCounter(BERLIN, events, settings.schedule)
    # Three prompts before midnight and six after, all Monday's.
    assert counter.counts(at("2026-11-24 03:00")) == (9, 9)
    assert counter.counts(at("2026-11-24 07:00")) == (0, 0)  # Tuesday; its night is to come
    late = Event.new(at("2026-11-24 22:31"), BreakKind.STAND, Action.COMPLETED, 60)
    counter.add(late)
    assert counter.counts(at("2026-11-25 01:00")) == (1, 0)


def test_a_sunday_night_walk_after_midnight_belongs_to_the_week_before():
    settings = parse_settings('[schedule]\nworkdays = ["sun"]\nhours = ["22:00-06:00"]\n')
    walks = []
    for week in range(2):
        sunday_night = at("2026-11-30 01:00") + timedelta(weeks=week)  # Monday 01:00
        walks += [
            Event.new(sunday_night, BreakKind.WALK, Action.PROMPTED),
            Event.new(sunday_night + timedelta(minutes=5), BreakKind.WALK, Action.COMPLETED, 300),
        ]
    status = walkplan.current_target(settings, walks, at("2026-12-08 12:00"), BERLIN)
    assert [w.monday for w in status.weeks] == [date(2026, 11, 23), date(2026, 11, 30)]
    assert [(w.offered, w.taken) for w in status.weeks] == [(1, 1), (1, 1)]


# --- all day, every day ------------------------------------------------------------------------


def test_all_day_on_a_weekend_has_no_hole_at_midnight_and_the_timer_keeps_counting():
    settings = parse_settings(
        '[schedule]\nworkdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
        'hours = ["00:00-24:00"]\n' + STANDS_ONLY
    )
    sched = settings.schedule
    assert hours.in_hours(sched, at("2026-11-28 23:59:30"), BERLIN)
    assert hours.in_hours(sched, at("2026-11-29 00:00:30"), BERLIN)
    saturday_late = at("2026-11-28 23:00")
    assert hours.work_intervals(
        sched, saturday_late, saturday_late + timedelta(hours=2), BERLIN
    ) == [(saturday_late, saturday_late + timedelta(hours=2))]
    assert hours.off_hours_gaps(sched, saturday_late, at("2026-11-30 09:00"), BERLIN) == []
    sim = Sim(settings, at("2026-11-28 23:40"))
    sim.run_until(at("2026-11-29 00:45"), answer=start_every_prompt)
    assert [f"{sim.local(e):%a %H:%M}" for e in sim.of(Action.PROMPTED)] == [
        "Sun 00:10",
        "Sun 00:41",
    ]


def test_a_stand_due_after_midnight_in_a_night_is_prompted():
    sim = Sim(parse_settings(NIGHTS + STANDS_ONLY), at("2026-11-23 23:40"))
    sim.run_until(at("2026-11-24 00:30"), answer=start_every_prompt)
    assert [f"{sim.local(e):%a %H:%M}" for e in sim.of(Action.PROMPTED)] == ["Tue 00:10"]


# --- properties --------------------------------------------------------------------------------


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """Valid schedules: non-overlapping ranges, some ending at 24:00, some running past it."""
    days = frozenset(draw(st.sets(st.integers(0, 6), min_size=1)))
    if draw(st.integers(0, 7)) == 0:
        return Schedule(days, (TimeRange(time(0), time(0)),))
    points = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=2, max_size=8, unique=True))
    points = sorted(points)[: len(points) // 2 * 2]
    if draw(st.booleans()):
        points = points[1:] + points[:1]  # (p1, p2), ..., (p_last, p0): the last is a night
    ranges = tuple(
        TimeRange(time(*divmod(a, 60)), time(*divmod(b, 60)))
        for a, b in zip(points[::2], points[1::2], strict=True)
    )
    return Schedule(days, ranges)


ZONES = st.sampled_from([BERLIN, UTC, timezone(timedelta(hours=5, minutes=30))])


@given(schedules(), ZONES, st.integers(0, 6 * 24 * 60))
def test_a_week_of_work_is_the_ranges_on_the_workdays_in_disjoint_intervals(sched, tz, shift):
    # Any seven days hold each weekday once; November 2026 has no DST change in Berlin.
    start = datetime(2026, 11, 2, tzinfo=tz) + timedelta(minutes=shift)
    end = start + timedelta(days=7)
    per_day = sum((r.length for r in sched.hours), timedelta(0))
    assert hours.work_time(sched, start, end, tz) == per_day * len(sched.workdays)
    spans = hours.work_intervals(sched, start, end, tz)
    assert all(lo < hi for lo, hi in spans)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))  # disjoint, touching ones merged


@given(schedules(), ZONES, st.integers(0, 14 * 24 * 60 * 60), st.integers(0, 3 * 24 * 60))
def test_days_hours_and_waiting_agree_with_the_intervals(sched, tz, offset, minutes):
    t = datetime(2026, 11, 2, tzinfo=tz) + timedelta(seconds=offset)
    spans = hours.work_intervals(sched, t - timedelta(days=2), t + timedelta(days=2), tz)
    assert hours.in_hours(sched, t, tz) == any(lo <= t < hi for lo, hi in spans)
    day = hours.work_day(sched, t, tz)
    lo, hi = hours.work_day_bounds(sched, day, tz)
    assert lo <= t < hi
    assert hours.work_day_finder(sched, tz)(t) == day
    amount = timedelta(minutes=minutes)
    done = hours.after_work_time(sched, t, amount, tz)
    if done is None:  # a minute a week cannot add up to hours within the horizon
        assert hours.work_time(sched, t, t + hours.HORIZON, tz) < amount
    else:
        assert hours.work_time(sched, t, done, tz) == amount
