"""The desktop front end: carries the engine's effects to the tray, break window and bubbles.

:class:`DesktopFrontEnd` implements ``engine.FrontEnd``. The engine calls it on its own
thread; every call hands the work to a toolkit (the tray's loop, the break window process,
the notification service) and returns at once. The other way round, window answers and menu
clicks arrive on their own threads and are only ever turned into engine messages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from posturebreak.core.commands import FinishBreak, Skip, Snooze, StartBreak
from posturebreak.core.domain import BreakKind, Choice, humanize
from posturebreak.frontends.desktop import autostart
from posturebreak.frontends.desktop.menu import AppAction, MenuEntry, break_durations, build_menu
from posturebreak.frontends.desktop.prompt import Phase, WindowAnswer, WindowSpec, window_available
from posturebreak.messages import Do, Message, Quit

if TYPE_CHECKING:
    from datetime import timedelta

    from posturebreak.core.commands import Command
    from posturebreak.core.effects import BeginBreak, EndBreak, Notify, ShowPrompt, StatusView
    from posturebreak.core.exercises import Exercise, ExerciseLibrary
    from posturebreak.core.settings import Settings
    from posturebreak.frontends.desktop.notify import NotifierPort
    from posturebreak.frontends.desktop.prompt import PromptLauncher
    from posturebreak.frontends.desktop.tray import TrayPort
    from posturebreak.frontends.welcome import Welcome
    from posturebreak.paths import Paths

log = logging.getLogger("posturebreak.frontend")


class ControlsPort(Protocol):
    """The controls window (xorg trays). Called from the tray's thread."""

    def show(self, entries: tuple[MenuEntry, ...]) -> None:
        """Open the window showing ``entries`` as buttons."""
        ...


