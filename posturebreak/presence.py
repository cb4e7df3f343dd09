"""Is the person at the desk, and may we interrupt them? The engine's ``PresencePort``.

- ``idle()``: the platform idle probe (``posturebreak.idle``); a locked screen (logind
  ``LockedHint`` / ``org.freedesktop.ScreenSaver.GetActive``) reads as at least ``away_after``,
  growing from the moment the lock was first seen, so the policy counts the person away.
- ``hold()``: why a due prompt should wait: ``"meeting"`` (a process holds a camera
  ``/dev/video*`` or an ALSA capture device ``/dev/snd/pcmC*D*c`` open), ``"<app> focused"``
  (the focused window is one of ``[do_not_disturb] apps``), ``"fullscreen"`` (X11
  ``_NET_WM_STATE_FULLSCREEN`` on the active window). The ``/proc`` scan runs only when a
  prompt is near or already held back.
- :class:`PresenceWatcher`: wakes the engine (``wake("presence")``) when any of that changes.
  It samples rarely when the next prompt is far (every ``FAR``), more often near it, and while
  the person is away it sleeps in ``select()`` on an X11 XInput watch until they touch
  something, instead of polling. Other event sources (Mutter ``AddUserActiveWatch``, logind
  ``Lock``/``Unlock`` signals) fit the same :class:`InputWaiter` slot.

Threads: the engine thread calls ``idle()``/``hold()``; the watcher thread calls ``sample()``.
One lock serialises them, since the probes' connections are not thread-safe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from posturebreak.clock import SystemClock
from posturebreak.idle import IdleProbe, ProbeError, make_probe
from posturebreak.idle.x11 import ActiveWindow
from posturebreak.policy import MEETING_HOLD
from posturebreak.settings import IdleProbeName, Settings

log = logging.getLogger("posturebreak.presence")

FULLSCREEN_HOLD = "fullscreen"

# Scan for meetings (and report holds) only when the next prompt is at most this far away.
NEAR = timedelta(minutes=2)
# Watcher sampling: far from a prompt / close to one (lower bound) / while a prompt is held /
# while away without an event-driven input watch.
FAR = timedelta(minutes=5)
CLOSE = timedelta(seconds=15)
HELD = timedelta(seconds=10)
AWAY = timedelta(seconds=30)


class LockPort(Protocol):
    """Whether the screen is locked. One thread at a time."""

    def locked(self) -> bool | None:
        """``True``/``False``, or ``None`` when nobody can say."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class WindowPort(Protocol):
    """The focused window. One thread at a time."""

    def active(self) -> ActiveWindow | None:
        """The active window, or ``None`` when none is focused."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class MeetingPort(Protocol):
    """Whether a camera or microphone is in use (a meeting). One thread at a time."""

    def in_use(self) -> bool:
        """``True`` while some other program captures video or sound."""
        ...

    def close(self) -> None:
        """Release what the check holds."""
        ...


class InputWaiter(Protocol):
    """An event source that becomes readable at the next input. Watcher thread only."""

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


def app_focused(apps: Iterable[str], win: ActiveWindow) -> str:
    """The configured app the window belongs to (``WM_CLASS`` or title match), or ``""``."""
    classes = {c.casefold() for c in win.wm_class}
    title = win.title.casefold()
    for app in apps:
        key = app.strip().casefold()
        if key and (key in classes or key in title):
            return app.strip()
    return ""


@dataclass(frozen=True)
class Sample:
    """What the watcher compares between two looks (``idle`` only sets the next look)."""

    away: bool
    hold: str
    idle: timedelta | None = field(default=None, compare=False)


def _now() -> datetime:
    return SystemClock().now()


class Presence:
    """The engine's ``PresencePort``.

    ``idle()``/``hold()`` run on the engine thread, ``sample()`` on the watcher thread.
    """

    def __init__(
        self,
        settings: Settings,
        probe: IdleProbe,
        *,
        lock: LockPort | None = None,
        windows: WindowPort | None = None,
        meeting: MeetingPort | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wake: Callable[[str], None] | None = None,
        watch: InputWaiter | None = None,
    ) -> None:
        self._settings = settings
        self._probe = probe
        self._lock_port = lock
        self._windows = windows
        self._meeting_port = meeting
        self._monotonic = monotonic
        self._mutex = threading.Lock()
        self._locked_since: float | None = None
        self._held = ""
        self._next_due: Callable[[], datetime | None] | None = None
        self._wake = wake
        self._watch = watch
        self._watcher: PresenceWatcher | None = None

    @property
    def notice(self) -> str:
        """One line for ``status`` when idle time is unknown (else ``""``)."""
        return self._probe.notice

    @property
    def away_after(self) -> timedelta:
        """Idle at least this long counts as away (from the settings)."""
        return self._settings.idle.away_after

    @property
    def probe_name(self) -> str:
        """The idle source in use."""
        return self._probe.name

    def set_next_due(self, next_due: Callable[[], datetime | None]) -> None:
        """Tell the port when the next prompt is due (any thread; read under the lock)."""
        with self._mutex:
            self._next_due = next_due

    def idle(self) -> timedelta | None:
        """Time since the last input; a locked screen counts as away. Engine thread."""
        with self._mutex:
            return self._idle()

    def hold(self) -> str:
        """Why a due prompt should wait now, or ``""``. Engine thread."""
        with self._mutex:
            self._held = self._hold(near=self._near())
            return self._held

    def sample(self) -> Sample:
        """Away or not, and the hold when a prompt is near. Watcher thread."""
        with self._mutex:
            idle = self._idle()
            away = idle is not None and idle >= self._settings.idle.away_after
            near = self._near()
            return Sample(away=away, hold=self._hold(near=near) if near else "", idle=idle)

    def until_due(self) -> timedelta | None:
        """Time to the next prompt as the engine last said, or ``None`` when unknown."""
        with self._mutex:
            return self._until_due()

    def _until_due(self) -> timedelta | None:
        due = self._next_due() if self._next_due is not None else None
        return None if due is None else due - _now()

    def _near(self) -> bool:
        if self._held:
            return True
        if self._next_due is None:
            return True  # nobody says when: check every time rather than miss a meeting
        left = self._until_due()
        return left is not None and left <= NEAR

    def _idle(self) -> timedelta | None:
        idle = self._probe.idle()
        locked = self._lock_port.locked() if self._lock_port is not None else None
        if not locked:
            self._locked_since = None
            return idle
        if self._locked_since is None:
            self._locked_since = self._monotonic()
        since = timedelta(seconds=self._monotonic() - self._locked_since)
        return max(idle or timedelta(0), since, self._settings.idle.away_after)

    def _hold(self, *, near: bool) -> str:
        dnd = self._settings.dnd
        if dnd.meetings and near and self._meeting_port is not None and self._meeting_port.in_use():
            return MEETING_HOLD
        if self._windows is None or not (dnd.apps or dnd.fullscreen):
            return ""
        win = self._windows.active()
        if win is None:
            return ""
        app = app_focused(dnd.apps, win)
        if app:
            return f"{app} focused"
        return FULLSCREEN_HOLD if dnd.fullscreen and win.fullscreen else ""

    def start(self, next_due: Callable[[], datetime | None]) -> None:
        """Start the watcher thread (once, after the engine exists; needs ``wake``).

        ``next_due`` says when the next prompt is due (any thread may call it), e.g.
        ``lambda: engine.view.next_at if engine.view else None``.
        """
        self.set_next_due(next_due)
        if self._wake is None or self._watcher is not None:
            return
        self._watcher = PresenceWatcher(self, self._wake, watch=self._watch)
        self._watcher.start()

    @property
    def watcher(self) -> PresenceWatcher | None:
        """The running watcher (benchmarks read its ``samples``)."""
        return self._watcher

    def close(self) -> None:
        """Stop the watcher and release every connection."""
        if self._watcher is not None:
            self._watcher.stop()
        elif self._watch is not None:
            self._watch.close()
        with self._mutex:
            for port in (self._probe, self._lock_port, self._windows, self._meeting_port):
                if port is not None:
                    port.close()


def sample_interval(
    until_due: timedelta | None,
    last: Sample,
    away_after: timedelta,
    *,
    watching: bool,
) -> timedelta:
    """How long the watcher sleeps before looking again. Pure.

    Present: look again exactly when the person would count as away if they stay idle
    (``away_after - idle``: one look per ``away_after`` while they type), so every absence
    long enough to matter is seen while it lasts; and rarely otherwise (half the time to the
    next prompt, between ``CLOSE`` and ``FAR``). Held: every ``HELD``, to release the prompt
    soon after the meeting ends. Away: ``AWAY`` — or ``FAR`` when an input watch wakes us.
    """
    if last.hold:
        return HELD
    if last.away:
        return FAR if watching else AWAY
    due = FAR if until_due is None else min(FAR, max(CLOSE, until_due / 2))
    if last.idle is None:
        return due
    # A little past the threshold, so the look lands on the away side of it.
    until_away = away_after - last.idle + timedelta(milliseconds=200)
    return max(timedelta(milliseconds=200), min(due, until_away))


class PresenceWatcher:
    """Calls ``wake("presence")`` when the person leaves, returns, or a hold starts or ends."""

    def __init__(
        self,
        presence: Presence,
        wake: Callable[[str], None],
        *,
        watch: InputWaiter | None = None,
        interval: Callable[..., timedelta] = sample_interval,
    ) -> None:
        self._presence = presence
        self._interval = interval
        self._wake = wake
        self._watch = watch
        self._stop = threading.Event()
        self._pipe = os.pipe() if watch is not None else None
        self._thread = threading.Thread(target=self._run, name="presence", daemon=True)
        self.samples = 0

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (bounded)."""
        self._stop.set()
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                os.write(self._pipe[1], b"x")
        if self._thread.is_alive():
            self._thread.join(5.0)
        if self._watch is not None:
            self._watch.close()
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)

    def _run(self) -> None:
        try:
            last = self._presence.sample()
            while not self._stop.is_set():
                interval = self._interval(
                    self._presence.until_due(),
                    last,
                    self._presence.away_after,
                    watching=self._watch is not None,
                )
                if self._wait(interval, away=last.away):
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

    def _wait(self, interval: timedelta, *, away: bool) -> bool:
        """Sleep up to ``interval`` (less if input arrives while away); ``True`` to stop."""
        watch, pipe = self._watch, self._pipe
        if watch is None or pipe is None:
            return self._stop.wait(interval.total_seconds())
        if away:
            watch.drain()
            watch.arm()
        else:
            watch.disarm()
        readable, _w, _x = select.select(
            [watch.fileno(), pipe[0]], [], [], interval.total_seconds()
        )
        if watch.fileno() in readable:
            watch.drain()
        return self._stop.is_set()


def make_presence(
    settings: Settings,
    env: Mapping[str, str],
    wake: Callable[[str], None],
    platform: str = sys.platform,
) -> Presence:
    """The real presence adapter for this session; ``start(next_due)`` runs its watcher.

    ``wake`` is called from the watcher thread (``engine.wake``).
    """
    probe = make_probe(settings.idle.probe, env, platform)
    if probe.notice:
        log.warning("%s", probe.notice)
    lock: LockPort | None = None
    windows: WindowPort | None = None
    watch: InputWaiter | None = None
    meeting: MeetingPort | None = None
    if platform.startswith("linux"):
        from posturebreak.idle.capture import ProcCapture
        from posturebreak.idle.dbus import ScreenLock

        lock = ScreenLock()
        meeting = ProcCapture()
    if probe.name == IdleProbeName.X11.value:
        from posturebreak.idle.x11 import InputWatch, X11Windows

        with contextlib.suppress(ProbeError):
            windows = X11Windows(env.get("DISPLAY"))
        with contextlib.suppress(ProbeError):
            watch = InputWatch(env.get("DISPLAY"))
    return Presence(
        settings, probe, lock=lock, windows=windows, meeting=meeting, wake=wake, watch=watch
    )
