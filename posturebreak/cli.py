"""The ``posturebreak`` command: ``main(argv) -> int``, one small function per subcommand.

Commands that talk to the running app go through the control channel; commands that read
the log open it themselves (no running app needed). Every user mistake is one line on
stderr and a non-zero exit: 2 for bad input or config, 1 for "cannot do that now".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from posturebreak import config, hours, paths, stats
from posturebreak.cli_args import (
    COMMAND,
    Parser,
    ShowVersion,
    UserError,
    check_out_path,
    iso_date,
    one_of,
)
from posturebreak.cli_control import (
    cmd_break,
    cmd_pause,
    cmd_quit,
    cmd_resume,
    cmd_skip,
    cmd_snooze,
    cmd_status,
)
from posturebreak.cli_setup import cmd_autostart, cmd_config
from posturebreak.clock import SystemClock
from posturebreak.domain import BreakKind, Event
from posturebreak.settings import Settings

Handler = Callable[[argparse.Namespace], int]
__all__ = ["UserError", "build_parser", "main", "main_entry"]


def _paths() -> paths.Paths:
    return paths.resolve()


def _settings() -> Settings:
    p = _paths()
    try:
        return config.load_or_create(p.config_file)[0]
    except config.ConfigError as exc:
        raise UserError(f"{exc}; fix the file, then `posturebreak config check`") from None


def _local_midnight(day: date) -> datetime:
    return stats.day_bounds(day, None)[0]


def _open_log_events(since: datetime | None = None, until: datetime | None = None) -> list[Event]:
    from posturebreak.spool import read_pending
    from posturebreak.store import EventStore, StoreError

    p = _paths()
    events: list[Event] = []
    if p.db_file.exists():
        try:
            store, moved = EventStore.open(p.db_file)
        except StoreError as exc:
            raise UserError(str(exc), code=1) from None
        if moved is not None:
            print(_moved_message(moved), file=sys.stderr)
        with store:
            events = store.events(since=since, until=until)
    # Answers the app made durable in the spool while the log refused writes are part of the
    # log as far as the person is concerned: shown after it, as they will be merged.
    logged = {e.id for e in events}
    waiting = [
        e
        for e in read_pending(p.spool_file)
        if e.id not in logged
        and (since is None or e.at >= since)
        and (until is None or e.at < until)
    ]
    if waiting:
        print(
            f"posturebreak: {len(waiting)} event(s) wait in {p.spool_file} (the log was locked"
            " or its disk full); listed last, they join the log once it takes writes again.",
            file=sys.stderr,
        )
    return events + waiting


def _moved_message(moved: object) -> str:
    original = getattr(moved, "original", "?")
    to = getattr(moved, "moved_to", "?")
    reason = getattr(moved, "reason", "")
    return (
        f"The log {original} could not be read ({reason}); "
        f"it was kept as {to} and a new log started."
    )


# --- subcommands (those that talk to the app: cli_control; config, autostart: cli_setup) ---


def cmd_run(ns: argparse.Namespace) -> int:
    """Start the app (tray, or the console with --console or no display)."""
    from posturebreak.app import run

    return run(console=ns.console)


def cmd_plan(ns: argparse.Namespace) -> int:
    """Show the day's reminders as configured."""
    from posturebreak.planner import plan_day  # lazily: `run` never plans a day

    settings = _settings()
    # The working day: at 03:00 in a Monday night shift, the plan is Monday's.
    day = ns.date or hours.work_day(settings.schedule, SystemClock().now(), None)
    planned = plan_day(settings, day, None)
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
    from posturebreak.domain import humanize

    return humanize(span)


def cmd_log(ns: argparse.Namespace) -> int:
    """Print the log."""
    from posturebreak import eventio  # lazily: `run` never formats the log

    since = _local_midnight(ns.since) if ns.since else None
    until = _local_midnight(ns.until + timedelta(days=1)) if ns.until else None
    events = _open_log_events(since, until)
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
    from posturebreak.cli_insight import run_stats

    return run_stats(ns)


def cmd_export(ns: argparse.Namespace) -> int:
    """Write the whole log as CSV or JSON."""
    from posturebreak import eventio

    to_stdout = ns.out is None or str(ns.out) == "-"
    if not to_stdout:
        check_out_path(ns.out)
    events = _open_log_events()
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
    from posturebreak.cli_insight import cmd_report as report  # lazily: Pillow work, charts

    return report(ns)


def cmd_import(ns: argparse.Namespace) -> int:
    """Merge another machine's export into the log."""
    from posturebreak.cli_insight import cmd_import as merge

    return merge(ns)


def cmd_walk_plan(ns: argparse.Namespace) -> int:
    """Where the walking plan stands, or restart it."""
    from posturebreak.cli_insight import cmd_walk_plan as walk_plan

    return walk_plan(ns)


# --- parser -----------------------------------------------------------------------------

Add = Callable[..., argparse.ArgumentParser]
KINDS = tuple(k.value for k in BreakKind)


