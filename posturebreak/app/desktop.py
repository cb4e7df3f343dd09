"""The desktop app: the tray owns the main thread, the engine runs on its own thread.

Fallbacks, each with a one-line explanation and never a traceback: no tray host (or no
working tray backend) -> the break window and notifications without an icon; no display at
all is handled earlier (the console).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from posturebreak.app.wiring import (
    Startup,
    build_engine,
    make_presence,
    make_scheduler,
    quit_on_signals,
    serving,
)
from posturebreak.frontends.welcome import Home, Welcome, welcome_for
from posturebreak.messages import Quit

if TYPE_CHECKING:
    from posturebreak.core.commands import Command
    from posturebreak.frontends.desktop.frontend import DesktopFrontEnd
    from posturebreak.frontends.desktop.menu import AppAction
    from posturebreak.frontends.desktop.prompt import PromptLauncher, WindowAnswer
    from posturebreak.frontends.desktop.tray import Tray
    from posturebreak.storage.writer import LogWriter

log = logging.getLogger("posturebreak.desktop")


def _home(tray: Tray | None) -> Home:
    """How the welcome tells the person to reach the app."""
    if tray is None:
        return Home.NO_TRAY
    if tray.backend == "xorg":
        return Home.TRAY_CLICK
    return Home.TRAY_MAC if sys.platform == "darwin" else Home.TRAY_MENU


# How long the tray's own loop may take to end after Quit before the process ends anyway.
STUCK_TRAY_S = 5.0


def _stop_tray(tray: Tray, returned: threading.Event, writer: LogWriter) -> None:
    """Stop the tray's loop (engine thread), with a watchdog in case the toolkit ignores it."""
    tray.stop()
    threading.Thread(
        target=_exit_if_stuck, args=(returned, writer), name="posturebreak-exit", daemon=True
    ).start()


def _exit_if_stuck(returned: threading.Event, writer: LogWriter) -> None:
    """Last resort: end the process if the tray loop ignores its stop (toolkit bugs).

    The writer is closed first, so the last events reach the log or the spool; the OS
    releases the single-instance lock.
    """
    if not returned.wait(STUCK_TRAY_S):
        log.warning("the tray did not stop within %.0f s; exiting", STUCK_TRAY_S)
        writer.close()
        logging.shutdown()
        os._exit(0)


def run_desktop(s: Startup) -> int:
    """Run the app with a tray icon (or, without a tray host, windows and notifications)."""
    from posturebreak.frontends.desktop.lean import shed_unused

    shed_unused()
    from posturebreak.frontends.desktop.hosts import tray_backend

    backend, why_no_tray = tray_backend(s.ctx, s.env)
    desk = _build_front(s, backend, with_tray=not why_no_tray)
    front, tray = desk.front, desk.tray
    stopped = threading.Event()
    tray_returned = threading.Event()

    def on_quit() -> None:
        stopped.set()
        desk.launcher.close()
        if tray is not None:
            _stop_tray(tray, tray_returned, s.writer)

    quit_on_signals(s.inbox)

    def engine_main() -> None:
        # Built here, once the icon is up: the idle probe's display and bus connections
        # are not on the way to the tray (tray-up time, benchmarks/footprint.py).
        presence = make_presence(s)
        if presence.notice:
            print(f"posturebreak: {presence.notice}", file=sys.stderr)
        scheduler = make_scheduler(s)
        engine = build_engine(s, front, presence, scheduler, on_quit)
        with serving(s, engine, presence, scheduler):
            engine.run()

    if tray is None:
        print(
            f"posturebreak: {why_no_tray}; reminders will come as windows and notifications. "
            "Use `posturebreak status`, `break`, `pause` or `quit` to control it.",
            file=sys.stderr,
        )
        engine_main()
        return 0
    return _run_with_tray(s, tray, engine_main, stopped, tray_returned, welcome=desk.welcome)


@dataclass(frozen=True)
class _Desk:
    """The desktop's parts, built on the main thread before the engine."""

    front: DesktopFrontEnd
    tray: Tray | None
    launcher: PromptLauncher
    welcome: Welcome | None


def _build_front(s: Startup, backend: str | None, *, with_tray: bool) -> _Desk:
    """The tray (``backend``; ``None`` is pystray's own), the window launcher, the front end."""
    from posturebreak.frontends.desktop.frontend import DesktopFrontEnd
    from posturebreak.frontends.desktop.menu import break_durations
    from posturebreak.frontends.desktop.notify import make_notifier
    from posturebreak.frontends.desktop.opener import open_path
    from posturebreak.frontends.desktop.prompt import PromptLauncher
    from posturebreak.frontends.desktop.tray import Tray
    from posturebreak.frontends.desktop.week import show_week

    # The tray and the window call back into the front end, which needs them first: these
    # small functions look it up when they are called, after it exists.
    def dispatch(action: Command | AppAction) -> None:
        front.dispatch(action)

    def autostart_state() -> bool:
        return front.autostart_enabled()

    def on_answer(answer: WindowAnswer) -> None:
        front.on_window_answer(answer)

    ctx, env, p = s.ctx, s.env, s.paths
    tray = None
    if with_tray:
        durations = break_durations(ctx.settings, ctx.walk_target)
        tray = Tray(dispatch, durations, autostart_state, backend)
    launcher = PromptLauncher(on_answer, env=env)
    notifier = make_notifier(env)

    def say_welcome(text: str) -> None:
        print(text, flush=True)
        notifier.notify("Welcome to posturebreak", text)

    welcome = welcome_for(
        p.data_dir, log_is_empty=s.log_is_empty, home=_home(tray), say=say_welcome
    )
    front = DesktopFrontEnd(
        s.inbox.post,
        settings=ctx.settings,
        paths=p,
        library=s.library,
        env=env,
        tray=tray,
        launcher=launcher,
        notifier=notifier,
        open_week=lambda: show_week(p, ctx, env),
        open_settings=lambda: open_path(p.config_file),
        walk_target=ctx.walk_target,
        welcome=welcome,
    )
    return _Desk(front, tray, launcher, welcome)


def _run_with_tray(
    s: Startup,
    tray: Tray,
    engine_main: Callable[[], None],
    stopped: threading.Event,
    returned: threading.Event,
    *,
    welcome: Welcome | None,
) -> int:
    """The tray owns this (main) thread; the engine starts once the icon is up."""
    from posturebreak.frontends.desktop.tray import TrayError

    worker = threading.Thread(target=engine_main, name="posturebreak-engine")
    try:
        tray.run(worker.start)
    except TrayError as exc:
        print(f"posturebreak: {exc}; running without a tray icon.", file=sys.stderr)
        if welcome is not None:
            welcome.home = Home.NO_TRAY
        if not worker.is_alive() and not stopped.is_set():
            returned.set()
            engine_main()
            return 0
    finally:
        returned.set()
    if worker.is_alive():
        s.inbox.post(Quit())
        worker.join(10)
    return 0
