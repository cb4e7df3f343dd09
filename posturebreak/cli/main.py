"""The ``posturebreak`` command: ``main(argv) -> int``, one small function per subcommand.

Commands that talk to the running app go through the control channel; commands that read
the log open it themselves (no running app needed). Every user mistake is one line on
stderr and a non-zero exit: 2 for bad input or config, 1 for "cannot do that now".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from posturebreak.cli.args import COMMAND, Parser, ShowVersion, UserError, iso_date, one_of
from posturebreak.cli.control import (
    cmd_break,
    cmd_pause,
    cmd_quit,
    cmd_resume,
    cmd_skip,
    cmd_snooze,
    cmd_status,
)
from posturebreak.cli.log import (
    cmd_export,
    cmd_import,
    cmd_log,
    cmd_plan,
    cmd_report,
    cmd_stats,
    cmd_walk_plan,
)
from posturebreak.cli.setup import cmd_autostart, cmd_config
from posturebreak.core.domain import BreakKind

Handler = Callable[[argparse.Namespace], int]
__all__ = ["UserError", "build_parser", "main", "main_entry"]


# --- subcommands (app: control; plan/log/stats/export/report/...: log; config: setup) ---


def cmd_run(ns: argparse.Namespace) -> int:
    """Start the app (tray, or the console with --console or no display)."""
    from posturebreak.app.start import run

    return run(console=ns.console)


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
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if not _is_config_error(exc):
            raise
        print(f"posturebreak: {exc}", file=sys.stderr)
        return 2
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


def _is_config_error(exc: Exception) -> bool:
    """Whether ``exc`` is a broken config (one line, exit 2).

    The config module is loaded only by the commands that read the settings, so a client
    command like ``status`` does not pay for it; when it is not loaded, nothing raised it.
    """
    config = sys.modules.get("posturebreak.config")
    return config is not None and isinstance(exc, config.ConfigError)


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
