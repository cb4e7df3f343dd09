"""The ``posturebreak`` command: ``main(argv) -> int``, one small function per subcommand.

Commands that talk to the running app go through the control channel; commands that read
the log open it themselves (no running app needed). Every user mistake is one line on
stderr and a non-zero exit: 2 for bad input or config, 1 for "cannot do that now".
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from posturebreak import config, paths, stats
from posturebreak.clock import local_today
from posturebreak.domain import Event
from posturebreak.settings import Settings

Handler = Callable[[argparse.Namespace], int]


class UserError(Exception):
    """A mistake the user can fix; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _paths() -> paths.Paths:
    return paths.resolve()


def _settings() -> Settings:
    p = _paths()
    try:
        return config.load_or_create(p.config_file)[0]
    except config.ConfigError as exc:
        raise UserError(
            f"{exc}\nFix the file, or check it with `posturebreak config check`."
        ) from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def _local_midnight(day: date) -> datetime:
    return stats.day_bounds(day, None)[0]


def _open_log_events(since: datetime | None = None, until: datetime | None = None) -> list[Event]:
    from posturebreak.store import EventStore, StoreError

    p = _paths()
    if not p.db_file.exists():
        return []
    try:
        store, moved = EventStore.open(p.db_file)
    except StoreError as exc:
        raise UserError(str(exc), code=1) from None
    if moved is not None:
        print(_moved_message(moved), file=sys.stderr)
    with store:
        return store.events(since=since, until=until)


def _moved_message(moved: object) -> str:
    original = getattr(moved, "original", "?")
    to = getattr(moved, "moved_to", "?")
    reason = getattr(moved, "reason", "")
    return (
        f"The log {original} could not be read ({reason}); "
        f"it was kept as {to} and a new log started."
    )


def _ask(payload: dict[str, object]) -> dict[str, object]:
    from posturebreak.control import ControlError, NotRunning, request

    try:
        return request(_paths(), payload)
    except NotRunning as exc:
        raise UserError(str(exc), code=1) from None
    except ControlError as exc:
        raise UserError(str(exc), code=1) from None


def _control(cmd: str, **args: str) -> int:
    reply = _ask({"cmd": cmd, "args": args})
    if not reply.get("ok"):
        raise UserError(str(reply.get("error", "the app refused")), code=1)
    print(reply.get("message", "Done."))
    return 0


# --- subcommands ------------------------------------------------------------------------


def cmd_run(ns: argparse.Namespace) -> int:
    """Start the app (tray, or the console with --console or no display)."""
    from posturebreak.app import run

    return run(console=ns.console)


def cmd_status(ns: argparse.Namespace) -> int:
    """Show what the running app is doing."""
    reply = _ask({"cmd": "status", "args": {}})
    status = reply.get("status", {})
    if ns.json:
        print(json.dumps(status, indent=2))
        return 0
    if not isinstance(status, dict):
        raise UserError("the app sent a status that makes no sense", code=1)
    print(status.get("headline", ""))
    today = status.get("today", {})
    if isinstance(today, dict):
        print(f"Today: {today.get('taken', 0)} of {today.get('offered', 0)} breaks taken")
    if status.get("notice"):
        print(status["notice"])
    return 0


def cmd_break(ns: argparse.Namespace) -> int:
    """Take a break now."""
    return _control("break", kind=ns.kind)


def cmd_snooze(ns: argparse.Namespace) -> int:
    """Snooze the open prompt."""
    return _control("snooze", **({"for": ns.duration} if ns.duration else {}))


def cmd_skip(_ns: argparse.Namespace) -> int:
    """Skip the open prompt or the next break."""
    return _control("skip")


def cmd_pause(ns: argparse.Namespace) -> int:
    """Pause reminders for a while or until a time."""
    words = ns.spec
    if len(words) == 2 and words[0] == "until":
        return _control("pause", until=words[1])
    if len(words) == 1 and words[0] != "until":
        return _control("pause", **{"for": words[0]})
    raise UserError("usage: posturebreak pause DURATION | pause until HH:MM | pause until tomorrow")


def cmd_resume(_ns: argparse.Namespace) -> int:
    """End a pause."""
    return _control("resume")


def cmd_quit(_ns: argparse.Namespace) -> int:
    """Stop the running app."""
    return _control("quit")