class DesktopFrontEnd:
    """What the person sees on a desktop: tray, break window and notifications.

    Args:
        post: puts a message on the engine's queue (thread-safe).
        settings: the user's settings (break lengths, chime).
        paths: the app's files (kept for the open-settings/week helpers of the caller).
        library: the exercise cards, for pictures; ``None`` shows cards without pictures.
        env: the process environment (display detection, autostart location).
        tray: the tray icon, or ``None`` when there is none.
        launcher: starts the break window; ``None`` (or no display) turns prompts into
            notifications. Its ``on_answer`` must be :meth:`on_window_answer`.
        notifier: heads-up notifications.
        open_week: shows the week chart (called on the tray's thread).
        open_settings: opens the config file (called on the tray's thread).
        controls: the xorg controls window; a real one is made on first use by default.
        walk_target: today's walk from the walking plan (the menu offers that walk).
        welcome: says the first start's welcome with the first status, if this is one.
    """

    def __init__(
        self,
        post: Callable[[Message], None],
        *,
        settings: Settings,
        paths: Paths,
        library: ExerciseLibrary | None,
        env: Mapping[str, str],
        tray: TrayPort | None,
        launcher: PromptLauncher | None,
        notifier: NotifierPort,
        open_week: Callable[[], None],
        open_settings: Callable[[], None],
        controls: ControlsPort | None = None,
        walk_target: timedelta | None = None,
        welcome: Welcome | None = None,
    ) -> None:
        self._post = post
        self._settings = settings
        self._durations = break_durations(settings, walk_target)
        self.paths = paths
        self._library = library
        self._env = env
        self._tray = tray
        self._launcher = launcher if launcher is not None and window_available(env) else None
        self._notifier = notifier
        self._open_week = open_week
        self._open_settings = open_settings
        self._controls = controls
        self._welcome = welcome
        self._lock = threading.Lock()
        self._view: StatusView | None = None
        # Set when the window itself answered Start: it already shows the countdown, so the
        # ClosePrompt/BeginBreak that follow must leave it alone. Reader thread sets it,
        # engine thread reads it.
        self._started_in_window = threading.Event()

    @property
    def has_window(self) -> bool:
        """Whether prompts open the break window (else they become notifications)."""
        return self._launcher is not None

    # --- engine.FrontEnd (engine thread) -----------------------------------------------

    def show_prompt(self, prompt: ShowPrompt, card: Exercise | None) -> None:
        """Open the break window's question, or say it in a notification."""
        self._started_in_window.clear()
        if self._launcher is None:
            kind = prompt.kind
            where = "the tray menu or " if self._tray is not None else ""
            self._notifier.notify(
                f"{kind.label} break due",
                f"{humanize(prompt.duration)} {kind.value} break: use {where}"
                f"`posturebreak break {kind.value}` to start it, "
                "`posturebreak snooze` or `posturebreak skip`.",
            )
            return
        spec = self._spec(
            "prompt",
            prompt.kind,
            prompt.duration,
            card,
            title=f"Time to {prompt.kind.value}",
            note=prompt.note,
            snoozes=(prompt.snooze_choices, prompt.snoozes_left),
        )
        self._launcher.show(spec)

    def close_prompt(self, reason: str) -> None:
        """Close the question window, unless it turned into the running break."""
        if self._launcher is None or self._started_in_window.is_set():
            return
        log.debug("closing the prompt window (%s)", reason)
        self._launcher.close()

    def begin_break(self, brk: BeginBreak, card: Exercise | None) -> None:
        """Show the countdown, unless the window that answered Start already shows it."""
        from_window = self._started_in_window.is_set()
        self._started_in_window.clear()
        if self._launcher is None:
            steps = " ".join(card.steps) if card is not None else ""
            self._notifier.notify(
                f"{brk.kind.label} break: {humanize(brk.duration)}",
                (f"{card.title}: {steps}" if card is not None else "Off you go.")
                + " End it early with the tray menu.",
            )
            return
        if from_window and self._launcher.is_open():
            return
        spec = self._spec(
            "break",
            brk.kind,
            brk.duration,
            card,
            title=f"{brk.kind.label} break",
            note=brk.note,
            snoozes=((), 0),
        )
        self._launcher.show(spec)

    def end_break(self, end: EndBreak) -> None:
        """Close the countdown when the break was cut short elsewhere.

        A break that ran its time lets the window finish itself (it chimes and sends Done,
        which the engine ignores once the break is over).
        """
        if self._launcher is None:
            if end.completed:
                self._notifier.notify(f"{end.kind.label} break done", "Well done.")
            return
        if not end.completed:
            self._launcher.close()

    def show_status(self, view: StatusView) -> None:
        """Redraw the tray."""
        with self._lock:
            self._view = view
        if self._tray is not None:
            self._tray.update(view)
        if self._welcome is not None:
            self._welcome.greet(view)

    def notify(self, note: Notify) -> None:
        """Show a heads-up notification (the notifier never raises)."""
        self._notifier.notify(note.title, note.message)

    # --- answers (launcher's reader thread) and menu clicks (tray thread) ---------------

    def on_window_answer(self, answer: WindowAnswer) -> None:
        """Turn a break-window answer into an engine message."""
        command: Command
        if answer.choice is Choice.START:
            self._started_in_window.set()
            command = StartBreak()
        elif answer.choice is Choice.SNOOZE:
            command = Snooze(answer.snooze)
        elif answer.choice is Choice.SKIP:
            command = Skip()
        else:
            command = FinishBreak(answer.moved, completed=answer.choice is Choice.DONE)
        self._post(Do(command))

    def dispatch(self, action: Command | AppAction) -> None:
        """Carry out a menu (or controls window) choice; only ever hands work on."""
        if not isinstance(action, AppAction):
            self._post(Do(action))
        elif action is AppAction.QUIT:
            self._post(Quit())
        elif action is AppAction.SHOW_WEEK:
            self._open_week()
        elif action is AppAction.OPEN_SETTINGS:
            self._open_settings()
        elif action is AppAction.TOGGLE_AUTOSTART:
            self._toggle_autostart()
        else:
            self._show_controls()

    def autostart_enabled(self) -> bool:
        """Whether "Start at login" is on (``False`` when it cannot be read)."""
        try:
            return autostart.status(self._env).enabled
        except autostart.AutostartError as exc:
            log.warning("cannot read the autostart state: %s", exc)
            return False

    def _toggle_autostart(self) -> None:
        try:
            if autostart.status(self._env).enabled:
                autostart.disable(self._env)
            else:
                autostart.enable(self._env)
        except (autostart.AutostartError, OSError) as exc:
            self._notifier.notify("Start at login was not changed", str(exc))
        refresh = getattr(self._tray, "refresh_menu", None)
        if callable(refresh):
            refresh()

    def _show_controls(self) -> None:
        with self._lock:
            view = self._view
        if view is None:
            return  # nothing to show before the engine's first status
        if self._controls is None:
            from posturebreak.frontends.desktop.controls import ControlsLauncher

            self._controls = ControlsLauncher(self.dispatch, self._env)
        entries = build_menu(view, self.autostart_enabled(), self._durations)
        self._controls.show(entries)

    def _spec(
        self,
        phase: Phase,
        kind: BreakKind,
        duration: timedelta,
        card: Exercise | None,
        *,
        title: str,
        note: str,
        snoozes: tuple[tuple[timedelta, ...], int],
    ) -> WindowSpec:
        picture = None
        if card is not None and self._library is not None:
            path = self._library.picture_path(card)
            picture = path if path.is_file() else None
        return WindowSpec(
            phase=phase,
            kind=kind,
            duration=duration,
            title=title,
            subtitle=note or f"A {humanize(duration)} {kind.value} break",
            exercise_title=card.title if card is not None else f"{kind.label} break",
            exercise_steps=card.steps if card is not None else (),
            exercise_tip=card.tip if card is not None else "",
            picture=picture,
            snooze_choices=snoozes[0],
            snoozes_left=snoozes[1],
            sound=self._settings.prompt.sound,
        )
