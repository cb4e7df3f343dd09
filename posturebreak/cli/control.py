"""The subcommands that talk to the running app over the control channel.

status, break, snooze, skip, pause, resume and quit: each sends one request and prints the
app's one-line answer. With no app running they say so in one line and exit 1.
"""

from __future__ import annotations

import argparse
import json

from posturebreak import paths
from posturebreak.cli.args import UserError


def _ask(payload: dict[str, object]) -> dict[str, object]:
    from posturebreak.control.client import ask
    from posturebreak.control.errors import ControlError, NotRunning

    try:
        return ask(paths.resolve(), payload)
    except (NotRunning, ControlError) as exc:
        raise UserError(str(exc), code=1) from None


def _control(cmd: str, **args: str) -> int:
    reply = _ask({"cmd": cmd, "args": args})
    if not reply.get("ok"):
        raise UserError(str(reply.get("error", "the app refused")), code=1)
    print(reply.get("message", "Done."))
    return 0


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
    """Snooze the open prompt (for the first snooze choice unless told how long)."""
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
    raise UserError(
        "pause: expected a duration (30m), `until HH:MM` or `until tomorrow`, "
        f"not {' '.join(words)!r}"
    )


def cmd_resume(_ns: argparse.Namespace) -> int:
    """End a pause."""
    return _control("resume")


def cmd_quit(_ns: argparse.Namespace) -> int:
    """Stop the running app."""
    return _control("quit")
