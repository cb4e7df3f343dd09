"""The tray icon: a pystray adapter that shows the status picture, tooltip and menu.

pystray's ``run()`` owns the main thread (macOS insists on it). Everything else, the engine
included, only calls :meth:`Tray.update`, which hands the change to pystray (whose setters
marshal onto its own loop) and returns at once.

On Linux the backend is chosen here, best first: ``appindicator`` (StatusNotifierItem),
``gtk``, ``xorg``. The ``xorg`` backend has no menu, so a click on the icon opens the small
controls window instead (:mod:`posturebreak.frontends.desktop.controls`). pystray is imported inside
functions only: importing it without a display raises, and the CLI must import anywhere.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from posturebreak.clock import SystemClock
from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.settings import TrayBackend
from posturebreak.frontends.desktop.gtkprep import gtk_prepared, show_title_as_tooltip
from posturebreak.frontends.desktop.icon import draw_icon, ring_step
from posturebreak.frontends.desktop.menu import AppAction, MenuEntry, build_menu, to_pystray
from posturebreak.frontends.desktop.textclock import TextClock
from posturebreak.paths import APP_NAME

if TYPE_CHECKING:
    from PIL import Image

    from posturebreak.core.commands import Command
    from posturebreak.core.effects import StatusView

log = logging.getLogger("posturebreak.tray")

# What GTK and the StatusNotifierItem hosts get: they scale it down themselves, and 64 px
# stays sharp at 2x on a 32 px panel.
MENU_BACKEND_ICON_PX = 64
LINUX_ORDER = ("appindicator", "gtk", "xorg")
# The tray's panel colour when it cannot be read back (a neutral mid grey looks least wrong
# on both light and dark panels).
_FALLBACK_PANEL = (128, 128, 128)
_SMALLEST_DRAWN_PX = 16

Dispatch = Callable[["Command | AppAction"], None]


class TrayError(RuntimeError):
    """No tray can be shown; the message says what is missing and how to get it."""


class TrayPort(Protocol):
    """The tray as the front end sees it.

    ``update()`` is called from the engine thread (and may be called from any thread); it
    only hands the change to the toolkit. ``run()`` owns the main thread.
    """

    def update(self, view: StatusView) -> None:
        """Show ``view``: picture, tooltip and menu."""
        ...


def is_linux_like(platform: str) -> bool:
    """Whether ``platform`` (a ``sys.platform`` value) uses the X11/freedesktop backends."""
    return not platform.startswith(("win", "darwin", "cygwin"))


def choose_backend(setting: TrayBackend, env: Mapping[str, str], platform: str) -> list[str]:
    """The pystray backends to try, best first (pure).

    Linux: ``auto`` gives appindicator, gtk, xorg; a named backend gives just that one.
    Windows and macOS: ``[]``, meaning pystray's own default. ``none`` gives ``[]`` too:
    the caller decides that no tray is wanted before asking for one. On Linux without an
    X display, ``xorg`` is dropped from ``auto`` (it cannot work on pure Wayland).
    """
    if setting is TrayBackend.NONE or not is_linux_like(platform):
        return []
    if setting is not TrayBackend.AUTO:
        return [setting.value]
    if env.get("DISPLAY"):
        return list(LINUX_ORDER)
    return [name for name in LINUX_ORDER if name != "xorg"]


def backend_available(name: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether pystray's backend ``name`` can work here (probes imports, loads no toolkit).

    appindicator needs PyGObject and an (Ayatana)AppIndicator3 typelib; gtk needs PyGObject
    and Gtk 3; both need a display. xorg needs ``DISPLAY`` and python-xlib.
    """
    env = os.environ if env is None else env
    has_display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    if name == "xorg":
        return bool(env.get("DISPLAY")) and _importable("Xlib.display")
    if name not in ("gtk", "appindicator") or not has_display:
        return False
    needs = ("Gtk", "3.0") if name == "gtk" else None
    try:
        import gi
    except ImportError:
        return False
    if needs is not None:
        return _typelib(gi, *needs)
    return _typelib(gi, "AyatanaAppIndicator3", "0.1") or _typelib(gi, "AppIndicator3", "0.1")


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _typelib(gi: Any, namespace: str, version: str) -> bool:  # noqa: ANN401  gi is untyped
    try:
        gi.require_version(namespace, version)
    except ValueError:
        return False
    return True


