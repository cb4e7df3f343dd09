"""The config file: TOML text in, validated ``Settings`` out, and the commented default file.

Every problem a person can make in the file becomes one ``ConfigError`` whose text is a single
line naming the file, the line (where known), the key, the bad value and what is expected.
Pure parsing and validation, standard library only; the only I/O is ``load_settings`` and
``load_or_create``.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from posturebreak.config_text import BREAK_KEYS, SECTIONS, default_config_text, settings_to_text
from posturebreak.core.domain import BreakKind, format_duration
from posturebreak.core.settings import (
    WEEKDAYS,
    BreakRule,
    DndSettings,
    GoalSettings,
    IdleProbeName,
    IdleSettings,
    PromptSettings,
    Schedule,
    Settings,
    TimeRange,
    TrayBackend,
    TraySettings,
    WalkingPlan,
)
from posturebreak.paths import ensure_private_dir

__all__ = [
    "ConfigError",
    "Settings",
    "default_config_text",
    "load_or_create",
    "load_settings",
    "parse_duration",
    "parse_settings",
    "settings_to_text",
]

if sys.version_info < (3, 11):
    import tomli as tomllib
else:
    import tomllib

_T = TypeVar("_T")
_E = TypeVar("_E", bound=enum.Enum)
_Key = tuple[str, ...]

# A config file is a few kilobytes; anything this big was opened by mistake.
_MAX_BYTES = 1_000_000
# Keeps every timer value far from timedelta's limits and from absurd schedules.
_MAX_DURATION = timedelta(days=7)
_DURATION = re.compile(
    r"\s*(?:([0-9]{1,9})\s*h)?\s*(?:([0-9]{1,9})\s*m)?\s*(?:([0-9]{1,9})\s*s)?\s*", re.IGNORECASE
)
_RANGE = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DURATION_HINT = "a duration like 90s, 5m or 1h30m"


class ConfigError(Exception):
    """A problem with the config file, told in one line.

    Attributes:
        path: The file, or ``None`` when the text did not come from a file.
        key: The setting as the file shows it (``[breaks.walk] every``), if one is to blame.
        line: The 1-based line number, where it is known.
        value: The offending value as written (``'2x'``), if any.
        expected: What is wrong or what the value should be.
        unknown: The key is not one posturebreak knows (``expected`` then suggests one).
    """

    def __init__(
        self,
        expected: str,
        *,
        path: Path | None = None,
        key: str | None = None,
        line: int | None = None,
        value: str | None = None,
        unknown: bool = False,
    ) -> None:
        super().__init__(expected)
        self.path = path
        self.key = key
        self.line = line
        self.value = value
        self.expected = expected
        self.unknown = unknown

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "config"
        if self.line is not None:
            where += f":{self.line}"
        if self.key is None:
            text = f"{where}: {self.expected}"
        elif self.unknown:
            what = "section" if self.key.startswith("[") and self.key.endswith("]") else "key"
            text = f"{where}: unknown {what} {self.key} — {self.expected}"
        elif self.value is None:
            text = f"{where}: {self.key}: {self.expected}"
        else:
            text = f"{where}: {self.key} = {self.value}: {self.expected}"
        # Paths, keys and values can hold newlines; the message must stay on one line.
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _InvalidError(Exception):
    """A validation failure; ``parse_settings`` adds the file and line to make a ConfigError."""

    def __init__(
        self, key: _Key, expected: str, value: object = None, *, unknown: bool = False
    ) -> None:
        super().__init__(expected)
        self.key = key
        self.expected = expected
        self.value = value
        self.unknown = unknown


class _ExpectedError(ValueError):
    """Raised by a converter: its message says what the value should have been."""


def parse_duration(text: str) -> timedelta:
    """A duration such as ``90s``, ``5m``, ``1h30m``, ``2h`` or ``0s``.

    Raises:
        ValueError: ``text`` is not such a duration, is negative, or is longer than 7 days.
    """
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        if text.strip().startswith("-"):
            raise ValueError(f"{text!r}: a duration cannot be negative")
        raise ValueError(f"{text!r} is not {_DURATION_HINT}")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    span = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if span > _MAX_DURATION:
        raise ValueError(f"{text!r} is too long (at most {format_duration(_MAX_DURATION)})")
    return span


# --- converters: object from TOML -> typed value, or _ExpectedError ----------------------------


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _ExpectedError("expected true or false")
    return value


def _whole(low: int, high: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _ExpectedError(f"expected a whole number from {low} to {high}")
        return value

    return convert


def _share(*, zero_ok: bool, one_ok: bool) -> Callable[[object], float]:
    low = "at least 0" if zero_ok else "greater than 0"
    high = "at most 1" if one_ok else "below 1"
    expected = f"expected a number {low} and {high}, like 0.5"

    def convert(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _ExpectedError(expected)
        share = float(value)
        # Written so that NaN fails every test.
        above = share >= 0 if zero_ok else share > 0
        if not (above and (share <= 1 if one_ok else share < 1)):
            raise _ExpectedError(expected)
        return share

    return convert


def _duration(*, positive: bool) -> Callable[[object], timedelta]:
    def convert(value: object) -> timedelta:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise _ExpectedError(f'expected {_DURATION_HINT} in quotes, e.g. "{value}m"')
        if not isinstance(value, str):
            raise _ExpectedError(f'expected {_DURATION_HINT} in quotes, e.g. "5m"')
        try:
            span = parse_duration(value)
        except ValueError:
            if value.strip().startswith("-"):
                raise _ExpectedError("expected a duration of 0s or more, never negative") from None
            if _DURATION.fullmatch(value):
                raise _ExpectedError("expected at most 7 days (168h)") from None
            raise _ExpectedError(f"expected {_DURATION_HINT}") from None
        if positive and span <= timedelta(0):
            raise _ExpectedError("expected a duration longer than 0s")
        return span

    return convert


def _choice(enum_type: type[_E]) -> Callable[[object], _E]:
    names = [member.value for member in enum_type]

    def convert(value: object) -> _E:
        if isinstance(value, str) and value.strip().lower() in names:
            return enum_type(value.strip().lower())
        raise _ExpectedError("expected one of: " + ", ".join(names))

    return convert


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _ExpectedError("expected a non-empty string")
    return value


def _list(item: Callable[[object], _T], low: int, high: int) -> Callable[[object], tuple[_T, ...]]:
    def convert(value: object) -> tuple[_T, ...]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            span = f"at most {high}" if low == 0 else f"{low} to {high}"
            raise _ExpectedError(f"expected a list of {span} items in [ ]")
        return tuple(_item(item, number, element) for number, element in enumerate(value, 1))

    return convert


def _item(convert: Callable[[object], _T], number: int, element: object) -> _T:
    try:
        return convert(element)
    except _ExpectedError as err:
        raise _ExpectedError(f"item {number} ({_show_value(element)}): {err}") from None


def _weekday(value: object) -> int:
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise _ExpectedError("expected one of: " + ", ".join(WEEKDAYS))


_RANGE_HINT = (
    'expected a range like "09:00-12:30" (24-hour clock; "22:00-06:00" runs past midnight,'
    ' "00:00-24:00" is all day)'
)


def _time_range(value: object) -> TimeRange:
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _ExpectedError(_RANGE_HINT)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or max(m1, m2) > 59 or (h2 == 24 and m2 != 0):
        raise _ExpectedError(_RANGE_HINT)
    if (h1, m1) == (h2 % 24, m2) and h2 != 24:
        raise _ExpectedError('start and end are the same; for all day write "00:00-24:00"')
    return TimeRange(time(h1, m1), time(h2 % 24, m2))


def _minutes(r: TimeRange) -> tuple[int, int]:
    start, end = r.offsets
    return int(start.total_seconds()) // 60, int(end.total_seconds()) // 60


def _overlap(a: TimeRange, b: TimeRange) -> bool:
    """Whether two daily ranges share a minute on any day (a night reaches into the next one)."""
    (s1, e1), (s2, e2) = _minutes(a), _minutes(b)
    return any(s1 < e2 + shift and s2 + shift < e1 for shift in (-1440, 0, 1440))


def _hours(value: object) -> tuple[TimeRange, ...]:
    ranges = sorted(_list(_time_range, 1, 24)(value), key=lambda r: r.start)
    for first, second in itertools.combinations(ranges, 2):
        if _overlap(first, second):
            raise _ExpectedError(f"ranges {first} and {second} overlap; make them separate")
    return tuple(ranges)


# --- reading tables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """One TOML table and where it sits, with typed, validated access to its keys."""

    data: Mapping[str, object]
    key: _Key

    def has(self, name: str) -> bool:
        return name in self.data

    def only(self, names: tuple[str, ...]) -> None:
        for name in self.data:
            if name not in names:
                import difflib  # only a misspelt key needs it

                close = difflib.get_close_matches(name, names, n=1)
                hint = (
                    f"did you mean {close[0]}?" if close else "expected one of: " + ", ".join(names)
                )
                raise _InvalidError((*self.key, name), hint, unknown=True)

    def table(self, name: str) -> _Table:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise _InvalidError((*self.key, name), f"expected a table, a [{name}] section", value)
        return _Table(value, (*self.key, name))

    def get(self, name: str, convert: Callable[[object], _T], default: _T) -> _T:
        if name not in self.data:
            return default
        value = self.data[name]
        try:
            return convert(value)
        except _ExpectedError as err:
            raise _InvalidError((*self.key, name), str(err), value) from None

    def fail(self, name: str, expected: str, value: object) -> _InvalidError:
        return _InvalidError((*self.key, name), expected, value)


def _keys(section: str) -> tuple[str, ...]:
    return tuple(key for key, _ in SECTIONS[section])


def _build(data: Mapping[str, object]) -> Settings:
    root = _Table(data, ())
    root.only(tuple(SECTIONS))
    base = Settings()
    sched = root.table("schedule")
    sched.only(_keys("schedule"))
    days = sched.get("workdays", _list(_weekday, 1, 7), tuple(base.schedule.workdays))
    schedule = Schedule(frozenset(days), sched.get("hours", _hours, base.schedule.hours))
    breaks = _breaks(root.table("breaks"), base)
    section = root.table("prompt")
    section.only(_keys("prompt"))
    old = base.prompt
    prompt = PromptSettings(
        snooze=section.get("snooze", _list(_duration(positive=True), 1, 5), old.snooze),
        max_snoozes=section.get("max_snoozes", _whole(0, 20), old.max_snoozes),
        timeout=section.get("timeout", _duration(positive=True), old.timeout),
        notice=section.get("notice", _duration(positive=False), old.notice),
        sound=section.get("sound", _bool, old.sound),
    )
    section = root.table("idle")
    section.only(_keys("idle"))
    idle = IdleSettings(
        probe=section.get("probe", _choice(IdleProbeName), base.idle.probe),
        away_after=section.get("away_after", _duration(positive=True), base.idle.away_after),
    )
    section = root.table("do_not_disturb")
    section.only(_keys("do_not_disturb"))
    dnd = DndSettings(
        fullscreen=section.get("fullscreen", _bool, base.dnd.fullscreen),
        meetings=section.get("meetings", _bool, base.dnd.meetings),
        apps=section.get("apps", _list(_text, 0, 100), base.dnd.apps),
        max_delay=section.get("max_delay", _duration(positive=False), base.dnd.max_delay),
    )
    section = root.table("goal")
    section.only(_keys("goal"))
    goal = GoalSettings(section.get("daily_minutes", _whole(10, 600), base.goal.daily_minutes))
    plan = _walking_plan(root.table("walking_plan"), base, breaks[BreakKind.WALK])
    section = root.table("tray")
    section.only(_keys("tray"))
    tray = TraySettings(section.get("backend", _choice(TrayBackend), base.tray.backend))
    return Settings(schedule, MappingProxyType(breaks), prompt, idle, dnd, goal, plan, tray)


def _breaks(section: _Table, base: Settings) -> dict[BreakKind, BreakRule]:
    section.only(tuple(kind.value for kind in BreakKind))
    rules = {}
    for kind in BreakKind:
        table = section.table(kind.value)
        table.only(tuple(key for key, _ in BREAK_KEYS))
        old = base.rule(kind)
        every = table.get("every", _duration(positive=True), old.every)
        duration = table.get("duration", _duration(positive=True), old.duration)
        if duration >= every:
            # Blame the key the person wrote, so the message shows their own value.
            if table.has("duration"):
                expected = f"expected shorter than every ({format_duration(every)})"
                raise table.fail("duration", expected, table.data["duration"])
            expected = f"expected longer than the break's duration ({format_duration(duration)})"
            raise table.fail("every", expected, table.data["every"])
        rules[kind] = BreakRule(kind, every, duration, table.get("enabled", _bool, old.enabled))
    if not any(rule.enabled for rule in rules.values()):
        raise _InvalidError(section.key, "at least one break kind must be enabled")
    return rules


def _walking_plan(section: _Table, base: Settings, walk: BreakRule) -> WalkingPlan:
    section.only(_keys("walking_plan"))
    old = base.walking_plan
    plan = WalkingPlan(
        enabled=section.get("enabled", _bool, old.enabled),
        step=section.get("step", _duration(positive=True), old.step),
        cap=section.get("cap", _duration(positive=True), old.cap),
        grow_at=section.get("grow_at", _share(zero_ok=False, one_ok=True), old.grow_at),
        ease_below=section.get("ease_below", _share(zero_ok=True, one_ok=False), old.ease_below),
    )
    if plan.enabled and plan.cap < walk.duration:
        if section.has("cap"):
            expected = f"expected at least the walk's duration ({format_duration(walk.duration)})"
            raise section.fail("cap", expected, section.data["cap"])
        expected = f"expected at most the walking plan's cap ({format_duration(plan.cap)})"
        raise _InvalidError(
            ("breaks", "walk", "duration"), expected, format_duration(walk.duration)
        )
    if plan.ease_below >= plan.grow_at:
        name = "ease_below" if section.has("ease_below") else "grow_at"
        other = "grow_at" if name == "ease_below" else "ease_below"
        relation = "below" if name == "ease_below" else "above"
        expected = f"expected {relation} {other} ({getattr(plan, other)})"
        raise section.fail(name, expected, section.data[name])
    return plan


# --- errors with file and line -------------------------------------------------------------------


def _show_key(key: _Key) -> str:
    parts = [p if _BARE_KEY.fullmatch(p) else repr(p) for p in key]
    if len(parts) == 1:
        return f"[{parts[0]}]"
    return f"[{'.'.join(parts[:-1])}] {parts[-1]}"


def _show_value(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _find_line(text: str, key: _Key) -> int | None:
    """Best-effort line of ``key`` in ``text``: its ``[table]`` header or ``name =`` line."""
    table: _Key = ()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            table = tuple(p.strip().strip("\"'") for p in stripped.strip("[] \t").split("."))
            if table[: len(key)] == key:
                return number
        elif "=" in stripped and not stripped.startswith("#"):
            name = tuple(p.strip().strip("\"'") for p in stripped.split("=", 1)[0].split("."))
            if (*table, *name)[: len(key)] == key:
                return number
    return None


def _syntax_error(err: Exception, text: str, path: Path | None) -> ConfigError:
    message = str(err)
    if message.endswith(" (at end of document)"):
        reason = message.removesuffix(" (at end of document)")
        return ConfigError(
            f"not valid TOML: {reason} at the end of the file", path=path, line=text.count("\n") + 1
        )
    position = _TOML_POSITION.search(message)
    if position is None:
        return ConfigError(f"not valid TOML: {message}", path=path)
    reason = _TOML_POSITION.sub("", message)
    return ConfigError(
        f"not valid TOML: {reason} (column {position[2]})", path=path, line=int(position[1])
    )


def parse_settings(text: str, path: Path | None = None) -> Settings:
    """The settings written in ``text``; keys left out take their defaults.

    Args:
        text: The TOML document.
        path: The file it came from, named in error messages.

    Raises:
        ConfigError: The text is not valid TOML or holds an unknown key or a bad value.
    """
    try:
        return _build(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise _syntax_error(err, text, path) from None
    except RecursionError:
        raise ConfigError("nested too deeply to be a config file", path=path) from None
    except _InvalidError as err:
        raise ConfigError(
            err.expected,
            path=path,
            key=_show_key(err.key),
            line=_find_line(text, err.key),
            value=None if err.value is None else _show_value(err.value),
            unknown=err.unknown,
        ) from None


# --- files ---------------------------------------------------------------------------------------


def load_settings(path: Path) -> Settings:
    """The settings in the file at ``path``.

    Raises:
        ConfigError: The file is missing, unreadable, not UTF-8 text, or not a valid config.
    """
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError("is a directory; expected a TOML file", path=path)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError("is not a regular file; expected a TOML file", path=path)
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            "file not found; check the path, or run posturebreak once to create it", path=path
        ) from None
    except OSError as err:
        raise ConfigError(f"cannot read it: {err.strerror or err}", path=path) from None
    if len(raw) > _MAX_BYTES:
        raise ConfigError("is too large to be a config file (over 1 MB)", path=path)
    if b"\x00" in raw:
        raise ConfigError("contains NUL bytes: a binary file, not TOML text", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError("is not UTF-8 text; save it as UTF-8", path=path, line=line) from None
    return parse_settings(text, path)


def load_or_create(path: Path) -> tuple[Settings, bool]:
    """The settings at ``path``, first writing the default file there if there is none.

    The directory is created readable by the user only (0700), the file 0600.

    Returns:
        The settings, and whether the file was created just now.

    Raises:
        ConfigError: The file cannot be read, parsed or created.
    """
    try:
        os.lstat(path)
    except FileNotFoundError:
        pass
    except NotADirectoryError:
        expected = "cannot create it: part of its path is a file, not a directory"
        raise ConfigError(expected, path=path) from None
    except OSError as err:
        raise ConfigError(f"cannot read it: {err.strerror or err}", path=path) from None
    else:
        return load_settings(path), False
    try:
        ensure_private_dir(path.parent)
        # O_EXCL: if another process creates the file first, we read theirs instead.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_settings(path), False
    except OSError as err:
        raise ConfigError(f"cannot create it: {err.strerror or err}", path=path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(default_config_text())
    except OSError as err:
        # A half-written file would fail on every later start; leave none behind.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise ConfigError(f"cannot write it: {err.strerror or err}", path=path) from None
    return Settings(), True
