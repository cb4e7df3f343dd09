"""D-Bus signals for the presence watcher: screen lock and Mutter idle watches, no polling.

A :class:`BusWatch` owns one jeepney connection of its own (connections are not thread-safe)
and is an event source for :class:`~posturebreak.presence.watch.PresenceWatcher`: it is
``select()``-ed on, drained without blocking, and told whether the person is away.

- System bus: logind's ``Lock``/``Unlock`` and ``PropertiesChanged(LockedHint)`` of *our*
  session (its real path, see :func:`~posturebreak.presence.idle.dbus.logind_session`).
- Session bus: ``ActiveChanged(b)`` of ``org.freedesktop.ScreenSaver`` and
  ``org.gnome.ScreenSaver``; with the GNOME idle probe also Mutter's idle monitor:
  ``AddIdleWatch(away_after)`` fires ``WatchFired`` when the person leaves (so no sampling
  is needed to notice it), and ``AddUserActiveWatch`` (added only while they are away)
  fires once at their next input.

What lock signals say goes into a shared :class:`~posturebreak.presence.idle.dbus.LockState`. Any
failure (bus gone, service gone, odd reply) raises out of :meth:`BusWatch.drain` or
:meth:`BusWatch.set_away`; the watcher then drops this source and falls back to sampling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from posturebreak.presence.idle import ProbeError
from posturebreak.presence.idle.dbus import (
    CALL_TIMEOUT_S,
    LOGIN1,
    SESSION_IFACE,
    LockSource,
    LockState,
    bus_errors,
)

log = logging.getLogger("posturebreak.presence.sensor")

MUTTER = "org.gnome.Mutter.IdleMonitor"
MUTTER_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
SAVERS = ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver")
PROPERTIES = "org.freedesktop.DBus.Properties"


def _open(which: str) -> Any:  # noqa: ANN401  jeepney is untyped
    try:
        from jeepney.io.blocking import open_dbus_connection

        return open_dbus_connection(bus=which)
    except ImportError as exc:
        raise ProbeError("jeepney is not installed") from exc
    except Exception as exc:  # jeepney raises KeyError, OSError, auth errors...
        raise ProbeError(f"no {which.lower()} D-Bus") from exc


class BusWatch:
    """Lock signals (and Mutter watches) on one bus. Watcher thread only, after construction.

    ``leaving``: a present-to-away event exists (Mutter's idle watch), so the watcher need not
    sample to notice an absence. ``returning``: an away-to-back event exists.
    """

    def __init__(self, which: str, state: LockState, name: str) -> None:
        self._conn = _open(which)
        self._state = state
        self.name = name
        self._sources: set[LockSource] = set()
        self._session_path = ""
        self._idle_after: timedelta | None = None
        self._idle_id: int | None = None
        self._active_id: int | None = None
        self._replies: dict[int, Callable[[Any], None]] = {}
        self._away = False
        self.leaving = False
        self.returning = False

    # --- setup (blocking, before the watcher thread starts) ----------------------------------

    def _add_match(self, **rule: str) -> None:
        from jeepney import MatchRule, message_bus

        arg0 = rule.pop("arg0", None)
        match = MatchRule(type="signal", **rule)
        if arg0 is not None:
            match.add_arg_condition(0, arg0)
        self._conn.send_and_get_reply(message_bus.AddMatch(match), timeout=CALL_TIMEOUT_S)

    def watch_logind(self, session_path: str) -> None:
        """Hear ``Lock``/``Unlock`` and ``LockedHint`` changes of the session at this path."""
        self._add_match(sender=LOGIN1, interface=SESSION_IFACE, path=session_path)
        self._add_match(
            sender=LOGIN1,
            interface=PROPERTIES,
            member="PropertiesChanged",
            path=session_path,
            arg0=SESSION_IFACE,
        )
        self._session_path = session_path
        self._sources.add(LockSource.LOGIND)

    def watch_savers(self) -> None:
        """Hear ``ActiveChanged`` of the freedesktop and GNOME screen savers."""
        for iface in SAVERS:
            self._add_match(interface=iface, member="ActiveChanged")
        self._sources.add(LockSource.SAVER)

    def watch_mutter(self, away_after: timedelta) -> None:
        """Ask Mutter to signal when idle reaches ``away_after``; ``ProbeError`` if it cannot."""
        self._add_match(interface=MUTTER, member="WatchFired", path=MUTTER_PATH)
        self._add_match(
            sender="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
            member="NameOwnerChanged",
            arg0=MUTTER,
        )
        self._idle_after = away_after
        try:
            reply = self._call_sync("AddIdleWatch", "t", (self._ms(away_after),))
        except bus_errors() as exc:  # an error reply, a timeout, a dead bus: no watch then
            raise ProbeError(f"Mutter refused an idle watch ({exc})") from exc
        self._idle_id = int(reply[0])
        self.leaving = self.returning = True

    @staticmethod
    def _ms(span: timedelta) -> int:
        return max(1, round(span.total_seconds() * 1000))

    def _mutter_call(self, method: str, signature: str | None, body: tuple[Any, ...]) -> Any:  # noqa: ANN401  jeepney is untyped
        from jeepney import DBusAddress, new_method_call

        return new_method_call(
            DBusAddress(MUTTER_PATH, bus_name=MUTTER, interface=MUTTER), method, signature, body
        )

    def _call_sync(self, method: str, signature: str | None, body: tuple[Any, ...]) -> Any:  # noqa: ANN401  jeepney is untyped
        from jeepney.wrappers import unwrap_msg

        msg = self._mutter_call(method, signature, body)
        return unwrap_msg(self._conn.send_and_get_reply(msg, timeout=CALL_TIMEOUT_S))

    def _call_async(
        self,
        method: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        then: Callable[[Any], None] | None = None,
    ) -> None:
        # Never block for a reply here: signals arriving meanwhile would be lost. The reply
        # comes through drain() like any other message.
        serial = next(self._conn.outgoing_serial)
        self._conn.send(self._mutter_call(method, signature, body), serial=serial)
        if then is not None:
            self._replies[serial] = then

    # --- the watcher's side ------------------------------------------------------------------

    def fileno(self) -> int:
        """The connection's socket, for ``select()``."""
        return int(self._conn.sock.fileno())

    def set_away(self, away: bool) -> None:
        """Arm Mutter's one-shot user-active watch while away; remove it once back."""
        self._away = away
        if self._idle_id is None:
            return
        if away and self._active_id is None and not self._replies:
            self._call_async("AddUserActiveWatch", then=self._got_active_id)
        elif not away and self._active_id is not None:
            self._call_async("RemoveWatch", "u", (self._active_id,))
            self._active_id = None

    def _got_active_id(self, body: Any) -> None:  # noqa: ANN401  a reply body
        self._active_id = int(body[0])
        if not self._away:  # back before the watch was in place: it is not wanted any more
            self.set_away(False)

    def drain(self) -> bool:
        """Read every message that arrived, without blocking; ``True`` if one was an event."""
        event = False
        while True:
            try:
                msg = self._conn.receive(timeout=0)
            except TimeoutError:
                return event
            event = self._handle(msg) or event

    def _handle(self, msg: Any) -> bool:  # noqa: ANN401  a jeepney Message
        from jeepney import HeaderFields, MessageType

        kind = msg.header.message_type
        fields = msg.header.fields
        if kind in {MessageType.method_return, MessageType.error}:
            then = self._replies.pop(fields.get(HeaderFields.reply_serial, -1), None)
            if then is not None and kind is MessageType.method_return:
                then(msg.body)
            elif then is not None:
                log.warning("Mutter: %s", msg.body[0] if msg.body else "error")
            return False
        if kind is not MessageType.signal:
            return False
        iface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        return self._signal(iface, member, fields.get(HeaderFields.path), msg.body)

    def _signal(self, iface: str, member: str, path: str, body: tuple[Any, ...]) -> bool:
        if iface == SESSION_IFACE and path == self._session_path and member in {"Lock", "Unlock"}:
            self._state.set(LockSource.LOGIND, member == "Lock")
            return True
        if iface == PROPERTIES and path == self._session_path and member == "PropertiesChanged":
            _iface, changed, _invalidated = body
            if "LockedHint" not in changed:
                return False
            _sig, value = changed["LockedHint"]
            self._state.set(LockSource.LOGIND, bool(value))
            return True
        if iface in SAVERS and member == "ActiveChanged":
            self._state.set(LockSource.SAVER, bool(body[0]))
            return True
        if iface == MUTTER and member == "WatchFired":
            if body[0] == self._active_id:
                self._active_id = None  # a user-active watch fires once and is gone
                return True
            return bool(body[0] == self._idle_id)
        if member == "NameOwnerChanged" and self._idle_after is not None:
            return self._mutter_restarted(new_owner=str(body[2]))
        return False

    def _mutter_restarted(self, *, new_owner: str) -> bool:
        # Watches die with the Mutter that held them; a new one needs them again.
        self._idle_id = self._active_id = None
        self._replies.clear()
        self.leaving = self.returning = False
        if new_owner and self._idle_after is not None:
            self._call_async("AddIdleWatch", "t", (self._ms(self._idle_after),), self._got_idle_id)
        return True

    def _got_idle_id(self, body: Any) -> None:  # noqa: ANN401  a reply body
        self._idle_id = int(body[0])
        self.leaving = self.returning = True
        self.set_away(self._away)

    def close(self) -> None:
        """Close the connection and forget what its signals said (polling takes over)."""
        for source in self._sources:
            self._state.forget(source)
        self._conn.close()


def open_watches(
    state: LockState, session_path: str | None, mutter_after: timedelta | None
) -> list[BusWatch]:
    """The watches that work here: system bus (logind) and session bus (savers, Mutter).

    ``session_path``: our logind session (``None``: no logind watch). ``mutter_after``: the
    away threshold for a Mutter idle watch, only when the GNOME idle probe is in use.
    """
    watches: list[BusWatch] = []
    failures: tuple[type[BaseException], ...] = (ProbeError, *bus_errors())
    if session_path:
        try:
            system = BusWatch("SYSTEM", state, "system bus")
            try:
                system.watch_logind(session_path)
            except failures:
                system.close()
                raise
            watches.append(system)
        except failures as exc:  # no bus, no logind, an auth failure: poll instead
            log.info("no logind lock signals (%s); the lock is read when sampling", exc)
    try:
        session = BusWatch("SESSION", state, "session bus")
    except ProbeError as exc:
        log.info("no screen saver signals (%s)", exc)
        return watches
    try:
        session.watch_savers()
        if mutter_after is not None:
            try:
                session.watch_mutter(mutter_after)
            except ProbeError as exc:
                log.info("%s; idle is sampled", exc)
    except failures as exc:  # the bus went away between two calls
        log.info("no screen saver signals (%s)", exc)
        session.close()
        return watches
    watches.append(session)
    return watches
