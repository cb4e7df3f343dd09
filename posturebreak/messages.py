"""The messages other threads put on the engine's queue, and the answer slots they wait on."""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from posturebreak.core.commands import Command
from posturebreak.core.effects import Notify


@dataclass(frozen=True)
class Tick:
    """Time to look at the clock (``reason`` is for the diagnostic log)."""

    reason: str = "timer"


@dataclass
class Reply:
    """A one-shot answer slot for a request made from another thread."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Mapping[str, object] = field(default_factory=dict)

    def set(self, value: Mapping[str, object]) -> None:
        """Answer (engine thread)."""
        self.value = value
        self.done.set()

    def wait(self, timeout: float) -> Mapping[str, object]:
        """Wait for the answer (requesting thread); ``pending`` if it is still on its way."""
        if not self.done.wait(timeout):
            return {"ok": False, "pending": True, "error": "posturebreak is still working on it"}
        return self.value


@dataclass(frozen=True)
class Do:
    """Apply a person's command; ``reply`` (if any) receives the outcome."""

    command: Command
    reply: Reply | None = None


@dataclass(frozen=True)
class Query:
    """Ask for the status."""

    reply: Reply


@dataclass(frozen=True)
class Quit:
    """Stop the loop; an open prompt or a running break is closed with its outcome first."""

    reply: Reply | None = None


@dataclass(frozen=True)
class Tell:
    """Show a notice from another part of the app (the log writer's trouble notices)."""

    note: Notify


Message = Tick | Do | Query | Quit | Tell


class Answers:
    """The replies to the last control requests by id (control server threads).

    A bounded memory: a client retries within seconds, never after hundreds of requests.
    """

    KEEP = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Reply] = {}

    def slot(self, request_id: str | None) -> tuple[Reply, bool]:
        """The reply for ``request_id`` and whether this is its first arrival."""
        if request_id is None:
            return Reply(), True
        with self._lock:
            known = self._by_id.get(request_id)
            if known is not None:
                return known, False
            reply = self._by_id[request_id] = Reply()
            while len(self._by_id) > self.KEEP:
                del self._by_id[next(iter(self._by_id))]  # dicts keep insertion order
            return reply, True


class Inbox:
    """The engine's queue, made first so everything can be built around it.

    Any thread posts (the scheduler, the presence watcher, the control server, the tray, the
    break window's reader, the log writer); only the engine thread takes.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[Message] = queue.Queue()

    def post(self, msg: Message) -> None:
        """Queue ``msg`` for the engine (any thread)."""
        self._queue.put(msg)

    def wake(self, reason: str = "timer") -> None:
        """Ask for a tick (any thread: the scheduler's and the presence watcher's callback)."""
        self._queue.put(Tick(reason))

    def tell(self, note: Notify) -> None:
        """Show ``note`` through the engine's front end (any thread: the log writer's)."""
        self._queue.put(Tell(note))

    def take(self) -> Message:
        """The next message, waiting for one (engine thread)."""
        return self._queue.get()

    def take_waiting(self) -> Message | None:
        """The next message if one is queued, else ``None`` (engine thread)."""
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None