def resolve_backend(
    setting: TrayBackend,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    available: Callable[[str], bool] | None = None,
) -> str | None:
    """The backend to run: a name, or ``None`` for pystray's platform default.

    Raises:
        TrayError: ``none`` was chosen, or no Linux backend works here (the message says
            what to install or set).
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if setting is TrayBackend.NONE:
        raise TrayError('the tray is turned off ([tray] backend = "none" in the config)')
    candidates = choose_backend(setting, env, platform)
    if not candidates:
        return None
    probe = available if available is not None else (lambda n: backend_available(n, env))
    for name in candidates:
        if probe(name):
            return name
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        raise TrayError("no display: the tray needs a graphical session (DISPLAY is not set)")
    wanted = ", ".join(candidates)
    raise TrayError(
        f"no tray backend works here (tried {wanted}); install PyGObject with "
        "`pip install 'posturebreak[gtk]'` or set [tray] backend = \"xorg\""
    )


class Tray:
    """The pystray icon, its picture, tooltip and menu.

    Args:
        dispatch: called with the chosen menu action, on the tray's own thread; it must only
            hand the action on.
        durations: the length of each enabled break kind (for "Take a break now").
        autostart_state: whether "Start at login" is on; asked whenever the menu is built.
        backend: the pystray backend name (see :func:`resolve_backend`); ``None`` for
            pystray's own default.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        durations: Mapping[BreakKind, timedelta],
        autostart_state: Callable[[], bool],
        backend: str | None,
    ) -> None:
        self._dispatch = dispatch
        self._durations = dict(durations)
        self._autostart_state = autostart_state
        self.backend = backend
        self._lock = threading.RLock()
        self._view: StatusView | None = None
        self._icon: Any = None
        self._picture_key: tuple[Mode, float | None] | None = None
        self._menu_model: tuple[MenuEntry, ...] | None = None
        self._title: str | None = None
        # The tooltip counts down in whole minutes; this redraws it when the words change.
        self._text = TextClock(self.update, SystemClock().now)

    @property
    def has_menu(self) -> bool:
        """Whether the backend shows a real menu (xorg only reports clicks)."""
        return self.backend != "xorg"

    def run(self, setup: Callable[[], None]) -> None:
        """Show the icon and run pystray's loop on this (the main) thread until :meth:`stop`.

        ``setup`` runs on a helper thread once the icon is up (start the engine there).

        Raises:
            TrayError: pystray cannot start here (no display, missing toolkit).
        """
        pystray = self._import_pystray()
        with self._lock:
            view = self._view
            image = self._render(view, MENU_BACKEND_ICON_PX)
            menu = self._initial_menu(pystray, view)
            title = view.headline() if view is not None else APP_NAME
            self._title = title
            try:
                icon = pystray.Icon(APP_NAME, image, title, menu)
            except Exception as exc:
                raise TrayError(f"cannot create the tray icon ({exc})") from exc
            if self.backend == "xorg":
                _fix_xorg(icon, self)
            elif self.backend == "gtk":
                show_title_as_tooltip(icon)
            self._icon = icon

        def on_ready(ready: Any) -> None:  # noqa: ANN401  pystray passes its (untyped) icon
            ready.visible = True
            setup()

        icon.run(setup=on_ready)

    def update(self, view: StatusView) -> None:
        """Show ``view``; redraws only what changed. Thread-safe; returns at once."""
        picture: Image.Image | None = None
        menu: Any = None
        title: str | None = None
        self._text.follow(view)
        with self._lock:
            self._view = view
            icon = self._icon
            if icon is None:
                return  # run() shows the latest view when it starts
            if view.headline() != self._title:
                title = self._title = view.headline()
            key = (view.mode, ring_step(view.ring))
            if key != self._picture_key:
                self._picture_key = key
                picture = self._render(view, MENU_BACKEND_ICON_PX)
            if self.has_menu:
                model = build_menu(view, self._autostart_state(), self._durations)
                if model != self._menu_model:
                    self._menu_model = model
                    menu = to_pystray(model, self._dispatch)
        # pystray's setters wait for its own loop, and on xorg that loop redraws through
        # picture_for_size(), which takes self._lock: setting them under the lock deadlocks.
        if title is not None:
            icon.title = title
        if picture is not None:
            icon.icon = picture
        if menu is not None:
            icon.menu = menu

    def refresh_menu(self) -> None:
        """Rebuild the menu from the last view (after "Start at login" was toggled)."""
        with self._lock:
            view = self._view
            self._menu_model = None
        if view is not None:
            self.update(view)

    def stop(self) -> None:
        """End :meth:`run` (from any thread). Harmless before ``run`` or twice."""
        self._text.stop()
        with self._lock:
            icon, self._icon = self._icon, None
        if icon is None:
            return
        if self.backend == "xorg" and _destroy_from_outside(icon):
            # pystray's loop ends on the DestroyNotify; its own stop() would destroy again.
            # pystray has no public way to say it already stopped.
            icon._running = False
            return
        icon.stop()

    # --- helpers -------------------------------------------------------------------------

    def _import_pystray(self) -> Any:  # noqa: ANN401  pystray is untyped
        if self.backend is not None:
            # pystray picks its backend once, at import time, from this variable.
            os.environ["PYSTRAY_BACKEND"] = self.backend
        gtk = self.backend in ("gtk", "appindicator")
        try:
            with gtk_prepared() if gtk else contextlib.nullcontext():
                import pystray
        except Exception as exc:
            # Without a display pystray raises Xlib or GTK errors, not ImportError.
            raise TrayError(
                f"cannot start the tray ({self.backend or 'default'} backend): {exc}"
            ) from exc
        return pystray

    def _initial_menu(self, pystray: Any, view: StatusView | None) -> Any:  # noqa: ANN401
        if not self.has_menu:
            # xorg shows no menu but activates the default item on a left click.
            return pystray.Menu(
                pystray.MenuItem(
                    "Controls",
                    lambda _icon, _item: self._dispatch(AppAction.SHOW_CONTROLS),
                    default=True,
                    visible=False,
                )
            )
        if view is None:
            self._menu_model = None
            return pystray.Menu(
                pystray.MenuItem("Quit", lambda _i, _t: self._dispatch(AppAction.QUIT))
            )
        self._menu_model = build_menu(view, self._autostart_state(), self._durations)
        return to_pystray(self._menu_model, self._dispatch)

    def _render(self, view: StatusView | None, size: int) -> Image.Image:
        """The picture for ``view`` at ``size`` px (a plain working disc before any view)."""
        if view is None:
            self._picture_key = (Mode.WORKING, None)
            return draw_icon(Mode.WORKING, None, size)
        self._picture_key = (view.mode, ring_step(view.ring))
        return draw_icon(view.mode, ring_step(view.ring), size)

    def picture_for_size(self, size: int) -> Image.Image:
        """The current picture drawn at exactly ``size`` px (xorg asks per window size)."""
        with self._lock:
            if size >= _SMALLEST_DRAWN_PX:
                return self._render(self._view, size)
            # Before the tray sizes the slot the window is 1x1; a tiny blank beats a crash.
            return self._render(self._view, _SMALLEST_DRAWN_PX).resize((max(1, size),) * 2)


