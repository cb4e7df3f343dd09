"""Private D-Bus buses with python-dbusmock services on them: logind, screen savers, Mutter.

Each bus is a real ``dbus-daemon`` (no service directories: nothing is activated behind our
back); each mock is a real ``python -m dbusmock`` process. Both are stopped by PID. Tests talk
to the mocks with jeepney, through dbusmock's ``org.freedesktop.DBus.Mock`` interface.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.desktop_rig import BUS_CONFIG

LOGIN1 = "org.freedesktop.login1"
SESSION_ID = "c1"
SESSION_PATH = f"/org/freedesktop/login1/session/{SESSION_ID}"
SESSION_IFACE = "org.freedesktop.login1.Session"
MUTTER = "org.gnome.Mutter.IdleMonitor"
MUTTER_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
MOCK = "org.freedesktop.DBus.Mock"
IDLE_WATCH_ID = 11
ACTIVE_WATCH_ID = 22


def need_dbusmock() -> None:
    """Skip unless dbus-daemon and python-dbusmock (with dbus-python) are installed."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (apt: dbus)")
    try:
        import dbusmock  # noqa: F401
    except ImportError:
        pytest.skip("python-dbusmock is not installed (pip: python-dbusmock dbus-python)")


@dataclass
class Bus:
    """One private dbus-daemon: its address and PID."""

    address: str
    pid: int
    mocks: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def call(
        self,
        dest: str,
        path: str,
        iface: str,
        method: str,
        *,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
    ) -> tuple[Any, ...]:
        """A method call on this bus; the reply's body (raises on an error reply)."""
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        with open_dbus_connection(bus=self.address) as conn:
            msg = new_method_call(DBusAddress(path, dest, iface), method, signature, body)
            return tuple(unwrap_msg(conn.send_and_get_reply(msg, timeout=5)))

    def has(self, name: str) -> bool:
        """Whether ``name`` has an owner on this bus."""
        body = self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            signature="s",
            body=(name,),
        )
        return bool(body[0])

    def mock(self, *argv: str, name: str) -> subprocess.Popen[bytes]:
        """Start ``python -m dbusmock ARGV`` on this bus and wait until it owns ``name``."""
        env = {
            **os.environ,
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "DBUS_SYSTEM_BUS_ADDRESS": self.address,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "dbusmock", *argv], env=env, stdout=subprocess.DEVNULL
        )
        self.mocks.append(proc)
        deadline = time.monotonic() + 10
        while not self.has(name):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dbusmock did not claim {name}")
            time.sleep(0.05)
        return proc

    def kill(self) -> None:
        """Stop the daemon (by PID) and its mocks."""
        for proc in self.mocks:
            if proc.poll() is None:
                proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        self.mocks = []
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)


