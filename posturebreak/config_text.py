"""Settings back to TOML text: the commented config file, every key with its documentation.

Split from ``config.py`` (which parses); the section and key lists here are also the parser's
list of known keys. Pure, standard library only.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from posturebreak.core.domain import BreakKind, format_duration
from posturebreak.core.settings import WEEKDAYS, Settings


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _toml(value.value)
    if isinstance(value, timedelta):
        return _toml(format_duration(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    escaped = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}
    text = str(value)
    return '"' + "".join(escaped.get(c, c if c.isprintable() else _escape(c)) for c in text) + '"'


# (section, [(key, comment)]) in file order; the comments are the file's documentation.
SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "schedule": (
        ("workdays", "Days with reminders: any of mon, tue, wed, thu, fri, sat, sun."),
        (
            "hours",
            (
                'Working hours in local time, "HH:MM-HH:MM"; reminders run only inside them.'
                ' "00:00-24:00" is all day; "22:00-06:00" is a night, counted for the day it'
                " starts."
            ),
        ),
    ),
    "breaks": (),
    "prompt": (
        ("snooze", "Snooze choices offered on a prompt (1 to 5 of them)."),
        ("max_snoozes", "How many times one prompt may be snoozed (0 to 20)."),
        ("timeout", "A prompt left unanswered this long counts as missed."),
        ("notice", 'Heads-up notification this long before a prompt; "0s" for none.'),
        ("sound", "Play a soft chime when a break is over."),
    ),
    "idle": (
        ("probe", "Idle-time source: auto, x11, gnome, kde, windows, macos or none."),
        ("away_after", "Idle shorter than this still counts as sitting; longer is a break."),
    ),
    "do_not_disturb": (
        ("fullscreen", "Hold prompts while a fullscreen window has the focus."),
        ("meetings", "Hold prompts while the camera or microphone is in use."),
        ("apps", 'Window classes or names that hold prompts, e.g. ["zoom", "obs"].'),
        ("max_delay", "A held prompt appears at most this much later."),
    ),
    "goal": (("daily_minutes", "Minutes of movement to aim for each working day (10 to 600)."),),
    "walking_plan": (
        ("enabled", "Grow the walk a little after each good week."),
        ("step", "How much the walk grows after a good week."),
        ("cap", "The walk never grows beyond this."),
        ("grow_at", "Share of walk prompts taken that makes a week good (above 0, up to 1)."),
        ("ease_below", "Below this share the walk eases back one step; less than grow_at."),
    ),
    "tray": (("backend", "Tray icon backend: auto, appindicator, gtk, xorg or none."),),
}
BREAK_KEYS = (
    ("enabled", "Remind me to {verb}."),
    ("every", "How often, counted while you sit at the desk."),
    ("duration", "How long the break lasts; shorter than every."),
)
_VERBS = {BreakKind.STAND: "stand up", BreakKind.STRETCH: "stretch", BreakKind.WALK: "walk"}


def settings_to_text(s: Settings) -> str:
    """``s`` as a complete config file, every key present with a comment saying what it does."""
    values: dict[str, object] = {
        "schedule": {
            "workdays": tuple(WEEKDAYS[d] for d in sorted(s.schedule.workdays)),
            "hours": tuple(str(r) for r in s.schedule.hours),
        },
        "prompt": vars(s.prompt),
        "idle": vars(s.idle),
        "do_not_disturb": vars(s.dnd),
        "goal": vars(s.goal),
        "walking_plan": vars(s.walking_plan),
        "tray": vars(s.tray),
    }
    lines = [
        "# posturebreak settings. Durations are written like 90s, 5m or 1h30m.",
        "# A key left out takes its default; `posturebreak config check` checks this file.",
    ]
    for section, keys in SECTIONS.items():
        if section == "breaks":
            lines += _break_lines(s)
            continue
        lines += ["", f"[{section}]"]
        table = values[section]
        assert isinstance(table, dict)  # noqa: S101  built just above; narrows the type for mypy
        for key, comment in keys:
            lines += [f"# {comment}", f"{key} = {_toml(table[key])}"]
    return "\n".join(lines) + "\n"


def _break_lines(s: Settings) -> list[str]:
    lines = ["", "# Break kinds, smallest first. A bigger break also counts as the smaller ones."]
    for kind in BreakKind:
        rule = s.breaks.get(kind) or Settings().rule(kind)
        lines += ["", f"[breaks.{kind.value}]"]
        for key, comment in BREAK_KEYS:
            lines += [
                f"# {comment.format(verb=_VERBS[kind])}",
                f"{key} = {_toml(getattr(rule, key))}",
            ]
    return lines


def default_config_text() -> str:
    """The commented config file with the recommended defaults."""
    return settings_to_text(Settings())
