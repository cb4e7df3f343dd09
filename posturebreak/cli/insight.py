"""Subcommands that read the log: stats, report, import FILE, walk-plan [status|reset].

``cli.build_parser`` declares their arguments and calls these handlers when they run, so
``posturebreak run`` never loads this module (nor the report's drawing code). Figures come
from ``EventStore.buckets`` (SQL does the counting) so that a ten-year log answers in well
under a second; the bars of the report and the walking plan, which need the order of events,
stream only the events they need.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from posturebreak.cli.args import UserError, check_out_path
from posturebreak.clock import SystemClock
from posturebreak.core import hours, insight, stats, walkplan
from posturebreak.core.domain import Action, BreakKind, Event, humanize
from posturebreak.core.insight import Period
from posturebreak.frontends.report import DayBar, ReportData

if TYPE_CHECKING:
    from posturebreak.core.settings import Schedule, Settings
    from posturebreak.storage.store import EventStore

# The actions that carry minutes moved: all the goal and the streaks need.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _user_error(message: str, code: int = 2) -> Exception:
    return UserError(message, code)


def _settings() -> Settings:
    from posturebreak.cli.common import settings as load

    return load()


def _now() -> datetime:
    return SystemClock().now()


def _today(schedule: Schedule) -> date:
    return hours.work_day(schedule, _now(), None)  # a night counts for the day it started


@contextmanager
def _open_store() -> Iterator[EventStore | None]:
    """The user's log, or ``None`` when there is none yet (reading creates nothing)."""
    from posturebreak import paths

    if not paths.resolve().db_file.exists():
        yield None
        return
    with _writable_store() as store:
        yield store


@contextmanager
def _writable_store() -> Iterator[EventStore]:
    """The user's log, created if it does not exist yet."""
    from posturebreak import paths
    from posturebreak.cli.common import moved_message
    from posturebreak.storage.store import EventStore, StoreError

    db = paths.resolve().db_file
    try:
        store, moved = EventStore.open(db)
    except StoreError as exc:
        raise _user_error(str(exc), 1) from None
    if moved is not None:
        print(moved_message(moved), file=sys.stderr)
    with store:
        yield store


def _history(store: EventStore | None, until: datetime, schedule: Schedule) -> dict[date, float]:
    if store is None:
        return {}
    return insight.minutes_by_day(store.moved_by_quarter(until), None, schedule)


def _span(
    period: Period | None, day: date | None, since: date | None, until: date | None, sched: Schedule
) -> tuple[datetime, datetime]:
    if since or until:
        start = stats.day_bounds(since, None, sched)[0] if since else EPOCH
        end = stats.day_bounds(until or _today(sched), None, sched)[1]
        if end <= start:
            raise _user_error("--until is before --since; swap them")
        return start, end
    return insight.period_bounds(period or Period.DAY, day or _today(sched), None, sched)


# --- stats -------------------------------------------------------------------------------------


def run_stats(ns: argparse.Namespace) -> int:
    """``stats``: figures for a day, week, month or range, with goal, streaks and patterns."""
    settings = _settings()
    period = Period.MONTH if ns.month else Period.WEEK if ns.week else Period.DAY
    start, end = _span(period, ns.day, ns.since, ns.until, settings.schedule)
    today = _today(settings.schedule)
    with _open_store() as store:
        buckets = [] if store is None else _offered(store.buckets(start, end))
        upto = min(end, stats.day_bounds(today, None, settings.schedule)[1])
        history = _history(store, upto, settings.schedule)
    summary = insight.summarize(buckets, start, end)
    first_day, last_day = insight.span_days(max(start, EPOCH), end, settings.schedule, None)
    last_day = min(last_day, today)
    if ns.since is None and start == EPOCH:
        first_day = min(history, default=last_day)
    days = (
        insight.goal_days(history, first_day, last_day, settings) if first_day <= last_day else ()
    )
    streak = insight.streaks(history, last_day, settings)
    patterns = insight.hour_patterns(buckets, None)
    hint = insight.suggestion(patterns)
    if ns.json:
        out = stats.summary_json(summary)
        working = [d for d in days if d.working]
        out["minutes"] = round(summary.total.minutes, 1)
        out["goal"] = {
            "daily_minutes": settings.goal.daily_minutes,
            "working_days": len(working),
            "days_met": sum(d.met for d in working),
            "days": [
                {
                    "date": d.day.isoformat(),
                    "minutes": round(d.minutes, 1),
                    "working": d.working,
                    "met": d.met,
                }
                for d in days
            ],
        }
        out["streak"] = {"current": streak.current, "longest": streak.longest}
        out["patterns"] = [
            {"hour": p.hour, "prompts": p.prompts, "snoozed": p.snoozed, "skipped": p.skipped}
            for p in patterns
        ]
        out["suggestion"] = hint
        print(json.dumps(out, indent=2))
        return 0
    print(stats.summary_text(summary, settings.schedule))
    print(_goal_line(days, settings, single=period is Period.DAY and not ns.since and not ns.until))
    print(_streak_line(streak))
    if hint:
        print(hint)
    return 0


