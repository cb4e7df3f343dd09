"""The presence watcher: when to look again, and event sources that wake it early.

:class:`PresenceWatcher` runs on its own thread. It samples the presence port rarely when
the next prompt is far, more often near it (:func:`sample_interval`), and sleeps in
``select()`` on every :class:`EventSource` it has: an X11 input watch (armed only while the
person is away), a session bus (screen saver signals, Mutter idle watches), a system bus
(logind lock signals). Any event means "look now"; a changed sample means
``wake("presence")``. A source that fails is logged once and dropped: sampling goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

log = logging.getLogger("posturebreak.presence.sensor")

# Watcher sampling: far from a prompt / close to one (lower bound) / while a prompt is held /
# while away without an event for the return.
FAR = timedelta(minutes=5)
CLOSE = timedelta(seconds=15)
HELD = timedelta(seconds=10)
AWAY = timedelta(seconds=30)


@dataclass(frozen=True)
class Sample:
    """What the watcher compares between two looks (``idle`` only sets the next look).

    ``locked`` is compared too: a lock during a silent call changes nothing else, and the
    engine must hear of it (it makes the person away).
    """

    away: bool
    hold: str
    idle: timedelta | None = field(default=None, compare=False)
    locked: bool = False


class SamplerPort(Protocol):
    """What the watcher looks at (the presence adapter). Watcher thread; thread-safe."""

    @property
    def away_after(self) -> timedelta:
        """Idle at least this long counts as away."""
        ...

    def sample(self) -> Sample:
        """Look now."""
        ...

    def until_due(self) -> timedelta | None:
        """Time to the next prompt, or ``None`` when unknown."""
        ...


class EventSource(Protocol):
    """Something that becomes readable when presence may have changed. Watcher thread only.

    Any method may raise when the source breaks; the watcher then closes and drops it.
    """

    name: str
    leaving: bool  # it sees the person leave (present -> away) without sampling
    returning: bool  # it sees the person come back (away -> present)

    def fileno(self) -> int:
        """A descriptor for ``select()``."""
        ...

    def set_away(self, away: bool) -> None:
        """The person is away (arm what sees them return) or present (disarm it)."""
        ...

    def drain(self) -> bool:
        """Read what arrived without blocking; ``True`` if presence may have changed."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class InputWaiter(Protocol):
    """A watch that becomes readable at the next input once armed (X11). Watcher thread."""

    def fileno(self) -> int:
        """A descriptor for ``select()``."""
        ...

    def arm(self) -> None:
        """Start listening."""
        ...

    def disarm(self) -> None:
        """Stop listening."""
        ...

    def drain(self) -> bool:
        """Read what arrived; ``True`` if it was input."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class InputSource:
    """An :class:`InputWaiter` as an :class:`EventSource`: armed only while away."""

    name = "input watch"
    leaving = False
    returning = True

    def __init__(self, waiter: InputWaiter) -> None:
        self._waiter = waiter

    def fileno(self) -> int:
        """The waiter's descriptor."""
        return self._waiter.fileno()

    def set_away(self, away: bool) -> None:
        """Arm while away (after dropping stale input), disarm while present: typing is free."""
        if away:
            self._waiter.drain()
            self._waiter.arm()
        else:
            self._waiter.disarm()

    def drain(self) -> bool:
        """``True`` if input came."""
        return self._waiter.drain()

    def close(self) -> None:
        """Close the waiter."""
        self._waiter.close()


