"""Is the person at the desk, and may we interrupt them? The engine's ``PresencePort``.

- ``idle()``: the platform idle probe (``posturebreak.presence.idle``); a locked screen (logind
  ``LockedHint`` / ``org.freedesktop.ScreenSaver.GetActive``) reads as at least ``away_after``,
  growing from the moment the lock was first seen, so the policy counts the person away.
  ``locked()`` says whether that look saw the lock: a lock counts as away even while a hold
  is active, idle time under a hold does not (they are in a call, watching or reading).
- ``hold()``: why a due prompt should wait: ``"meeting"`` (a process holds a camera
  ``/dev/video*`` or an ALSA capture device ``/dev/snd/pcmC*D*c`` open), ``"<app> focused"``
  (the focused window is one of ``[do_not_disturb] apps``), ``"fullscreen"`` (X11
  ``_NET_WM_STATE_FULLSCREEN`` on the active window). The ``/proc`` scan runs only when a
  prompt is near, already held back, or the person looks idle (so a silent call is seen as
  one, not as an absence). Windows: the foreground window fills its monitor or
  the shell reports fullscreen/presentation mode; camera and microphone from the consent
  store (:mod:`posturebreak.presence.dnd.win_dnd`). macOS: the front window fills its display;
  CoreAudio/CoreMediaIO say a device is running (:mod:`posturebreak.presence.dnd.mac_dnd`,
  :mod:`posturebreak.presence.dnd.mac_capture`).
- :class:`~posturebreak.presence.watch.PresenceWatcher` wakes the engine (``wake("presence")``)
  when any of that changes. It samples rarely when the next prompt is far, more often near it,
  and sleeps in ``select()`` on event sources instead of polling: an X11 XInput watch while
  the person is away, logind ``Lock``/``Unlock``/``LockedHint`` and screen saver
  ``ActiveChanged`` signals, and with the GNOME probe Mutter's idle and user-active watches
  (:mod:`posturebreak.presence.idle.dbus_watch`).

Threads: the engine thread calls ``idle()``/``hold()``; the watcher thread calls ``sample()``.
One lock serialises them, since the probes' connections are not thread-safe.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from posturebreak.clock import SystemClock
from posturebreak.core.policy import MEETING_HOLD
from posturebreak.core.settings import IdleProbeName, Settings
from posturebreak.presence.idle import IdleProbe, ProbeError, make_probe
from posturebreak.presence.idle.x11 import ActiveWindow, X11Probe
from posturebreak.presence.watch import (
    CLOSE,
    FAR,
    HELD,
    EventSource,
    InputSource,
    PresenceWatcher,
    Sample,
    sample_interval,
)

__all__ = [
    "CLOSE",
    "FAR",
    "FULLSCREEN_HOLD",
    "HELD",
    "NEAR",
    "EventSource",
    "LockPort",
    "MeetingPort",
    "Presence",
    "PresenceWatcher",
    "Sample",
    "WindowPort",
    "app_focused",
    "make_presence",
    "sample_interval",
]

log = logging.getLogger("posturebreak.presence.sensor")

FULLSCREEN_HOLD = "fullscreen"

# Scan for meetings (and report holds) only when the next prompt is at most this far away.
NEAR = timedelta(minutes=2)


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


def app_focused(apps: Iterable[str], win: ActiveWindow) -> str:
    """The configured app the window belongs to (``WM_CLASS`` or title match), or ``""``."""
    classes = {c.casefold() for c in win.wm_class}
    title = win.title.casefold()
    for app in apps:
        key = app.strip().casefold()
        if key and (key in classes or key in title):
            return app.strip()
    return ""


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
        sources: Sequence[EventSource] = (),
    ) -> None:
        self._settings = settings
        self._probe = probe
        self._lock_port = lock
        self._windows = windows
        self._meeting_port = meeting
        self._monotonic = monotonic
        self._mutex = threading.Lock()
        self._locked_since: float | None = None
        self._looks_idle = False
        # When a hold was last seen (monotonic): the watcher's idle counts from then, as the
        # policy's does, so it wakes the engine when a silent call's end becomes an absence.
        self._sitting_at: float | None = None
        self._held = ""
        self._next_due: Callable[[], datetime | None] | None = None
        self._wake = wake
        self._sources = tuple(sources)
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

    def locked(self) -> bool:
        """Whether the last ``idle()`` (or sample) saw a locked screen. Engine thread."""
        with self._mutex:
            return self._locked_since is not None

    def sample(self) -> Sample:
        """Away or not, the hold when it matters, and the lock. Watcher thread.

        Mirrors the policy: idle under a hold (on an unlocked screen) is sitting, and idle
        counts only from the end of the last hold.
        """
        with self._mutex:
            idle = self._idle()
            near = self._near()
            hold = self._hold(near=near) if near else ""
            locked = self._locked_since is not None
            now = self._monotonic()
            if hold and not locked:
                self._sitting_at = now
            elif self._sitting_at is not None and idle is not None:
                idle = min(idle, timedelta(seconds=now - self._sitting_at))
            away = locked or (
                not hold and idle is not None and idle >= self._settings.idle.away_after
            )
            return Sample(away=away, hold=hold, idle=idle, locked=locked)

    def until_due(self) -> timedelta | None:
        """Time to the next prompt as the engine last said, or ``None`` when unknown."""
        with self._mutex:
            return self._until_due()

    def _until_due(self) -> timedelta | None:
        due = self._next_due() if self._next_due is not None else None
        return None if due is None else due - _now()

    def _near(self) -> bool:
        if self._held or self._looks_idle:
            return True
        if self._next_due is None:
            return True  # nobody says when: check every time rather than miss a meeting
        left = self._until_due()
        return left is not None and left <= NEAR

    def _idle(self) -> timedelta | None:
        idle = self._probe.idle()
        self._looks_idle = idle is not None and idle >= self._settings.idle.away_after
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
        self._watcher = PresenceWatcher(self, self._wake, sources=self._sources)
        self._watcher.start()

    @property
    def watcher(self) -> PresenceWatcher | None:
        """The running watcher (benchmarks read its ``samples``)."""
        return self._watcher

    def close(self) -> None:
        """Stop the watcher and release every connection."""
        if self._watcher is not None:
            self._watcher.stop()
        else:
            for source in self._sources:
                with contextlib.suppress(Exception):
                    source.close()
        with self._mutex:
            for port in (self._probe, self._lock_port, self._windows, self._meeting_port):
                if port is not None:
                    port.close()


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
    sources: list[EventSource] = []
    meeting: MeetingPort | None = None
    if platform.startswith("linux"):
        from posturebreak.presence.dnd.capture import ProcCapture
        from posturebreak.presence.idle.dbus import LockState, ScreenLock
        from posturebreak.presence.idle.dbus_watch import open_watches

        state = LockState()
        screen = ScreenLock(state, env)
        lock = screen
        meeting = ProcCapture()
        gnome = probe.name == IdleProbeName.GNOME.value
        mutter_after = settings.idle.away_after if gnome else None
        sources.extend(open_watches(state, screen.session_path, mutter_after))
    elif platform == "win32":
        from posturebreak.presence.dnd import win_dnd

        with contextlib.suppress(ProbeError):
            windows = win_dnd.open_windows(platform)
        with contextlib.suppress(ProbeError):
            meeting = win_dnd.open_capture(platform)
    elif platform == "darwin":
        from posturebreak.presence.dnd import mac_capture, mac_dnd

        with contextlib.suppress(ProbeError):
            windows = mac_dnd.open_windows(platform)
        with contextlib.suppress(ProbeError):
            meeting = mac_capture.open_capture(platform)
    if isinstance(probe, X11Probe):
        from posturebreak.presence.idle.x11 import InputWatch

        windows = probe.windows()
        with contextlib.suppress(ProbeError):
            sources.append(InputSource(InputWatch(env.get("DISPLAY"))))
    return Presence(
        settings, probe, lock=lock, windows=windows, meeting=meeting, wake=wake, sources=sources
    )
