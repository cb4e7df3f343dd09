"""plan, log, stats and export: they read the config and the log themselves, no app needed."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from posturebreak.cli.args import UserError, check_out_path
from posturebreak.cli.common import local_midnight, log_events, settings


def cmd_plan(ns: argparse.Namespace) -> int:
    """Show the day's reminders as configured."""
    from posturebreak.clock import SystemClock
    from posturebreak.core import hours
    from posturebreak.core.planner import plan_day

    conf = settings()
    # The working day: at 03:00 in a Monday night shift, the plan is Monday's.
    day = ns.date or hours.work_day(conf.schedule, SystemClock().now(), None)
    planned = plan_day(conf, day, None)
    if ns.json:
        breaks = [
            {
                "at": b.at.astimezone().isoformat(timespec="seconds"),
                "kind": b.kind.value,
                "duration_s": round(b.duration.total_seconds()),
            }
            for b in planned
        ]
        print(json.dumps({"date": day.isoformat(), "breaks": breaks}, indent=2))
        return 0
    if not planned:
        print(f"{day:%a %d %b}: no breaks (not a working day, or every kind is off).")
        return 0
    print(f"{day:%a %d %b %Y}: {len(planned)} breaks")
    for b in planned:
        print(f"  {b.at.astimezone():%H:%M}  {b.kind.label:<8} {_mins(b.duration)}")
    return 0


def _mins(span: timedelta) -> str:
    from posturebreak.core.domain import humanize

    return humanize(span)


def cmd_log(ns: argparse.Namespace) -> int:
    """Print the log."""
    from posturebreak.storage import eventio  # lazily: `run` never formats the log

    since = local_midnight(ns.since) if ns.since else None
    until = local_midnight(ns.until + timedelta(days=1)) if ns.until else None
    events = log_events(since, until)
    if ns.json:
        print(eventio.to_json(events))
        return 0
    if not events:
        print("The log is empty for that period.")
    for e in events:
        kind = e.kind.value if e.kind else "-"
        dur = f"{e.duration_s / 60:5.1f} min" if e.duration_s is not None else ""
        when = e.at.astimezone()
        print(f"{when:%Y-%m-%d %H:%M:%S}  {kind:<8} {e.action.value:<11} {dur:>9}  {e.detail}")
    return 0


def cmd_stats(ns: argparse.Namespace) -> int:
    """Print figures for a day, a week, a month or a range, with goal, streaks and patterns."""
    from posturebreak.cli.insight import run_stats

    return run_stats(ns)


def cmd_export(ns: argparse.Namespace) -> int:
    """Write the whole log as CSV or JSON."""
    from posturebreak.storage import eventio

    to_stdout = ns.out is None or str(ns.out) == "-"
    if not to_stdout:
        check_out_path(ns.out)
    events = log_events()
    text = eventio.to_csv(events) if ns.format == "csv" else eventio.to_json(events)
    if to_stdout:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    try:
        Path(ns.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {ns.out}: {exc.strerror}", code=1) from None
    print(f"Wrote {len(events)} events to {ns.out}")
    return 0


def cmd_report(ns: argparse.Namespace) -> int:
    """Draw the week's or the month's chart to a PNG file."""
    from posturebreak.cli.insight import cmd_report as report  # Pillow work, charts

    return report(ns)


def cmd_import(ns: argparse.Namespace) -> int:
    """Merge another machine's export into the log."""
    from posturebreak.cli.insight import cmd_import as merge

    return merge(ns)


def cmd_walk_plan(ns: argparse.Namespace) -> int:
    """Where the walking plan stands, or restart it."""
    from posturebreak.cli.insight import cmd_walk_plan as walk_plan

    return walk_plan(ns)
