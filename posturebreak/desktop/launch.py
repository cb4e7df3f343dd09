"""Desktop composition: the tray owns the main thread, the engine runs on its own thread.

Fallbacks, each with a one-line explanation and never a traceback: no tray host (or no
working tray backend) -> the break window and notifications without an icon; no display at
all is handled earlier by ``app.run`` (the console).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from posturebreak import paths as paths_mod
from posturebreak.clock import SystemClock
from posturebreak.commands import Command
from posturebreak.desktop.menu import AppAction
from posturebreak.domain import BreakKind
from posturebreak.engine import Engine
from posturebreak.exercises import ExerciseLibrary
from posturebreak.messages import Message, Quit
from posturebreak.policy_state import Context
from posturebreak.today import TodayCounter
from posturebreak.welcome import Home, Welcome, welcome_for

if TYPE_CHECKING:
    from posturebreak.app import LogEnv
    from posturebreak.desktop.tray import Tray

log = logging.getLogger("posturebreak.desktop")


def open_path(path: Path) -> None:
    """Open ``path`` with the desktop's default application (never raises)."""
    if sys.platform == "win32":
        argv = ["cmd", "/c", "start", "", str(path)]
    elif sys.platform == "darwin":
        argv = ["open", str(path)]
    else:
        argv = ["xdg-open", str(path)]
    try:
        subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.warning("cannot open %s: %s", path, exc)


def xembed_tray_present(env: Mapping[str, str]) -> bool:
    """Whether an X11 system tray (xembed) manager owns ``_NET_SYSTEM_TRAY_S0``."""
    display_name = env.get("DISPLAY")
    if not display_name:
        return False
    try:
        from Xlib import display as xdisplay

        d = xdisplay.Display(display_name)
    except Exception:  # noqa: BLE001  any Xlib failure means "no usable tray here"
        return False
    try:
        atom = d.intern_atom(f"_NET_SYSTEM_TRAY_S{d.get_default_screen()}")
        return bool(d.get_selection_owner(atom))
    finally:
        d.close()


def sni_host_present() -> bool:
    """Whether a StatusNotifierItem host (its ``org.kde.StatusNotifierWatcher``) is on the bus."""
    from posturebreak.idle import ProbeError
    from posturebreak.idle.dbus import Bus

    try:
        bus = Bus("SESSION")
    except ProbeError:
        return False
    try:
        reply = bus.try_call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            signature="s",
            body=("org.kde.StatusNotifierWatcher",),
        )
    finally:
        bus.close()
    return bool(reply and reply[0])


def _host_present(backend: str, env: Mapping[str, str]) -> bool:
    if backend == "appindicator":
        return sni_host_present()
    return xembed_tray_present(env)


def _home(tray: Tray | None) -> Home:
    """How the welcome tells the person to reach the app."""
    if tray is None:
        return Home.NO_TRAY
    if tray.backend == "xorg":
        return Home.TRAY_CLICK
    return Home.TRAY_MAC if sys.platform == "darwin" else Home.TRAY_MENU


# How long the tray's own loop may take to end after Quit before the process ends anyway.
STUCK_TRAY_S = 5.0


def _stop_tray(tray: Tray, returned: threading.Event) -> None:
    """Stop the tray's loop (engine thread), with a watchdog in case the toolkit ignores it."""
    tray.stop()
    threading.Thread(
        target=_exit_if_stuck, args=(returned,), name="posturebreak-exit", daemon=True
    ).start()


def _exit_if_stuck(returned: threading.Event) -> None:
    """Last resort: end the process if the tray loop ignores its stop (toolkit bugs).

    Everything that matters is done by then: each event was committed when it happened, and
    the OS releases the single-instance lock.
    """
    if not returned.wait(STUCK_TRAY_S):
        log.warning("the tray did not stop within %.0f s; exiting", STUCK_TRAY_S)
        logging.shutdown()
        os._exit(0)


def _tray_backend(ctx: Context, env: Mapping[str, str]) -> tuple[str | None, str]:
    """The tray backend to use, or why there is no tray ("" when there is one).

    An installed backend is not enough: its host must be running too. Without an SNI host
    an appindicator icon is invisible (and says nothing), so ``auto`` moves on to the
    xembed backends, which need a tray manager on the display.
    """
    from posturebreak.desktop.tray import (
        TrayError,
        backend_available,
        choose_backend,
        resolve_backend,
    )

    setting = ctx.settings.tray.backend
    try:
        backend = resolve_backend(setting, env, sys.platform)
    except TrayError as exc:
        return None, str(exc)
    if backend is None:
        return None, ""  # Windows and macOS: pystray's own tray, always there
    for name in choose_backend(setting, env, sys.platform):
        if backend_available(name, env) and _host_present(name, env):
            return name, ""
    return None, "no system tray is running on this desktop"


