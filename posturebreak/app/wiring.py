"""What the console and the desktop are both built from, and what runs around the loop."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from posturebreak import paths
from posturebreak.clock import SystemClock
from posturebreak.core.domain import BreakKind
from posturebreak.core.exercises import ExerciseLibrary
from posturebreak.core.policy_state import Context
from posturebreak.core.today import TodayCounter
from posturebreak.engine import Engine, FrontEnd
from posturebreak.messages import Inbox, Quit
from posturebreak.storage.writer import LogWriter

if TYPE_CHECKING:
    from posturebreak.presence.sensor import Presence
    from posturebreak.scheduling import WakeupScheduler


@dataclass(frozen=True)
class Startup:
    """Everything read at start, and the two things every part posts to or writes through.

    ``inbox`` is the engine's queue, made first; ``writer`` owns the log from the moment
    :func:`serving` starts it, so ``log_is_empty`` (for the welcome) reads the log and may be
    asked only before that, while the front end is built.
    """

    ctx: Context
    clock: SystemClock
    paths: paths.Paths
    env: Mapping[str, str]
    inbox: Inbox
    writer: LogWriter
    log_is_empty: Callable[[], bool]
    today: TodayCounter
    library: ExerciseLibrary | None
    shown: Mapping[BreakKind, list[str]]


def build_engine(
    s: Startup,
    front: FrontEnd,
    presence: Presence,
    scheduler: WakeupScheduler,
    on_quit: Callable[[], None] | None = None,
) -> Engine:
    """The engine, with every port it needs at once (nothing attached later)."""
    return Engine(
        s.ctx,
        s.clock,
        s.writer,
        front,
        scheduler,
        presence=presence,
        today=s.today,
        library=s.library,
        shown=s.shown,
        on_quit=on_quit,
        inbox=s.inbox,
    )


def make_presence(s: Startup) -> Presence:
    """The presence adapter (idle, screen lock, do-not-disturb), waking the engine's inbox."""
    from posturebreak.presence.sensor import make_presence as make

    return make(s.ctx.settings, s.env, s.inbox.wake)


def make_scheduler(s: Startup) -> WakeupScheduler:
    """The one wake-up job, ticking the engine's inbox (started by :func:`serving`)."""
    from posturebreak.scheduling import WakeupScheduler

    return WakeupScheduler(s.inbox.wake)


@contextlib.contextmanager
def serving(
    s: Startup, engine: Engine, presence: Presence, scheduler: WakeupScheduler
) -> Iterator[None]:
    """Run the writer, the scheduler, the control channel and the presence watcher.

    The owner closes the writer once the loop is done: its last events are queued by then.
    """
    from posturebreak.control.server import ControlServer

    s.writer.start()
    server = ControlServer(s.paths, engine.handle_control)
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


def quit_on_signals(inbox: Inbox) -> None:
    """SIGTERM / SIGINT / SIGHUP end the app cleanly (main thread only)."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        inbox.post(Quit())

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, handler)
