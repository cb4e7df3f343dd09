"""The composition root: builds the real adapters and runs the engine (only ``run`` uses it).

Start-up order matters for honest failure: config first (a broken file refuses to start),
then the single-instance lock, then the log (a damaged one is moved aside and we say so),
then the front end (tray, or the console when there is no display).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from posturebreak import config, paths, unfinished
from posturebreak.cards import remembered_exercises
from posturebreak.clock import SystemClock
from posturebreak.domain import Action, BreakKind
from posturebreak.engine import Engine
from posturebreak.exercises import ExerciseLibrary, LibraryError
from posturebreak.messages import Message, Quit, Tell
from posturebreak.policy_state import Context
from posturebreak.settings import Settings
from posturebreak.store import EventStore, StoreError
from posturebreak.today import TodayCounter
from posturebreak.writer import LogWriter

if TYPE_CHECKING:
    from posturebreak.presence import Presence
    from posturebreak.walkplan import PlanStatus

log = logging.getLogger("posturebreak")

# How far back the log is read at start-up for the exercise rotation.
ROTATION_MEMORY = timedelta(days=30)


def has_display(env: Mapping[str, str]) -> bool:
    """Whether a graphical session is there to show a tray and windows."""
    if sys.platform in {"win32", "darwin"}:
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _err(message: str) -> None:
    print(f"posturebreak: {message}", file=sys.stderr)


def _setup_logging(p: paths.Paths) -> None:
    """Log to the app log, opened 0600 without following links; without it, say so once."""
    from posturebreak.private import UnsafePathError, open_private

    root = logging.getLogger("posturebreak")
    root.setLevel(logging.INFO)
    try:
        paths.ensure_private_dir(p.data_dir)
        fd = open_private(p.app_log_file, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        why = str(exc) if isinstance(exc, UnsafePathError) else f"{p.app_log_file}: {exc.strerror}"
        _err(f"could not open its log ({why}); running without it.")
        return
    stream = os.fdopen(fd, "a", encoding="utf-8")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def run(*, console: bool = False, env: Mapping[str, str] | None = None) -> int:
    """Start the app; returns the exit status."""
    env = os.environ if env is None else env
    p = paths.resolve(env)
    try:
        settings, created = config.load_or_create(p.config_file)
    except config.ConfigError as exc:
        _err(f"{exc}\nposturebreak will not start until this is fixed; nothing was changed.")
        return 2
    if created:
        print(f"posturebreak: wrote the default settings to {p.config_file}")
    use_console = console or not has_display(env)
    if use_console and not sys.stdin.isatty() and not console:
        _err(
            "no display and no terminal to show reminders in. Start it from a desktop session, "
            "or in a terminal with `posturebreak run --console`."
        )
        return 1
    if use_console and not console:
        print("posturebreak: no display found, so reminders will appear in this terminal.")
    from posturebreak.control import AlreadyRunning, ControlError, InstanceLock
    from posturebreak.private import UnsafePathError

    lock = InstanceLock(p)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        _err(str(exc))
        return 1
    except UnsafePathError as exc:  # a planted link or another user's file: one line
        _err(str(exc))
        return 1
    except OSError as exc:
        _err(f"cannot use {p.runtime_dir}: {exc.strerror}. Check that the directory is writable.")
        return 1
    try:
        _setup_logging(p)
        return _run_locked(settings, p, env, use_console=use_console)
    except ControlError as exc:
        _err(f"cannot open the control channel: {exc}")
        return 1
    finally:
        lock.release()


def _run_locked(
    settings: Settings, p: paths.Paths, env: Mapping[str, str], *, use_console: bool
) -> int:
    opened = _open_log(p)
    if opened is None:
        return 1
    store, writer = opened
    try:
        return _run_with_log(settings, p, env, store, writer, use_console=use_console)
    finally:
        left = writer.close()
        if left:
            _err(
                f"{len(left)} event(s) could not be saved: neither the log nor the spool"
                f" {p.spool_file} could take them. Free some disk space before the next start."
            )


def _open_log(p: paths.Paths) -> tuple[EventStore, LogWriter] | None:
    """The log and its writer, with last run's spool merged in; ``None`` after saying why."""
    from posturebreak.private import UnsafePathError
    from posturebreak.spool import Spool

    try:
        store, moved = EventStore.open(p.db_file)
    except StoreError as exc:
        _err(str(exc))
        return None
    if moved is not None:
        _err(
            f"the log {moved.original} could not be read ({moved.reason}). It was kept as "
            f"{moved.moved_to} and a new log was started."
        )
    try:
        spool = Spool.open(p.spool_file)
    except OSError as exc:
        store.close()
        why = str(exc) if isinstance(exc, UnsafePathError) else f"{p.spool_file}: {exc.strerror}"
        _err(f"cannot open the spool ({why}); check that {p.data_dir} is yours and writable.")
        return None
    clock = SystemClock()
    writer = LogWriter(store, spool, clock)
    writer.recover()  # what a locked or full log kept back last time goes in first
    return store, writer