def _offered(buckets: list[insight.Bucket]) -> list[insight.Bucket]:
    """The buckets less the prompts that came back after a snooze: one figure of prompts.

    A returning prompt is the same offered break, so the table's *prompted*, the patterns'
    prompts and the hint ("You skip 7 of 10 prompts at 10:00") all count each break once.
    """
    return [b for b in buckets if not (b.action is Action.PROMPTED and b.secondary)]


def _goal_line(days: tuple[insight.GoalDay, ...], settings: Settings, *, single: bool) -> str:
    goal = settings.goal.daily_minutes
    if single:
        if not days:
            return f"Goal: {goal} min of movement a working day."
        d = days[-1]
        state = "met" if d.met else "not met yet" if d.working else "a day off"
        return f"Moved {d.minutes:.0f} of {goal} min ({state})."
    working = [d for d in days if d.working]
    met = sum(d.met for d in working)
    return f"Goal of {goal} min met on {met} of {len(working)} working days."


def _streak_line(s: insight.Streaks) -> str:
    def days(n: int) -> str:
        return f"{n} working day" + ("" if n == 1 else "s")

    if s.longest == 0:
        return "Streak: none yet; every working day that meets the goal starts one."
    return f"Streak: {days(s.current)} in a row (longest {days(s.longest)})."


# --- report ------------------------------------------------------------------------------------


def cmd_report(ns: argparse.Namespace) -> int:
    """``report``: draw the week's or the month's chart to a PNG file."""
    from posturebreak.frontends import report

    period = Period.MONTH if ns.month else Period.WEEK
    out = _report_out(ns.out, period)
    settings = _settings()
    start, end = insight.period_bounds(
        period, ns.date or _today(settings.schedule), None, settings.schedule
    )
    with _open_store() as store:
        data = build_report(
            store, settings=settings, period=period, start=start, end=end, now=min(_now(), end)
        )
    try:
        report.save(data, str(out))
    except OSError as exc:
        raise _user_error(f"cannot write {out}: {exc.strerror or exc}", 1) from None
    print(f"Wrote {out}")
    return 0


def _report_out(given: Path | None, period: Period) -> Path:
    """Where the chart goes; a given path is checked before anything is read or created."""
    from posturebreak import paths

    if given is None:  # our own data folder, made on first use like the log
        data_dir = paths.resolve().data_dir
        try:
            paths.ensure_private_dir(data_dir)
        except OSError as exc:
            raise _user_error(f"cannot create {data_dir}: {exc.strerror or exc}", 1) from None
        return data_dir / f"report-{period.value}.png"
    if given.suffix.lower() != ".png":
        raise _user_error(f"{given} does not end in .png; the report is a PNG picture")
    check_out_path(given)
    return given


def build_report(
    store: EventStore | None,
    *,
    settings: Settings,
    period: Period,
    start: datetime,
    end: datetime,
    now: datetime,
) -> ReportData:
    """The figures for the chart of ``[start, end)`` as they stood at ``now``."""
    first, last = insight.span_days(start, end, settings.schedule, None)
    today = hours.work_day(settings.schedule, now, None)
    events = [] if store is None else store.iter_events(start, end)
    outcomes = insight.day_outcomes(events, first, last, None, settings)
    heat_from = stats.week_bounds(min(last, today) - timedelta(weeks=11), None)[0]
    upto = min(end, stats.day_bounds(today, None, settings.schedule)[1])
    history = _history(store, upto, settings.schedule)
    heat = {d: m for d, m in history.items() if d >= heat_from.date()}
    status = _plan_status(store, settings, now)
    days = insight.goal_days(history, first, min(last, today), settings)
    working = [d for d in days if d.working]
    moved = sum(o.moved for o in outcomes)
    streak = insight.streaks(history, min(last, today), settings)
    when = "this week" if period is Period.WEEK else "this month"
    if end <= stats.day_bounds(today, None, settings.schedule)[0] or start > now:
        when = "that week" if period is Period.WEEK else "that month"
    headline = (
        f"You moved {humanize(timedelta(minutes=moved))} {when} — the goal was met on"
        f" {sum(d.met for d in working)} of {len(working)} working days."
    )
    if streak.current:
        n = streak.current
        headline += f" Current streak: {n} working day{'' if n == 1 else 's'}."
    title = f"Week of {first:%d %b %Y}" if period is Period.WEEK else f"{first:%B %Y}"
    return ReportData(
        title=f"posturebreak · {title}",
        headline=headline,
        subline=status.headline() if settings.walking_plan.enabled else "Walking plan is off.",
        goal_minutes=float(settings.goal.daily_minutes),
        bars=tuple(DayBar.of(o) for o in outcomes),
        heat=heat,
        heat_last=min(last, today),
        plan=_plan_series(status, settings, min(last, today)),
        plan_cap=settings.walking_plan.cap.total_seconds() / 60,
    )


