"""A tiny D-Bus client on jeepney (pure Python): method calls, properties, screen lock.

Used by the GNOME and KDE idle probes and by the presence adapter's screen-lock check.
Every call has a short timeout and turns any failure into ``None`` or
:class:`~posturebreak.idle.ProbeError`: a missing or slow desktop service must never
stop a reminder.
"""

from __future__ import annotations

from typing import Any

from posturebreak.idle import ProbeError

CALL_TIMEOUT_S = 1.0


def _errors() -> tuple[type[BaseException], ...]:
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
        self._errors = _errors()

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


class ScreenLock:
    """Whether the screen is locked: logind's ``LockedHint``, else the ScreenSaver's ``GetActive``.

    One thread at a time. Either bus may be missing; with neither, :meth:`locked` is ``None``.
    """

    def __init__(self) -> None:
        self._system: Bus | None = None
        self._session: Bus | None = None
        try:
            self._system = Bus("SYSTEM")
        except ProbeError:
            self._system = None
        try:
            self._session = Bus("SESSION")
        except ProbeError:
            self._session = None

    def locked(self) -> bool | None:
        """``True`` when locked, ``False`` when not, ``None`` when nobody can say."""
        if self._system is not None:
            hint = self._system.get_property(
                "org.freedesktop.login1",
                "/org/freedesktop/login1/session/auto",
                "org.freedesktop.login1.Session",
                "LockedHint",
            )
            if isinstance(hint, bool) and hint:
                return True
        if self._session is not None:
            body = self._session.try_call(
                "org.freedesktop.ScreenSaver",
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver",
                "GetActive",
            )
            if body and isinstance(body[0], bool):
                return body[0]
        return False if self._system is not None else None

    def close(self) -> None:
        """Close both connections."""
        for bus in (self._system, self._session):
            if bus is not None:
                bus.close()
