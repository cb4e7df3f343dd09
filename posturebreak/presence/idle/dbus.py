"""A tiny D-Bus client on jeepney (pure Python): method calls, properties, screen lock.

The signal side (lock signals, Mutter idle watches) is in
:mod:`posturebreak.presence.idle.dbus_watch`.

Used by the GNOME and KDE idle probes and by the presence adapter's screen-lock check.
Every call has a short timeout and turns any failure into ``None`` or
:class:`~posturebreak.presence.idle.ProbeError`: a missing or slow desktop service must never
stop a reminder.
"""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Mapping
from typing import Any

from posturebreak.presence.idle import ProbeError

CALL_TIMEOUT_S = 1.0


def bus_errors() -> tuple[type[BaseException], ...]:
    """What a jeepney call raises when the bus or the service fails (imports jeepney)."""
    from jeepney import DBusErrorResponse

    return (DBusErrorResponse, OSError, TimeoutError, ValueError, KeyError)


class Bus:
    """One connection to the session or system bus. One thread at a time."""

    def __init__(self, which: str = "SESSION") -> None:
        try:
            from jeepney.io.blocking import open_dbus_connection

            self._conn = open_dbus_connection(bus=which)
        except ImportError as exc:
            raise ProbeError("jeepney is not installed") from exc
        except Exception as exc:  # jeepney raises KeyError, OSError, auth errors...
            raise ProbeError(f"no {which.lower()} D-Bus") from exc
        self._errors = bus_errors()

    def call(
        self,
        dest: str,
        path: str,
        interface: str,
        method: str,
        *,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        """Call a method and return the reply's body; raises on an error reply or timeout."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        addr = DBusAddress(path, bus_name=dest, interface=interface)
        msg = new_method_call(addr, method, signature, body)
        reply = self._conn.send_and_get_reply(msg, timeout=CALL_TIMEOUT_S)
        return tuple(unwrap_msg(reply))

    def try_call(
        self,
        dest: str,
        path: str,
        interface: str,
        method: str,
        *,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...] | None:
        """Like :meth:`call`, but ``None`` instead of an exception."""
        try:
            return self.call(dest, path, interface, method, signature=signature, body=body)
        except self._errors:
            return None

    def get_property(self, dest: str, path: str, interface: str, name: str) -> Any | None:  # noqa: ANN401  a D-Bus variant holds any type
        """One property's value, or ``None``."""
        body = self.try_call(
            dest,
            path,
            "org.freedesktop.DBus.Properties",
            "Get",
            signature="ss",
            body=(interface, name),
        )
        if not body:
            return None
        _signature, value = body[0]
        return value

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()


LOGIN1 = "org.freedesktop.login1"
LOGIN1_PATH = "/org/freedesktop/login1"
SESSION_IFACE = "org.freedesktop.login1.Session"
AUTO_SESSION = "/org/freedesktop/login1/session/auto"


def logind_session(bus: Bus, env: Mapping[str, str]) -> str | None:
    """The object path of this process's logind session, or ``None``.

    Signals come from the session's real path (``/org/freedesktop/login1/session/_32``), never
    from the ``auto`` alias, so resolve it: the alias's ``Id``, else our PID, else
    ``$XDG_SESSION_ID`` (a process started outside the session, e.g. by a user service).
    """
    manager = (LOGIN1, LOGIN1_PATH, "org.freedesktop.login1.Manager")
    session_id = bus.get_property(LOGIN1, AUTO_SESSION, SESSION_IFACE, "Id")
    if isinstance(session_id, str) and session_id:
        body = bus.try_call(*manager, "GetSession", signature="s", body=(session_id,))
        if body:
            return str(body[0])
    body = bus.try_call(*manager, "GetSessionByPID", signature="u", body=(os.getpid(),))
    if body:
        return str(body[0])
    session_id = env.get("XDG_SESSION_ID", "")
    if session_id:
        body = bus.try_call(*manager, "GetSession", signature="s", body=(session_id,))
        if body:
            return str(body[0])
    return None


class LockSource(enum.Enum):
    """Who says the screen is locked: logind (system bus) or a screen saver (session bus)."""

    LOGIND = "logind"
    SAVER = "screensaver"


class LockState:
    """What lock signals last said, per source; ``None`` until one arrives. Any thread.

    The D-Bus watches (watcher thread) write it; :class:`ScreenLock` (under the presence
    lock) reads it. A source whose connection is lost is forgotten, so polling takes over.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._said: dict[LockSource, bool] = {}

    def set(self, source: LockSource, locked: bool) -> None:
        """Record what a signal said."""
        with self._mutex:
            self._said[source] = locked

    def get(self, source: LockSource) -> bool | None:
        """The last signalled state, or ``None`` when no signal came (or it was forgotten)."""
        with self._mutex:
            return self._said.get(source)

    def forget(self, source: LockSource) -> None:
        """Drop what ``source`` said (its connection is gone)."""
        with self._mutex:
            self._said.pop(source, None)


class ScreenLock:
    """Whether the screen is locked: logind's ``LockedHint``, else the ScreenSaver's ``GetActive``.

    A signal seen by a D-Bus watch (``state``) wins over a poll of the same source, so a
    ``Lock`` signal counts even before the locker sets ``LockedHint``. One thread at a time.
    Either bus may be missing; with neither, :meth:`locked` is ``None``.
    """

    def __init__(
        self, state: LockState | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self._state = state if state is not None else LockState()
        self._system: Bus | None = None
        self._session: Bus | None = None
        self.session_path: str | None = None
        try:
            self._system = Bus("SYSTEM")
        except ProbeError:
            self._system = None
        else:
            self.session_path = logind_session(self._system, os.environ if env is None else env)
        try:
            self._session = Bus("SESSION")
        except ProbeError:
            self._session = None

    def _hint(self) -> bool | None:
        said = self._state.get(LockSource.LOGIND)
        if said is not None or self._system is None:
            return said
        hint = self._system.get_property(
            LOGIN1, self.session_path or AUTO_SESSION, SESSION_IFACE, "LockedHint"
        )
        return hint if isinstance(hint, bool) else None

    def _saver(self) -> bool | None:
        said = self._state.get(LockSource.SAVER)
        if said is not None or self._session is None:
            return said
        body = self._session.try_call(
            "org.freedesktop.ScreenSaver",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver",
            "GetActive",
        )
        return body[0] if body and isinstance(body[0], bool) else None

    def locked(self) -> bool | None:
        """``True`` when locked, ``False`` when not, ``None`` when nobody can say."""
        hint = self._hint()
        if hint:
            return True
        saver = self._saver()
        if saver is not None:
            return saver
        return False if hint is not None or self._system is not None else None

    def close(self) -> None:
        """Close both connections."""
        for bus in (self._system, self._session):
            if bus is not None:
                bus.close()
