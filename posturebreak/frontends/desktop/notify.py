"""Heads-up desktop notifications shortly before a break ("Walk in 30 s").

A notification is a courtesy, never a requirement: every failure (no session bus, no
notification service, a backend that raises) is logged once and swallowed, so a reminder is
never lost because the desktop could not show a bubble.

plyer is the portable backend (Windows, macOS, Flatpak). On Linux its own choice is patched,
because it fails quietly there: without dbus-python it runs ``notify-send`` but drops our
icon and timeout and ignores the exit status; with dbus-python it keeps one bus connection,
made to whatever bus there was at the first bubble, in the all-day process; and it takes any
machine with a ``/app`` directory for a Flatpak sandbox. We decide the backend ourselves
(:func:`choose_backend`) and call ``notify-send`` directly where it exists, so a failure is
seen and logged.
"""

from __future__ import annotations

import enum
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from posturebreak.paths import APP_NAME

TIMEOUT_S = 10
# notify-send talks to a local bus; anything slower than this is a wedged service.
_SUBPROCESS_TIMEOUT_S = 5.0
_DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
_ICON = ("icons", "posturebreak-48.png")

_log = logging.getLogger("posturebreak.notify")


class NotifierPort(Protocol):
    """Shows a short desktop notification. Called from the engine thread only."""

    def notify(self, title: str, message: str) -> None:
        """Show ``title`` / ``message``; never raises."""
        ...


class Backend(enum.Enum):
    """How a notification actually reaches the desktop."""

    PLYER = "plyer"
    NOTIFY_SEND = "notify-send"
    NONE = "none"


def is_linux_like(platform: str) -> bool:
    """Whether ``platform`` (a ``sys.platform`` value) uses freedesktop notifications."""
    return not platform.startswith(("win", "darwin", "cygwin"))


def choose_backend(
    platform: str,
    env: Mapping[str, str],
    *,
    flatpak_dir: bool,
    has_dbus_python: bool,
    notify_send: str | None,
) -> Backend:
    """Pick the backend for this machine (pure: every probe is an argument).

    Args:
        platform: a ``sys.platform`` value.
        env: the process environment (only ``FLATPAK_ID`` is read).
        flatpak_dir: whether a directory ``/app`` exists (plyer then assumes Flatpak).
        has_dbus_python: whether ``import dbus`` would succeed.
        notify_send: the path of ``notify-send``, or ``None`` when it is not on PATH.

    Returns:
        plyer where it works as documented; ``notify-send`` where plyer would misfire or
        hide failures; ``NONE`` when nothing on this machine can show a notification.
    """
    if not is_linux_like(platform):
        return Backend.PLYER
    in_sandbox = flatpak_dir and bool(env.get("FLATPAK_ID"))
    if in_sandbox:
        return Backend.PLYER
    # notify-send before plyer's dbus-python path: a short-lived process that sees the
    # environment we pass, instead of libdbus and a cached bus connection (made once, to
    # whatever bus there was then) held for the rest of the day in the tray process.
    if notify_send is not None:
        return Backend.NOTIFY_SEND
    if has_dbus_python and not flatpak_dir:
        return Backend.PLYER
    return Backend.NONE


def icon_path() -> str:
    """The app icon as a file path for the notification service, or ``""`` if there is none."""
    from importlib import resources

    candidates: list[Path] = []
    try:
        packaged = resources.files("posturebreak.assets") / _ICON[0] / _ICON[1]
    except ModuleNotFoundError:
        packaged = None
    if isinstance(packaged, Path):
        candidates.append(packaged)
    # Running from a source checkout: assets/ sits at the top of the repository.
    candidates.append(Path(__file__).resolve().parents[2].joinpath("assets", *_ICON))
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return ""


class NullNotifier:
    """Shows nothing: for machines with no display or no session bus."""

    def notify(self, title: str, message: str) -> None:
        """Do nothing."""


class PlyerNotifier:
    """Desktop notifications through plyer (or ``notify-send`` where plyer misfires).

    Failures are logged to ``posturebreak.notify`` once per notifier and never raised.
    Called from the engine thread only.

    Args:
        env: the environment for probing and for ``notify-send``; ``os.environ`` by default.
        platform: a ``sys.platform`` value; the running one by default.
        icon: the icon file to show; the app's own icon by default (``""`` for none).
        backend: force a backend instead of probing the machine for one.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        platform: str | None = None,
        icon: str | None = None,
        backend: Backend | None = None,
    ) -> None:
        self._env = env
        self._platform = sys.platform if platform is None else platform
        self._icon = icon
        self._backend = backend
        self._warned = False

    @property
    def backend(self) -> Backend:
        """The backend in use, probed on first use."""
        if self._backend is None:
            env = self._environ()
            self._backend = choose_backend(
                self._platform,
                env,
                flatpak_dir=Path("/app").is_dir(),
                has_dbus_python=importlib.util.find_spec("dbus") is not None,
                notify_send=shutil.which("notify-send", path=env.get("PATH")),
            )
        return self._backend

    def notify(self, title: str, message: str) -> None:
        """Show ``title`` / ``message``; a failure is logged (once) and swallowed."""
        try:
            backend = self.backend
            if backend is Backend.NONE:
                self._warn_once(
                    "no notification service: install dbus-python or notify-send "
                    "(Debian: libnotify-bin) to get a heads-up before breaks"
                )
            elif backend is Backend.NOTIFY_SEND:
                self._notify_send(title, message)
            else:
                self._plyer(title, message)
        except Exception as exc:  # noqa: BLE001  a notification must never stop a reminder
            self._warn_once(f"desktop notification failed ({type(exc).__name__}: {exc})")

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def _icon_path(self) -> str:
        if self._icon is None:
            self._icon = icon_path()
        return self._icon

    def _plyer(self, title: str, message: str) -> None:
        from plyer import notification

        notification.notify(
            title=title,
            message=message,
            app_name=APP_NAME,
            app_icon=self._icon_path(),
            timeout=TIMEOUT_S,
        )

    def _notify_send(self, title: str, message: str) -> None:
        args = ["notify-send", "--app-name", APP_NAME, "--expire-time", str(TIMEOUT_S * 1000)]
        icon = self._icon_path()
        if icon:
            args += ["--icon", icon]
        # "--" so a title that starts with "-" is not taken for an option.
        args += ["--", title, message]
        done = subprocess.run(
            args,
            env=dict(self._environ()),
            capture_output=True,
            text=True,
            timeout=_SUBPROCESS_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            reason = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
            raise RuntimeError(f"notify-send: {reason[0]}")

    def _warn_once(self, text: str) -> None:
        if not self._warned:
            self._warned = True
            _log.warning("%s (further notification failures are not logged)", text)


def make_notifier(env: Mapping[str, str], *, platform: str | None = None) -> NotifierPort:
    """The notifier for this session: a null one on a Linux box with no display and no bus."""
    platform = sys.platform if platform is None else platform
    if is_linux_like(platform) and not any(env.get(name) for name in _DISPLAY_VARIABLES):
        return NullNotifier()
    return PlyerNotifier(env, platform=platform)
