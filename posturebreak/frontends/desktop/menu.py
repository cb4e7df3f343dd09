"""The tray menu as plain data, built from a :class:`StatusView`; no toolkit needed.

:func:`build_menu` decides what the menu says and which items are live in each mode, so that
logic is tested without a display. :func:`to_pystray` turns the model into a pystray menu.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from posturebreak.core.commands import (
    Command,
    FinishBreak,
    PauseFor,
    PauseUntilTomorrow,
    Resume,
    Skip,
    Snooze,
    StartBreak,
    TakeBreak,
)
from posturebreak.core.domain import BreakKind, Mode, humanize

if TYPE_CHECKING:
    import pystray

    from posturebreak.core.effects import StatusView
    from posturebreak.core.settings import Settings


class AppAction(enum.Enum):
    """Menu actions the desktop app handles itself, not the policy."""

    SHOW_WEEK = "show_week"
    OPEN_SETTINGS = "open_settings"
    TOGGLE_AUTOSTART = "toggle_autostart"
    QUIT = "quit"
    SHOW_CONTROLS = "show_controls"
    """Open the small control window (the xorg tray has no menu, so a click does this)."""


@dataclass(frozen=True)
class MenuItem:
    """One clickable (or greyed-out) line; ``checked`` is ``None`` for non-checkbox items."""

    label: str
    action: Command | AppAction | None
    enabled: bool = True
    checked: bool | None = None
    default: bool = False


@dataclass(frozen=True)
class Submenu:
    """A line that opens more items."""

    label: str
    items: tuple[MenuEntry, ...]
    enabled: bool = True


@dataclass(frozen=True)
class Separator:
    """A dividing line."""


MenuEntry = MenuItem | Submenu | Separator

PAUSE_CHOICES: tuple[tuple[str, timedelta], ...] = (
    ("30 min", timedelta(minutes=30)),
    ("1 hour", timedelta(hours=1)),
)
"""The fixed pause lengths offered besides "Until tomorrow"."""

# Modes with no upcoming break to snooze or skip: nothing is counting down, or a break runs.
_NOTHING_AHEAD = frozenset({Mode.PAUSED, Mode.OFF_HOURS, Mode.ON_BREAK})


def break_durations(
    settings: Settings, walk_target: timedelta | None = None
) -> Mapping[BreakKind, timedelta]:
    """The length of every enabled break kind, as :func:`build_menu` wants it.

    ``walk_target``: today's walk from the walking plan, which replaces the configured one
    (the menu must offer the walk the prompt would).
    """
    durations = {rule.kind: rule.duration for rule in settings.enabled_rules()}
    if walk_target is not None and BreakKind.WALK in durations:
        durations[BreakKind.WALK] = walk_target
    return durations


def build_menu(
    view: StatusView, autostart: bool, durations: Mapping[BreakKind, timedelta]
) -> tuple[MenuEntry, ...]:
    """The tray menu for ``view``.

    Args:
        view: the app's current status.
        autostart: whether "Start at login" is on (the checkbox state).
        durations: the length of each *enabled* break kind; disabled kinds are left out of
            "Take a break now".
    """
    mode = view.mode
    entries: list[MenuEntry] = [MenuItem(view.headline(), None, enabled=False), Separator()]
    entries.extend(_answer_items(view))
    entries.extend(
        (
            _take_break(durations, enabled=mode is not Mode.ON_BREAK),
            _snooze(view),
            MenuItem(
                "Skip this break" if mode is Mode.PROMPTING else "Skip next",
                Skip(),
                enabled=mode not in _NOTHING_AHEAD,
            ),
            # Pausing stays open while paused: that is how a pause is made longer or shorter.
            _pause(enabled=mode is not Mode.OFF_HOURS),
            MenuItem("Resume", Resume(), enabled=mode is Mode.PAUSED),
            Separator(),
            MenuItem(today_line(view.taken_today, view.prompted_today), None, enabled=False),
            MenuItem("My week\N{HORIZONTAL ELLIPSIS}", AppAction.SHOW_WEEK),
            MenuItem("Settings\N{HORIZONTAL ELLIPSIS}", AppAction.OPEN_SETTINGS),
            MenuItem("Start at login", AppAction.TOGGLE_AUTOSTART, checked=autostart),
            Separator(),
            MenuItem("Quit", AppAction.QUIT),
        )
    )
    return tuple(entries)


def today_line(taken: int, prompted: int) -> str:
    """The "Today" summary: "Today: 3 of 5 breaks taken"."""
    if taken == 0 and prompted == 0:
        return "Today: no breaks yet"
    if taken > prompted:
        # Breaks taken on one's own initiative were never prompted; "5 of 3" would read as a bug.
        return f"Today: {taken} {_breaks(taken)} taken"
    return f"Today: {taken} of {prompted} {_breaks(prompted)} taken"


def _breaks(count: int) -> str:
    return "break" if count == 1 else "breaks"


def _answer_items(view: StatusView) -> tuple[MenuEntry, ...]:
    """The answer to what is happening right now, placed first where the eye lands."""
    if view.mode is Mode.PROMPTING and view.active_kind is not None:
        # default=True: on pystray's gtk backend a left click on the icon starts the break.
        return (MenuItem(f"Start {view.active_kind.value} break", StartBreak(), default=True),)
    if view.mode is Mode.ON_BREAK:
        # The break window has its own Done button; this is the way out when it was closed.
        return (MenuItem("End break now", FinishBreak(completed=False)),)
    return ()


def _take_break(durations: Mapping[BreakKind, timedelta], *, enabled: bool) -> Submenu:
    items = tuple(
        MenuItem(f"{kind.label} ({humanize(durations[kind])})", TakeBreak(kind))
        for kind in BreakKind
        if kind in durations
    )
    if not items:
        placeholder = MenuItem("No break kinds enabled", None, enabled=False)
        return Submenu("Take a break now", (placeholder,), enabled=False)
    return Submenu("Take a break now", items, enabled=enabled)


def _snooze(view: StatusView) -> Submenu:
    # An empty submenu vanishes in pystray; keep the line visible and say why it is grey.
    if view.mode is not Mode.PROMPTING:
        return _grey_submenu("Snooze", "No break is due")
    if view.snoozes_left <= 0 or not view.snooze_choices:
        return _grey_submenu("Snooze", "No snoozes left")
    choices = tuple(MenuItem(humanize(span), Snooze(span)) for span in view.snooze_choices)
    return Submenu("Snooze", choices, enabled=True)


def _grey_submenu(label: str, why: str) -> Submenu:
    return Submenu(label, (MenuItem(why, None, enabled=False),), enabled=False)


def _pause(*, enabled: bool) -> Submenu:
    items: tuple[MenuEntry, ...] = (
        *(MenuItem(label, PauseFor(span)) for label, span in PAUSE_CHOICES),
        MenuItem("Until tomorrow", PauseUntilTomorrow()),
    )
    return Submenu("Pause", items, enabled=enabled)


def to_pystray(
    entries: tuple[MenuEntry, ...], dispatch: Callable[[Command | AppAction], None]
) -> pystray.Menu:
    """A ``pystray.Menu`` showing ``entries``; a click calls ``dispatch(action)``.

    ``dispatch`` is called on pystray's thread (the toolkit's main loop), so it must only hand
    the action on (e.g. put it on the engine's queue), never act on app state itself.
    """
    import pystray

    def item(entry: MenuEntry) -> pystray.MenuItem:
        if isinstance(entry, Separator):
            return pystray.Menu.SEPARATOR
        if isinstance(entry, Submenu):
            return pystray.MenuItem(
                entry.label, pystray.Menu(*map(item, entry.items)), enabled=entry.enabled
            )
        checked = entry.checked
        return pystray.MenuItem(
            entry.label,
            _callback(entry.action, dispatch),
            checked=None if checked is None else (lambda _item: checked),
            default=entry.default,
            enabled=entry.enabled,
        )

    return pystray.Menu(*map(item, entries))


def _callback(
    action: Command | AppAction | None, dispatch: Callable[[Command | AppAction], None]
) -> Callable[[pystray.Icon, pystray.MenuItem], None] | None:
    if action is None:
        return None
    chosen = action

    # Exactly two parameters: pystray inspects the arity and passes (icon, item).
    def on_click(_icon: pystray.Icon, _item: pystray.MenuItem) -> None:
        dispatch(chosen)

    return on_click