def _choice(p: argparse.ArgumentParser, name: str, noun: str, options: Sequence[str]) -> None:
    """A positional that is one of ``options``; a wrong word names what is expected."""
    p.add_argument(name, type=one_of(noun, options), choices=options)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one subparser per command, one-line usage errors (``Parser``)."""
    parser = Parser(
        prog="posturebreak",
        description="Reminds you to stand, stretch and walk, and keeps an honest log.",
    )
    parser.add_argument("--version", action=ShowVersion)
    sub = parser.add_subparsers(dest="command", metavar=COMMAND)

    def add(
        name: str, func: Handler, help_text: str, aliases: Sequence[str] = ()
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text, aliases=aliases, command=name
        )
        p.set_defaults(func=func)
        return p

    _add_app_commands(add)
    _add_log_commands(add)
    _add_insight_commands(add)
    _add_setup_commands(add)
    return parser


def _add_app_commands(add: Add) -> None:
    """run, and the commands that talk to the running app."""
    run = add("run", cmd_run, "start the app (the default)")
    run.add_argument("--console", action="store_true", help="prompts in this terminal, no tray")
    add("status", cmd_status, "what the running app is doing").add_argument(
        "--json", action="store_true"
    )
    _choice(add("break", cmd_break, "take a break now"), "kind", "a break kind", KINDS)
    add("snooze", cmd_snooze, "snooze the open prompt").add_argument(
        "duration", nargs="?", help="e.g. 10m (default: the first snooze choice)"
    )
    add("skip", cmd_skip, "skip the open prompt, or the next break")
    pause = add("pause", cmd_pause, "pause reminders: 30m | until 14:30 | until tomorrow")
    pause.add_argument("spec", nargs="+", metavar="DURATION|until TIME")
    add("resume", cmd_resume, "end a pause")
    add("quit", cmd_quit, "stop the running app")


def _add_log_commands(add: Add) -> None:
    """plan, log, stats and export: they read the config and the log, no app needed."""
    plan = add("plan", cmd_plan, "the day's reminders as configured")
    plan.add_argument("--date", type=iso_date, metavar="YYYY-MM-DD")
    plan.add_argument("--json", action="store_true")
    log = add("log", cmd_log, "the log of prompts and breaks")
    log.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD")
    log.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD")
    log.add_argument("--json", action="store_true")
    st = add("stats", cmd_stats, "figures for a day, a week or a range")
    which = st.add_mutually_exclusive_group()
    which.add_argument("--day", type=iso_date, metavar="YYYY-MM-DD")
    which.add_argument("--week", action="store_true")
    which.add_argument("--month", action="store_true")
    st.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD")
    st.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD")
    st.add_argument("--json", action="store_true")
    ex = add("export", cmd_export, "the whole log as CSV or JSON")
    formats = ("csv", "json")
    ex.add_argument("--format", type=one_of("a format", formats), choices=formats, default="json")
    ex.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")


def _add_insight_commands(add: Add) -> None:
    """report, import and walk-plan (their work is in cli_insight, loaded when they run)."""
    rep = add("report", cmd_report, "draw the week or the month as a PNG chart")
    which = rep.add_mutually_exclusive_group()
    which.add_argument("--week", action="store_true", help="the week (the default)")
    which.add_argument("--month", action="store_true", help="the calendar month")
    rep.add_argument(
        "--date", type=iso_date, metavar="YYYY-MM-DD", help="any day in the period (default: today)"
    )
    rep.add_argument("--out", type=Path, metavar="FILE.png", help="where to write the picture")
    imp = add("import", cmd_import, "merge another machine's export (JSON or CSV) into the log")
    imp.add_argument("file", type=Path, metavar="FILE")
    walk = add(
        "walk-plan",
        cmd_walk_plan,
        "the progressive walking plan: status, or reset",
        aliases=("plan-walk",),
    )
    actions = ("status", "reset")
    walk.add_argument(
        "action",
        nargs="?",
        type=one_of("a walk-plan action", actions),
        choices=actions,
        default="status",
    )
    walk.add_argument("--json", action="store_true")


def _add_setup_commands(add: Add) -> None:
    """The config file and autostart."""
    config_actions = ("path", "dirs", "check", "edit")
    add("config", cmd_config, "the config file").add_argument(
        "action",
        type=one_of("a config action", config_actions),
        choices=config_actions,
        help="path: the config file; dirs: every directory with our files; check; edit",
    )
    _choice(
        add("autostart", cmd_autostart, "start at login"),
        "action",
        "an autostart action",
        ("on", "off", "status"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    # `posturebreak --console` is `posturebreak run --console`; the top level's own options
    # (help, version) are not run's.
    if not args or (args[0].startswith("-") and args[0] not in {"-h", "--help", "--version"}):
        args = ["run", *args]
    ns = _parse(args)
    if isinstance(ns, int):
        return ns
    try:
        result: int = ns.func(ns)
    except UserError as exc:
        print(f"posturebreak: {exc}", file=sys.stderr)
        return exc.code
    except config.ConfigError as exc:
        print(f"posturebreak: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return result


def _parse(args: list[str]) -> argparse.Namespace | int:
    """The parsed command line, or the exit status when argparse already answered.

    A function of its own so the parser (every subcommand's arguments and help) is freed
    before the command runs: ``run`` keeps this frame's caller alive all day.
    """
    try:
        return build_parser().parse_args(args)
    except UserError as exc:  # a usage error: one line (Parser), exit 2
        print(f"posturebreak: {exc}", file=sys.stderr)
        return exc.code
    except SystemExit as exc:  # argparse printed the help (or --version its line)
        return int(exc.code or 0)


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