def _run_with_log(
    settings: Settings,
    p: paths.Paths,
    env: Mapping[str, str],
    store: EventStore,
    writer: LogWriter,
    *,
    use_console: bool,
) -> int:
    clock = SystemClock()
    now = clock.now()
    # A prompt or break left open by a crash or kill -9 gets its one outcome now; what the
    # spool still holds (the log locked since) comes after everything in the log.
    waiting = writer.pending()
    tail = unfinished.tail(store) + waiting
    writer.write_now(unfinished.closing_events(tail, settings.prompt.timeout, now))
    plan_now = walk_plan(settings, store, now)
    ctx = Context(
        settings,
        None,
        plan_now.target if plan_now else None,
        plan_now.headline() if plan_now else "",
    )
    since = now - ROTATION_MEMORY
    recent = store.events(since=since) + [e for e in writer.pending() if e.at >= since]
    today = TodayCounter(None, recent, settings.schedule)
    try:
        library: ExerciseLibrary | None = ExerciseLibrary.load()
    except LibraryError as exc:
        log.warning("exercise library unavailable: %s", exc)
        library = None
    shown = remembered_exercises(recent)
    log_env = LogEnv(writer, lambda: store.count() == 0 and not writer.pending())
    if use_console:
        return _run_console(
            ctx, clock=clock, log_env=log_env, p=p, today=today, library=library, shown=shown
        )
    from posturebreak.desktop.launch import run_desktop

    return run_desktop(
        ctx, clock=clock, log_env=log_env, p=p, env=env, today=today, library=library, shown=shown
    )


@dataclass(frozen=True)
class LogEnv:
    """The log as the front ends see it: the writer, and whether the log is empty.

    ``is_empty`` reads the log itself, so it may be asked only before the writer starts (by
    the welcome, while the front end is built).
    """

    writer: LogWriter
    is_empty: Callable[[], bool]


def walk_plan(settings: Settings, store: EventStore, now: datetime) -> PlanStatus | None:
    """Where the progressive walking plan stands today (``None`` when it is off)."""
    from posturebreak import walkplan

    if not settings.walking_plan.enabled:
        return None
    events = store.events(
        since=now - walkplan.HISTORY, kinds=[BreakKind.WALK], actions=walkplan.RELEVANT
    ) + store.events(since=now - walkplan.HISTORY, actions=[Action.PLAN_RESET])
    return walkplan.current_target(settings, events, now, None)


def presence_for(settings: Settings, env: Mapping[str, str], holder: list[Engine]) -> Presence:
    """The presence adapter (idle, screen lock, do-not-disturb) waking the engine in ``holder``."""
    from posturebreak.presence import make_presence

    def wake(reason: str) -> None:
        holder[0].wake(reason)

    return make_presence(settings, env, wake)


@contextlib.contextmanager
def serving(
    engine: Engine, p: paths.Paths, presence: Presence, writer: LogWriter
) -> Iterator[None]:
    """Run the writer, scheduler, control channel and presence watcher around the loop.

    The owner closes the writer once the loop is done: its last events are queued by then.
    """
    from posturebreak.control import ControlServer
    from posturebreak.scheduling import WakeupScheduler

    writer.attach_notices(lambda note: engine.post(Tell(note)))
    writer.start()
    scheduler = WakeupScheduler(engine.wake)
    engine.attach_wakeup(scheduler)
    server = ControlServer(p, engine.handle_control)
    scheduler.start()
    try:
        server.start()
        presence.start(engine.next_due)
        try:
            yield
        finally:
            presence.close()
            server.stop()
    finally:
        scheduler.shutdown()


def quit_on_signals(post_quit: Callable[[], None]) -> None:
    """SIGTERM / SIGINT / SIGHUP end the app cleanly (main thread only)."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        post_quit()

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, handler)


def _run_console(
    ctx: Context,
    *,
    clock: SystemClock,
    log_env: LogEnv,
    p: paths.Paths,
    today: TodayCounter,
    library: ExerciseLibrary | None,
    shown: Mapping[BreakKind, list[str]],
) -> int:
    from posturebreak.console import HELP, ConsoleFrontEnd
    from posturebreak.welcome import Home, welcome_for

    holder: list[Engine] = []

    def post(message: Message) -> None:
        holder[0].post(message)

    welcome = welcome_for(
        p.data_dir,
        log_is_empty=log_env.is_empty,
        home=Home.CONSOLE,
        say=lambda text: print(text, flush=True),
    )
    front = ConsoleFrontEnd(post, sys.stdout, sys.stdin, welcome)
    presence = presence_for(ctx.settings, os.environ, holder)
    engine = Engine(
        ctx,
        clock,
        log_env.writer,
        front,
        presence=presence,
        today=today,
        library=library,
        shown=shown,
    )
    holder.append(engine)
    quit_on_signals(lambda: engine.post(Quit()))
    print(f"posturebreak is running in this terminal. {HELP}", flush=True)
    if presence.notice:
        print(f"posturebreak: {presence.notice}")
    with _terminal_restored(), serving(engine, p, presence, log_env.writer):
        threading.Thread(target=front.read_keys, name="console-keys", daemon=True).start()
        engine.run()
    front.stop()
    print("posturebreak stopped.")
    return 0


@contextlib.contextmanager
def _terminal_restored() -> Iterator[None]:
    """Put the terminal back as it was, even if the key reader is still in cbreak mode."""
    if not sys.stdin.isatty() or sys.platform == "win32":
        yield
        return
    import termios

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        yield
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