def _plan_events(store: EventStore | None, now: datetime) -> list[Event]:
    if store is None:
        return []
    walks = store.iter_events(now - walkplan.HISTORY, now, {BreakKind.WALK}, walkplan.RELEVANT)
    resets = store.iter_events(None, now, None, {Action.PLAN_RESET})
    # One stream in the log's order (each read is in it already): what happened first comes first.
    return sorted([*walks, *resets], key=lambda e: e.seq or 0)


def _plan_status(
    store: EventStore | None, settings: Settings, now: datetime
) -> walkplan.PlanStatus:
    return walkplan.current_target(settings, _plan_events(store, now), now, None)


def _plan_series(
    status: walkplan.PlanStatus, settings: Settings, last: date
) -> tuple[tuple[date, float], ...]:
    """The walk's target in force each week, up to the week holding ``last``."""
    start = settings.rule(BreakKind.WALK).duration
    during: dict[date, timedelta] = {}
    target = start
    for w in status.weeks:
        during[w.monday] = target
        target = w.target_after if settings.walking_plan.enabled else start
    this_monday = last - timedelta(days=last.weekday())
    during[this_monday] = status.target
    series = sorted((m, t.total_seconds() / 60) for m, t in during.items() if m <= this_monday)
    return tuple(series[-12:])


# --- import ------------------------------------------------------------------------------------


def cmd_import(ns: argparse.Namespace) -> int:
    """``import FILE``: merge another machine's export (JSON or CSV) into this log by event id.

    The file is read twice, in chunks: first every record is validated (and an id listed twice
    refuses the file), then the events are merged in one transaction, so a bad file changes
    nothing and a huge one never has to fit in memory.
    """
    from posturebreak.storage.eventio import ImportFormatError, check_events, read_events

    path: Path = ns.file
    try:
        with _open_export(path) as stream:
            total = check_events(stream, where=path.name)
        with _writable_store() as store, _open_export(path) as stream:
            added = store.merge(read_events(stream, where=path.name))
    except ImportFormatError as exc:
        raise _user_error(f"{exc}; nothing was imported") from None
    known = total - added
    print(
        f"Imported {added} new event{'' if added == 1 else 's'} from {path.name}"
        + (f" ({known} already in the log)." if known else ".")
    )
    return 0


@contextmanager
def _open_export(path: Path) -> Iterator[TextIO]:
    """``path`` open for reading as UTF-8 text, or the one-line error saying why it cannot be."""
    try:
        stream = path.open(encoding="utf-8", newline="")
    except FileNotFoundError:
        raise _user_error(
            f"{path} does not exist; give the file `posturebreak export` wrote"
        ) from None
    except IsADirectoryError:
        raise _user_error(
            f"{path} is a folder; give the file `posturebreak export` wrote"
        ) from None
    except OSError as exc:
        raise _user_error(f"cannot read {path}: {exc.strerror or exc}", 1) from None
    with stream:
        try:
            yield stream
        except OSError as exc:  # e.g. the disk went away halfway through
            raise _user_error(f"cannot read {path}: {exc.strerror or exc}", 1) from None


# --- walk-plan ---------------------------------------------------------------------------------


def cmd_walk_plan(ns: argparse.Namespace) -> int:
    """``walk-plan [status|reset]``: where the progressive walking plan stands, or restart it."""
    settings = _settings()
    now = _now()
    if ns.action == "reset":
        with _writable_store() as store:
            store.append(Event.new(now, None, Action.PLAN_RESET, detail="cli"))
        start = settings.rule(BreakKind.WALK).duration
        print(f"Walking plan reset: the walk is back to {humanize(start)}.")
        return 0
    with _open_store() as store:
        status = _plan_status(store, settings, now)
    if ns.json:
        print(json.dumps(_plan_json(status, settings), indent=2))
        return 0
    if not settings.walking_plan.enabled:
        print(f"The walking plan is off; walks last {humanize(status.target)}.")
        print("Turn it on with `enabled = true` under [walking_plan] in the config file.")
        return 0
    print(status.headline())
    if not status.weeks:
        print("No finished week with walk prompts yet; the plan starts after your first week.")
    for w in status.weeks[-8:]:
        share = (
            "no walks offered" if w.share is None else f"{w.taken} of {w.offered} ({w.share:.0%})"
        )
        print(f"  week of {w.monday:%d %b %Y}: {share:<20} -> {humanize(w.target_after)}")
    return 0


def _plan_json(status: walkplan.PlanStatus, settings: Settings) -> dict[str, object]:
    return {
        "enabled": settings.walking_plan.enabled,
        "target_s": round(status.target.total_seconds()),
        "last_week_s": round(status.last_week.total_seconds()),
        "headline": status.headline(),
        "weeks": [
            {
                "monday": w.monday.isoformat(),
                "offered": w.offered,
                "taken": w.taken,
                "target_after_s": round(w.target_after.total_seconds()),
            }
            for w in status.weeks
        ],
    }
