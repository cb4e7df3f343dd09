"""The messages other threads put on the engine's queue, and the answer slots they wait on."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from posturebreak.commands import Command
from posturebreak.effects import Notify


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