def start_bus(tmp: Path) -> Bus:
    """A private dbus-daemon (``--fork``; stop it with :meth:`Bus.kill`)."""
    config = tmp / "bus.conf"
    config.write_text(BUS_CONFIG)
    out = subprocess.run(
        [
            "dbus-daemon",
            f"--config-file={config}",
            "--fork",
            "--print-address=1",
            "--print-pid=1",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.split()
    return Bus(address=out[0], pid=int(out[1]))


@dataclass
class Desk:
    """A "system" bus with logind and a session bus; mocks are added on demand."""

    system: Bus
    session: Bus

    def env(self) -> dict[str, str]:
        """The bus addresses for a process that should use these buses."""
        return {
            "DBUS_SYSTEM_BUS_ADDRESS": self.system.address,
            "DBUS_SESSION_BUS_ADDRESS": self.session.address,
        }

    def session_call(self, method: str, signature: str | None = None, *body: object) -> None:
        """Call a method of our logind session object."""
        self.system.call(
            LOGIN1, SESSION_PATH, SESSION_IFACE, method, signature=signature, body=body
        )

    def lock(self) -> None:
        """``loginctl lock-session``: logind emits ``Lock`` (the hint follows separately)."""
        self.session_call("Lock")

    def unlock(self) -> None:
        """``loginctl unlock-session``: logind emits ``Unlock``."""
        self.session_call("Unlock")

    def locked_hint(self, *, locked: bool) -> None:
        """The locker sets ``LockedHint`` (a ``PropertiesChanged`` signal)."""
        self.session_call("SetLockedHint", "b", locked)

    def start_saver(self) -> None:
        """A GNOME screen saver on the session bus."""
        self.session.mock("--template", "gnome_screensaver", name="org.gnome.ScreenSaver")

    def saver_active(self, *, active: bool) -> None:
        """Blank/lock (``ActiveChanged(true)``) or unblank the GNOME screen saver."""
        self.session.call(
            "org.gnome.ScreenSaver",
            "/org/gnome/ScreenSaver",
            "org.gnome.ScreenSaver",
            "SetActive",
            signature="b",
            body=(active,),
        )

    def start_mutter(self) -> None:
        """Mutter's idle monitor: idle time from a fake property, watches that only log."""
        self.session.mock(MUTTER, MUTTER_PATH, MUTTER, name=MUTTER)
        self.session.call(
            MUTTER,
            MUTTER_PATH,
            MOCK,
            "AddProperty",
            signature="ssv",
            body=(MUTTER, "FakeIdletime", ("t", 0)),
        )
        methods = [
            ("GetIdletime", "", "t", f'ret = self.Get("{MUTTER}", "FakeIdletime")'),
            ("AddIdleWatch", "t", "u", f"ret = {IDLE_WATCH_ID}"),
            ("AddUserActiveWatch", "", "u", f"ret = {ACTIVE_WATCH_ID}"),
            ("RemoveWatch", "u", "", ""),
        ]
        self.session.call(
            MUTTER, MUTTER_PATH, MOCK, "AddMethods", signature="sa(ssss)", body=(MUTTER, methods)
        )

    def set_idle_ms(self, ms: int) -> None:
        """What ``GetIdletime`` answers from now on."""
        self.session.call(
            MUTTER,
            MUTTER_PATH,
            "org.freedesktop.DBus.Properties",
            "Set",
            signature="ssv",
            body=(MUTTER, "FakeIdletime", ("t", ms)),
        )

    def fire(self, watch_id: int) -> None:
        """Mutter's ``WatchFired(id)``."""
        signal = (MUTTER, "WatchFired", "u", [("u", watch_id)])
        self.session.call(MUTTER, MUTTER_PATH, MOCK, "EmitSignal", signature="sssav", body=signal)

    def mutter_calls(self, method: str) -> list[tuple[Any, ...]]:
        """The arguments of every call of ``method`` the idle monitor got."""
        body = self.session.call(
            MUTTER, MUTTER_PATH, MOCK, "GetMethodCalls", signature="s", body=(method,)
        )
        return [tuple(args) for _stamp, args in body[0]]


@contextlib.contextmanager
def desk(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    """Two private buses; logind (session ``c1``, reachable as ``auto``) on the system one.

    This process's environment points at them (``monkeypatch``) for the test's duration.
    """
    need_dbusmock()
    (tmp / "system").mkdir()
    (tmp / "session").mkdir()
    system = start_bus(tmp / "system")
    session: Bus | None = None
    try:
        session = start_bus(tmp / "session")
        rig = Desk(system, session)
        for key, value in rig.env().items():
            monkeypatch.setenv(key, value)
        system.mock("--template", "logind", name=LOGIN1)
        system.call(
            LOGIN1,
            "/org/freedesktop/login1",
            MOCK,
            "AddSession",
            signature="ssusb",
            body=(SESSION_ID, "seat0", 1000, "desk", True),
        )
        # The real logind answers for "auto" with the caller's session, but signals come from
        # the session's own path only; this stand-in never emits anything.
        props = {"Id": ("s", SESSION_ID), "LockedHint": ("b", False)}
        system.call(
            LOGIN1,
            "/org/freedesktop/login1",
            MOCK,
            "AddObject",
            signature="ssa{sv}a(ssss)",
            body=("/org/freedesktop/login1/session/auto", SESSION_IFACE, props, []),
        )
        yield rig
    finally:
        system.kill()
        if session is not None:
            session.kill()