def cmd_plan(ns: argparse.Namespace) -> int:
    """Show the day's reminders as configured."""
    from posturebreak.planner import plan_day  # lazily: `run` never plans a day

    settings = _settings()
    day = ns.date or local_today()
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

    events = _open_log_events()
    text = eventio.to_csv(events) if ns.format == "csv" else eventio.to_json(events)
    if ns.out is None or str(ns.out) == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    try:
        Path(ns.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {ns.out}: {exc.strerror}", code=1) from None
    print(f"Wrote {len(events)} events to {ns.out}")
    return 0


def cmd_config(ns: argparse.Namespace) -> int:
    """Config file: path, dirs, check, edit."""
    where = _paths()
    p = where.config_file
    if ns.action == "path":
        print(p)
        return 0
    if ns.action == "dirs":
        # Every directory that holds our files, one per line, for the README's purge line.
        seen = dict.fromkeys([p.parent, where.data_dir, where.runtime_dir])
        print("\n".join(str(d) for d in seen))
        return 0
    if ns.action == "check":
        if not p.exists():
            print(f"{p} does not exist yet; the defaults are in use (it is created on first run).")
            return 0
        config.load_settings(p)
        print(f"{p} is valid.")
        return 0
    _settings()  # creates the file on first use
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if editor:
        argv = [*shlex.split(editor), str(p)]
    elif sys.platform == "darwin":
        argv = ["open", "-t", str(p)]
    elif sys.platform == "win32":
        argv = ["notepad", str(p)]
    else:
        argv = ["xdg-open", str(p)]
    try:
        return subprocess.call(argv)
    except OSError:
        raise UserError(
            f"could not start an editor ({argv[0]}); set $EDITOR or open {p}", 1
        ) from None


def cmd_autostart(ns: argparse.Namespace) -> int:
    """Start posturebreak at login: on, off, status."""
    from posturebreak.desktop import autostart

    try:
        entry = {"on": autostart.enable, "off": autostart.disable, "status": autostart.status}[
            ns.action
        ]()
    except autostart.AutostartError as exc:
        raise UserError(str(exc), code=1) from None
    print(entry.describe())
    return 0


# --- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one subparser per command)."""
    parser = argparse.ArgumentParser(
        prog="posturebreak",
        description="Reminds you to stand, stretch and walk, and keeps an honest log.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    run = add("run", cmd_run, "start the app (the default)")
    run.add_argument("--console", action="store_true", help="prompts in this terminal, no tray")
    add("status", cmd_status, "what the running app is doing").add_argument(
        "--json", action="store_true"
    )
    add("break", cmd_break, "take a break now").add_argument(
        "kind", choices=["stand", "stretch", "walk"]
    )
    add("snooze", cmd_snooze, "snooze the open prompt").add_argument("duration", nargs="?")
    add("skip", cmd_skip, "skip the open prompt, or the next break")
    pause = add("pause", cmd_pause, "pause reminders: 30m | until 14:30 | until tomorrow")
    pause.add_argument("spec", nargs="+", metavar="DURATION|until TIME")
    add("resume", cmd_resume, "end a pause")
    add("quit", cmd_quit, "stop the running app")
    plan = add("plan", cmd_plan, "the day's reminders as configured")
    plan.add_argument("--date", type=_date)
    plan.add_argument("--json", action="store_true")
    log = add("log", cmd_log, "the log of prompts and breaks")
    log.add_argument("--since", type=_date)
    log.add_argument("--until", type=_date)
    log.add_argument("--json", action="store_true")
    st = add("stats", cmd_stats, "figures for a day, a week or a range")
    which = st.add_mutually_exclusive_group()
    which.add_argument("--day", type=_date)
    which.add_argument("--week", action="store_true")
    which.add_argument("--month", action="store_true")
    st.add_argument("--since", type=_date)
    st.add_argument("--until", type=_date)
    st.add_argument("--json", action="store_true")
    ex = add("export", cmd_export, "the whole log as CSV or JSON")
    ex.add_argument("--format", choices=["csv", "json"], default="json")
    ex.add_argument("--out", type=Path)
    add("config", cmd_config, "the config file").add_argument(
        "action",
        choices=["path", "dirs", "check", "edit"],
        help="path: the config file; dirs: every directory with our files; check; edit",
    )
    add("autostart", cmd_autostart, "start at login").add_argument(
        "action", choices=["on", "off", "status"]
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in {"-h", "--help"}):
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
    except SystemExit as exc:  # argparse already printed the usage line (or the help)
        return int(exc.code or 0)


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
