"""Starting the app: config, the single-instance lock, the log, then a front end.

Start-up order matters for honest failure: config first (a broken file refuses to start),
then the single-instance lock, then the log (a damaged one is moved aside and we say so, and
what the spool kept from last time goes in first), then the front end (tray, or the console
when there is no display). ``run`` is the only entry: ``posturebreak run``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from posturebreak import config, paths
from posturebreak.app.wiring import Startup
from posturebreak.clock import SystemClock
from posturebreak.core import unfinished
from posturebreak.core.cards import remembered_exercises
from posturebreak.core.domain import Action, BreakKind
from posturebreak.core.exercises import ExerciseLibrary, LibraryError
from posturebreak.core.policy_state import Context
from posturebreak.core.settings import Settings
from posturebreak.core.today import TodayCounter
from posturebreak.messages import Inbox
from posturebreak.storage.store import EventStore, StoreError
from posturebreak.storage.writer import LogWriter

if TYPE_CHECKING:
    from posturebreak.core.walkplan import PlanStatus

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
    from posturebreak.control.errors import AlreadyRunning, ControlError
    from posturebreak.control.instance import InstanceLock
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
    # The engine's queue comes first: everything else is built around it.
    inbox = Inbox()
    opened = _open_log(p, inbox)
    if opened is None:
        return 1
    store, writer = opened
    try:
        startup = _read_startup(settings, p, env=env, store=store, writer=writer, inbox=inbox)
        if use_console:
            from posturebreak.app.console import run_console

            return run_console(startup)
        from posturebreak.app.desktop import run_desktop

        return run_desktop(startup)
    finally:
        left = writer.close()
        if left:
            _err(
                f"{len(left)} event(s) could not be saved: neither the log nor the spool"
                f" {p.spool_file} could take them. Free some disk space before the next start."
            )


def _open_log(p: paths.Paths, inbox: Inbox) -> tuple[EventStore, LogWriter] | None:
    """The log and its writer, with last run's spool merged in; ``None`` after saying why."""
    from posturebreak.private import UnsafePathError
    from posturebreak.storage.spool import Spool

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
    writer = LogWriter(store, spool, SystemClock(), tell=inbox.tell)
    writer.recover()  # what a locked or full log kept back last time goes in first
    return store, writer


def _read_startup(
    settings: Settings,
    p: paths.Paths,
    *,
    env: Mapping[str, str],
    store: EventStore,
    writer: LogWriter,
    inbox: Inbox,
) -> Startup:
    """What the engine starts from, read from the log before the writer thread owns it."""
    clock = SystemClock()
    now = clock.now()
    # A prompt or break left open by a crash or kill -9 gets its one outcome now; what the
    # spool still holds (the log locked since) comes after everything in the log.
    tail = unfinished.tail(store) + writer.pending()
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
    try:
        library: ExerciseLibrary | None = ExerciseLibrary.load()
    except LibraryError as exc:
        log.warning("exercise library unavailable: %s", exc)
        library = None
    return Startup(
        ctx=ctx,
        clock=clock,
        paths=p,
        env=env,
        inbox=inbox,
        writer=writer,
        log_is_empty=lambda: store.count() == 0 and not writer.pending(),
        today=TodayCounter(None, recent, settings.schedule),
        library=library,
        shown=remembered_exercises(recent),
    )


def walk_plan(settings: Settings, store: EventStore, now: datetime) -> PlanStatus | None:
    """Where the progressive walking plan stands today (``None`` when it is off)."""
    from posturebreak.core import walkplan

    if not settings.walking_plan.enabled:
        return None
    events = store.events(
        since=now - walkplan.HISTORY, kinds=[BreakKind.WALK], actions=walkplan.RELEVANT
    ) + store.events(since=now - walkplan.HISTORY, actions=[Action.PLAN_RESET])
    return walkplan.current_target(settings, events, now, None)
