"""Which tray backend this desktop can show, and whether its tray host is running."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from posturebreak.core.policy_state import Context


def xembed_tray_present(env: Mapping[str, str]) -> bool:
    """Whether an X11 system tray (xembed) manager owns ``_NET_SYSTEM_TRAY_S0``."""
    display_name = env.get("DISPLAY")
    if not display_name:
        return False
    try:
        from Xlib import display as xdisplay

        d = xdisplay.Display(display_name)
    except Exception:  # noqa: BLE001  any Xlib failure means "no usable tray here"
        return False
    try:
        atom = d.intern_atom(f"_NET_SYSTEM_TRAY_S{d.get_default_screen()}")
        return bool(d.get_selection_owner(atom))
    finally:
        d.close()


def sni_host_present() -> bool:
    """Whether a StatusNotifierItem host (its ``org.kde.StatusNotifierWatcher``) is on the bus."""
    from posturebreak.presence.idle import ProbeError
    from posturebreak.presence.idle.dbus import Bus

    try:
        bus = Bus("SESSION")
    except ProbeError:
        return False
    try:
        reply = bus.try_call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            signature="s",
            body=("org.kde.StatusNotifierWatcher",),
        )
    finally:
        bus.close()
    return bool(reply and reply[0])


def host_present(backend: str, env: Mapping[str, str]) -> bool:
    """Whether the tray host ``backend`` needs is running (SNI watcher or xembed manager)."""
    if backend == "appindicator":
        return sni_host_present()
    return xembed_tray_present(env)


def tray_backend(ctx: Context, env: Mapping[str, str]) -> tuple[str | None, str]:
    """The tray backend to use, or why there is no tray ("" when there is one).

    An installed backend is not enough: its host must be running too. Without an SNI host
    an appindicator icon is invisible (and says nothing), so ``auto`` moves on to the
    xembed backends, which need a tray manager on the display.
    """
    from posturebreak.frontends.desktop.tray import (
        TrayError,
        backend_available,
        choose_backend,
        resolve_backend,
    )

    setting = ctx.settings.tray.backend
    try:
        backend = resolve_backend(setting, env, sys.platform)
    except TrayError as exc:
        return None, str(exc)
    if backend is None:
        return None, ""  # Windows and macOS: pystray's own tray, always there
    for name in choose_backend(setting, env, sys.platform):
        if backend_available(name, env) and host_present(name, env):
            return name, ""
    return None, "no system tray is running on this desktop"