def _destroy_from_outside(icon: Any) -> bool:  # noqa: ANN401  pystray's icon is untyped
    """Destroy the xorg icon window over a fresh X connection; ``True`` when it worked.

    pystray's own stop() hands the destroy to the loop it is trying to stop, over the
    connection that loop is blocked reading, and sometimes the loop never wakes (the app
    then hangs after Quit). A second connection makes the server send the DestroyNotify.
    """
    window = getattr(icon, "_window", None)
    if window is None:
        return False
    try:
        from Xlib import display as xdisplay

        d = xdisplay.Display()
    except Exception:  # noqa: BLE001  fall back to pystray's own stop
        return False
    try:
        d.create_resource_object("window", window.id).destroy()
        d.sync()
    except Exception:  # noqa: BLE001  the window is already gone, or X is: same outcome
        return False
    finally:
        d.close()
    return True


def _fix_xorg(icon: Any, tray: Tray) -> None:  # noqa: ANN401
    """Make pystray's xorg icon clickable, sharp and blended into the panel.

    pystray's X window does not select button presses, so clicks never arrive (pystray#151).
    It also scales one big picture down to the tray slot and pastes it on black; drawing at
    the slot's own size onto the panel's background looks like a native icon instead.
    """
    import Xlib.X

    window = icon._window
    window.change_attributes(
        event_mask=Xlib.X.ExposureMask | Xlib.X.StructureNotifyMask | Xlib.X.ButtonPressMask,
        # ParentRelative: clearing the window shows the panel, which we read back to blend.
        background_pixmap=Xlib.X.ParentRelative,
    )

    def sharp_icon_data(width: int, height: int) -> None:
        current = icon._icon_data
        if current is not None and current.size == (width, height):
            return
        icon._icon_data = _flatten(window, tray.picture_for_size(min(width, height)), width, height)

    icon._assert_icon_data = sharp_icon_data


def _flatten(window: Any, picture: Image.Image, width: int, height: int) -> Image.Image:  # noqa: ANN401
    """``picture`` centred on the panel background behind ``window``, as an RGB image."""
    from PIL import Image

    backdrop = _panel_backdrop(window, width, height)
    offset = ((width - picture.width) // 2, (height - picture.height) // 2)
    backdrop.paste(picture, offset, picture)
    # python-xlib's put_pil_image still calls the long-gone Image.tostring.
    backdrop.tostring = backdrop.tobytes  # type: ignore[attr-defined]
    return backdrop if backdrop.mode == "RGB" else Image.new("RGB", (width, height))


def _panel_backdrop(window: Any, width: int, height: int) -> Image.Image:  # noqa: ANN401
    from PIL import Image

    try:
        import Xlib.X

        window.clear_area(0, 0, width, height)
        raw = window.get_image(0, 0, width, height, Xlib.X.ZPixmap, 0xFFFFFFFF)
        if raw.depth == 24 and len(raw.data) >= width * height * 4:
            return Image.frombytes("RGB", (width, height), bytes(raw.data), "raw", "BGRX")
    except Exception as exc:  # noqa: BLE001  any X error only costs the blending nicety
        log.debug("cannot read the tray background: %s", exc)
    return Image.new("RGB", (width, height), _FALLBACK_PANEL)