def sample_interval(
    until_due: timedelta | None,
    last: Sample,
    away_after: timedelta,
    *,
    watching: bool,
    leaving: bool = False,
) -> timedelta:
    """How long the watcher sleeps before looking again. Pure.

    Present: rarely (half the time to the next prompt, between ``CLOSE`` and ``FAR``); and,
    unless an event says when the person leaves (``leaving``), exactly when they would count
    as away if they stay idle (``away_after - idle``: one look per ``away_after`` while they
    type), so every absence long enough to matter is seen while it lasts. Held: every
    ``HELD``, to release the prompt soon after the meeting ends. Away: ``AWAY`` — or ``FAR``
    when an event says when they return (``watching``).
    """
    if last.hold:
        return HELD
    if last.away:
        return FAR if watching else AWAY
    due = FAR if until_due is None else min(FAR, max(CLOSE, until_due / 2))
    if last.idle is None or leaving:
        return due
    # A little past the threshold, so the look lands on the away side of it.
    until_away = away_after - last.idle + timedelta(milliseconds=200)
    return max(timedelta(milliseconds=200), min(due, until_away))


class PresenceWatcher:
    """Calls ``wake("presence")`` when the person leaves, returns, or a hold starts or ends."""

    def __init__(
        self,
        presence: SamplerPort,
        wake: Callable[[str], None],
        *,
        sources: Sequence[EventSource] = (),
        interval: Callable[..., timedelta] = sample_interval,
    ) -> None:
        self._presence = presence
        self._interval = interval
        self._wake = wake
        self._sources = list(sources)
        self._stop = threading.Event()
        self._pipe = os.pipe() if self._sources else None
        self._thread = threading.Thread(target=self._run, name="presence", daemon=True)
        self.samples = 0

    @property
    def sources(self) -> tuple[str, ...]:
        """The names of the event sources still in use."""
        return tuple(s.name for s in self._sources)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, wait for it (bounded) and close the sources."""
        self._stop.set()
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                os.write(self._pipe[1], b"x")
        if self._thread.is_alive():
            self._thread.join(5.0)
        for source in self._sources:
            with contextlib.suppress(Exception):
                source.close()
        self._sources = []
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None

    def _run(self) -> None:
        try:
            last = self._presence.sample()
            while not self._stop.is_set():
                interval = self._interval(
                    self._presence.until_due(),
                    last,
                    self._presence.away_after,
                    watching=any(s.returning for s in self._sources),
                    leaving=any(s.leaving for s in self._sources),
                )

                def tell(source: EventSource, away: bool = last.away) -> None:
                    source.set_away(away)

                self._each(tell)
                if self._wait(interval):
                    return
                self.samples += 1
                now = self._presence.sample()
                if now != last:
                    log.info("presence: away=%s hold=%r", now.away, now.hold)
                    self._wake("presence")
                last = now
        except Exception:
            # A broken desktop service must not end the app; reminders go on without the watcher.
            log.exception("the presence watcher stopped")

    def _each(self, act: Callable[[EventSource], object]) -> bool:
        """Apply ``act`` to every source, dropping those that fail; ``True`` if any said so."""
        said = [self._try(source, act) for source in list(self._sources)]
        return any(said)

    def _try(self, source: EventSource, act: Callable[[EventSource], object]) -> bool:
        try:
            return bool(act(source))
        except Exception as exc:  # noqa: BLE001  each source fails its own way; none may stop us
            log.warning("%s lost (%s); presence is sampled instead", source.name, exc)
            self._sources.remove(source)
            with contextlib.suppress(Exception):
                source.close()
            return False

    def _wait(self, interval: timedelta) -> bool:
        """Sleep up to ``interval``, less if an event arrives; ``True`` to stop."""
        deadline = time.monotonic() + interval.total_seconds()
        while self._sources and self._pipe is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return self._stop.is_set()
            fds = {s.fileno(): s for s in self._sources}
            readable, _w, _x = select.select([*fds, self._pipe[0]], [], [], left)
            if self._stop.is_set():
                return True
            ready = [fds[fd] for fd in readable if fd in fds]

            def drain(source: EventSource, ready: list[EventSource] = ready) -> bool:
                return source in ready and source.drain()

            if self._each(drain):
                return False
        return self._stop.wait(max(0.0, deadline - time.monotonic()))
