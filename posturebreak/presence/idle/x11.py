"""X11 through python-xlib: idle time, the active window, and a wait for the next input.

- Idle: the MIT-SCREEN-SAVER extension's ``idle`` (ms since the last input), ~0.1 ms a call.
- The active window (``_NET_ACTIVE_WINDOW`` on the root): is it fullscreen
  (``_NET_WM_STATE_FULLSCREEN``) and what is it called (``WM_CLASS``, ``_NET_WM_NAME``), for
  do-not-disturb.
- :class:`InputWatch`: XInput 2 raw events on the root, selected only while the person is
  away, so the watcher sleeps in ``select()`` until they touch something (no polling), and
  hears nothing while they type.

Xlib connections are not thread-safe, and each one costs about 0.3 MB (python-xlib builds
the keymap and extension tables per connection). The probe and the window reader share one,
from :meth:`X11Probe.windows`: :class:`~posturebreak.presence.sensor.Presence` only calls them under
its lock. :class:`InputWatch` has its own, because the watcher thread sleeps reading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from posturebreak.presence.idle import ProbeError


def _connect(display_name: str | None) -> Any:  # noqa: ANN401  python-xlib is untyped
    if not display_name:
        raise ProbeError("no DISPLAY")
    try:
        from Xlib import display as xdisplay

        return xdisplay.Display(display_name)
    except Exception as exc:  # Xlib raises many unrelated types here
        raise ProbeError(f"cannot open display {display_name}") from exc


def _xlib_errors() -> tuple[type[BaseException], ...]:
    from Xlib import error as xerror

    return (xerror.XError, xerror.ConnectionClosedError, OSError)


class X11Probe:
    """Idle time from the X server (MIT-SCREEN-SAVER)."""

    def __init__(self, display_name: str | None) -> None:
        self._d = _connect(display_name)
        if not self._d.has_extension("MIT-SCREEN-SAVER"):
            self._d.close()
            raise ProbeError("the X server has no MIT-SCREEN-SAVER extension")
        self._errors = _xlib_errors()
        self._closed = False

    @property
    def name(self) -> str:
        """``x11``."""
        return "x11"

    @property
    def notice(self) -> str:
        """Nothing to explain."""
        return ""

    def idle(self) -> timedelta | None:
        """Time since the last input anywhere on this display."""
        if self._closed:
            return None
        try:
            info = self._d.screen().root.screensaver_query_info()
        except self._errors:
            return None
        return timedelta(milliseconds=int(info.idle))

    def windows(self) -> X11Windows:
        """A window reader on this probe's connection: call the two from one thread at a time."""
        return X11Windows(None, display=self._d)

    def close(self) -> None:
        """Close the display connection (a reader from :meth:`windows` stops working too)."""
        if not self._closed:
            self._closed = True
            self._d.close()


def open_probe(env: Mapping[str, str]) -> X11Probe:
    """The X11 idle probe for ``$DISPLAY``; ``ProbeError`` says why not."""
    return X11Probe(env.get("DISPLAY"))


@dataclass(frozen=True)
class ActiveWindow:
    """What do-not-disturb needs to know about the focused window.

    ``wm_class`` names the app: X11 ``WM_CLASS`` (instance, class); Windows (executable
    stem, window class); macOS (app name, its first dotted part). ``title`` is the window's
    title (X11 ``_NET_WM_NAME``).
    """

    fullscreen: bool
    wm_class: tuple[str, ...] = ()
    title: str = ""


class X11Windows:
    """Reads the active window's state (EWMH). Used from one thread at a time.

    It opens its own connection to ``display_name``, or borrows ``display`` (which then stays
    open when this reader closes: its owner closes it).
    """

    def __init__(self, display_name: str | None, *, display: object | None = None) -> None:
        self._owned = display is None
        self._d: Any = display
        if display is None:
            self._d = _connect(display_name)
        self._errors = _xlib_errors()
        self._atoms = {
            name: self._d.intern_atom(name)
            for name in (
                "_NET_ACTIVE_WINDOW",
                "_NET_WM_STATE",
                "_NET_WM_STATE_FULLSCREEN",
                "_NET_WM_NAME",
                "UTF8_STRING",
            )
        }

    def active(self) -> ActiveWindow | None:
        """The active window's fullscreen flag and names, or ``None`` when there is none."""
        a = self._atoms
        try:
            root = self._d.screen().root
            prop = root.get_full_property(a["_NET_ACTIVE_WINDOW"], 0)  # 0 = AnyPropertyType
            if prop is None or not prop.value or not prop.value[0]:
                return None
            win = self._d.create_resource_object("window", int(prop.value[0]))
            state = win.get_full_property(a["_NET_WM_STATE"], 0)
            fullscreen = state is not None and a["_NET_WM_STATE_FULLSCREEN"] in state.value
            wm_class = tuple(str(n) for n in (win.get_wm_class() or ()))
            prop = win.get_full_property(a["_NET_WM_NAME"], a["UTF8_STRING"])
            raw = prop.value if prop is not None else b""
            title = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        except self._errors:
            # The window went away between two requests: nothing is focused any more.
            return None
        return ActiveWindow(fullscreen=bool(fullscreen), wm_class=wm_class, title=title)

    def close(self) -> None:
        """Close the display connection, unless it was borrowed."""
        if self._owned:
            self._d.close()


class InputWatch:
    """Wakes a ``select()`` on :meth:`fileno` at the next keyboard/mouse input.

    Watcher thread only. ``arm()`` selects XInput 2 raw events on the root window (they
    arrive whoever has the focus); ``drain()`` reads what came and disarms at the first input.
    """

    def __init__(self, display_name: str | None) -> None:
        self._d = _connect(display_name)
        if not self._d.has_extension("XInputExtension"):
            self._d.close()
            raise ProbeError("the X server has no XInput extension")
        from Xlib.ext import xinput

        self._xi = xinput
        self._d.xinput_query_version()
        self._root = self._d.screen().root
        self._armed = False
        self._errors = _xlib_errors()

    def fileno(self) -> int:
        """The display socket, for ``select()``."""
        return int(self._d.fileno())

    def _select(self, mask: int) -> None:
        self._root.xinput_select_events([(self._xi.AllMasterDevices, mask)])
        self._d.flush()

    def arm(self) -> None:
        """Start listening for input (idempotent)."""
        if not self._armed:
            xi = self._xi
            self._select(xi.RawKeyPressMask | xi.RawButtonPressMask | xi.RawMotionMask)
            self._armed = True

    def disarm(self) -> None:
        """Stop listening, so typing costs nothing."""
        if self._armed:
            self._select(0)
            self._armed = False

    def drain(self) -> bool:
        """Read pending events; ``True`` (and disarmed) if any input came."""
        seen = False
        try:
            while self._d.pending_events():
                event = self._d.next_event()
                seen = seen or getattr(event, "evtype", None) in {
                    self._xi.RawKeyPress,
                    self._xi.RawButtonPress,
                    self._xi.RawMotion,
                }
            if seen:
                self.disarm()
        except self._errors:
            return False
        return seen

    def close(self) -> None:
        """Close the display connection."""
        self._d.close()