def run_desktop(
    ctx: Context,
    *,
    clock: SystemClock,
    log_env: LogEnv,
    p: paths_mod.Paths,
    env: Mapping[str, str],
    today: TodayCounter,
    library: ExerciseLibrary | None,
    shown: Mapping[BreakKind, list[str]],
) -> int:
    """Run the app with a tray icon (or, without a tray host, windows and notifications)."""
    from posturebreak.desktop.lean import shed_unused

    shed_unused()
    from posturebreak.app import presence_for, quit_on_signals, serving
    from posturebreak.desktop.frontend import DesktopFrontEnd
    from posturebreak.desktop.menu import break_durations
    from posturebreak.desktop.notify import make_notifier
    from posturebreak.desktop.prompt import PromptLauncher, WindowAnswer
    from posturebreak.desktop.tray import Tray
    from posturebreak.desktop.week import show_week

    holder: list[Engine] = []

    def post(message: Message) -> None:
        holder[0].post(message)

    # The tray and the window call back into the front end, which needs them first: these
    # small functions look it up when they are called, after it exists.
    def dispatch(action: Command | AppAction) -> None:
        front.dispatch(action)

    def autostart_state() -> bool:
        return front.autostart_enabled()

    def on_answer(answer: WindowAnswer) -> None:
        front.on_window_answer(answer)

    tray: Tray | None = None
    backend, why_no_tray = _tray_backend(ctx, env)
    if not why_no_tray:
        tray = Tray(
            dispatch, break_durations(ctx.settings, ctx.walk_target), autostart_state, backend
        )
    launcher = PromptLauncher(on_answer, env=env)
    notifier = make_notifier(env)

    def say_welcome(text: str) -> None:
        print(text, flush=True)
        notifier.notify("Welcome to posturebreak", text)

    welcome = welcome_for(
        p.data_dir,
        log_is_empty=log_env.is_empty,
        home=_home(tray),
        say=say_welcome,
    )
    front = DesktopFrontEnd(
        post,
        settings=ctx.settings,
        paths=p,
        library=library,
        env=env,
        tray=tray,
        launcher=launcher,
        notifier=notifier,
        open_week=lambda: show_week(p, ctx, env),
        open_settings=lambda: open_path(p.config_file),
        walk_target=ctx.walk_target,
        welcome=welcome,
    )
    stopped = threading.Event()
    tray_returned = threading.Event()

    def on_quit() -> None:
        stopped.set()
        launcher.close()
        if tray is not None:
            _stop_tray(tray, tray_returned)

    engine = Engine(
        ctx,
        clock,
        log_env.writer,
        front,
        today=today,
        library=library,
        shown=shown,
        on_quit=on_quit,
    )
    holder.append(engine)
    quit_on_signals(lambda: engine.post(Quit()))

    def engine_main() -> None:
        # Built here, once the icon is up: the idle probe's display and bus connections
        # are not on the way to the tray (tray-up time, benchmarks/footprint.py).
        presence = presence_for(ctx.settings, env, holder)
        engine.attach_presence(presence)
        if presence.notice:
            print(f"posturebreak: {presence.notice}", file=sys.stderr)
        with serving(engine, p, presence, log_env.writer):
            engine.run()

    if tray is None:
        print(
            f"posturebreak: {why_no_tray}; reminders will come as windows and notifications. "
            "Use `posturebreak status`, `break`, `pause` or `quit` to control it.",
            file=sys.stderr,
        )
        engine_main()
        return 0
    return _run_with_tray(tray, engine, engine_main, stopped, tray_returned, welcome=welcome)


def _run_with_tray(
    tray: Tray,
    engine: Engine,
    engine_main: Callable[[], None],
    stopped: threading.Event,
    returned: threading.Event,
    *,
    welcome: Welcome | None,
) -> int:
    """The tray owns this (main) thread; the engine starts once the icon is up."""
    from posturebreak.desktop.tray import TrayError

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
        engine.post(Quit())
        worker.join(10)
    return 0
