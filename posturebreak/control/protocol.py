"""The control channel's language: JSON requests to commands, status to JSON. Pure.

Requests are ``{"cmd": NAME, "args": {...}}``; see ``parse_request`` for the names.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from posturebreak.config import parse_duration
from posturebreak.core import hours
from posturebreak.core.commands import (
    Command,
    FinishBreak,
    PauseFor,
    PauseUntil,
    PauseUntilTomorrow,
    Resume,
    Skip,
    Snooze,
    StartBreak,
    TakeBreak,
)
from posturebreak.core.domain import BreakKind, format_duration, humanize
from posturebreak.core.effects import StatusView
from posturebreak.core.policy_state import Context


class RequestError(ValueError):
    """A request the app cannot understand; the message is for the user."""


class Special(enum.Enum):
    """Requests that are not policy commands."""

    STATUS = "status"
    QUIT = "quit"


STATUS = Special.STATUS
QUIT = Special.QUIT

Request = Command | Special


def _arg(args: Mapping[str, object], key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f"argument {key!r} must be text")
    return value


def parse_request(obj: Mapping[str, object], ctx: Context, now: datetime) -> Request:
    """The command a control request asks for; ``RequestError`` if it makes no sense."""
    cmd = obj.get("cmd")
    raw_args = obj.get("args", {})
    if not isinstance(cmd, str) or not isinstance(raw_args, Mapping):
        raise RequestError('a request is {"cmd": NAME, "args": {...}}')
    args: Mapping[str, object] = raw_args
    simple: dict[str, Request] = {
        "status": STATUS,
        "quit": QUIT,
        "skip": Skip(),
        "resume": Resume(),
        "start": StartBreak(),
        "done": FinishBreak(),
    }
    if cmd in simple:
        return simple[cmd]
    try:
        if cmd == "break":
            return TakeBreak(BreakKind.parse(_arg(args, "kind") or ""))
        if cmd == "snooze":
            span = _arg(args, "for")
            return Snooze(parse_duration(span) if span else None)
        if cmd == "pause":
            return _pause(args, ctx, now)
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    raise RequestError(f"unknown command {cmd!r}")


def _pause(args: Mapping[str, object], ctx: Context, now: datetime) -> Command:
    span = _arg(args, "for")
    until = _arg(args, "until")
    if span:
        return PauseFor(parse_duration(span))
    if until == "tomorrow":
        return PauseUntilTomorrow()
    if until:
        try:
            wall = time.fromisoformat(until)
        except ValueError:
            raise RequestError(f"pause until {until!r}: expected HH:MM or 'tomorrow'") from None
        day = hours.local_date(now, ctx.tz)
        at = hours.local_instant(day, wall, ctx.tz)
        if at <= now:
            at = hours.local_instant(day + timedelta(days=1), wall, ctx.tz)
        return PauseUntil(at)
    raise RequestError("pause needs a duration (30m, 1h) or 'until HH:MM' or 'until tomorrow'")


def describe(command: Command | None, ctx: Context, view: StatusView | None) -> str:
    """A short confirmation for the CLI: "Snoozed the stand break for 10 min.", ....

    ``view`` is the status after the command was carried out (it names the snoozed break);
    a snooze without a span lasts the first snooze choice of ``ctx.settings``.
    """
    if isinstance(command, TakeBreak):
        return f"{command.kind.label} break started."
    if isinstance(command, StartBreak):
        return "Break started."
    if isinstance(command, Snooze):
        return _snoozed(command, ctx, view)
    if isinstance(command, Skip):
        return "Skipped."
    if isinstance(command, Resume):
        return "Reminders resumed."
    if isinstance(command, PauseFor | PauseUntil | PauseUntilTomorrow):
        return "Reminders paused."
    if isinstance(command, FinishBreak):
        return "Break finished."
    return "Done."


def _snoozed(command: Snooze, ctx: Context, view: StatusView | None) -> str:
    # The same default as the policy's: the config always holds at least one snooze choice.
    span = command.span if command.span is not None else ctx.settings.prompt.snooze[0]
    kind = view.active_kind if view is not None else None
    what = f"the {kind.value} break" if kind is not None else "the break"
    return f"Snoozed {what} for {humanize(span)}."


@functools.cache
def package_version() -> str:
    """The installed package's version (its metadata, which pyproject.toml's version fills)."""
    from importlib import metadata

    try:
        return metadata.version("posturebreak")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def _iso(at: datetime | None) -> str | None:
    return at.astimezone().isoformat(timespec="seconds") if at is not None else None


def status_json(view: StatusView) -> dict[str, object]:
    """``status --json``: ``{"state", "next": {"kind", "at"}, "paused_until", ..., "version"}``."""
    nxt: dict[str, object] | None = None
    if view.next_at is not None:
        kind = view.next_kind or view.active_kind
        nxt = {"kind": kind.value if kind else None, "at": _iso(view.next_at)}
    return {
        "state": view.mode.value,
        "headline": view.headline(),
        "next": nxt,
        "paused_until": _iso(view.paused_until),
        "active": view.active_kind.value if view.active_kind else None,
        "snoozes_left": view.snoozes_left,
        "snooze_choices": [format_duration(s) for s in view.snooze_choices],
        "today": {"taken": view.taken_today, "offered": view.prompted_today},
        "notice": view.notice,
        "version": package_version(),
    }
