r"""Do-not-disturb on Windows: the foreground window, and whether a camera or microphone is in use.

- :class:`WinWindows` (a ``WindowPort``): the foreground window's title, executable and window
  class (so ``[do_not_disturb] apps = ["zoom"]`` matches ``Zoom.exe``), and whether it is
  fullscreen: its rectangle fills its monitor (the desktop and taskbar do not count), or the
  shell says a fullscreen, Direct3D or presentation-mode app is running
  (``SHQueryUserNotificationState``).
- :class:`WinCapture` (a ``MeetingPort``): Windows 10/11 note every app's camera and microphone
  use under ``HKCU\...\CapabilityAccessManager\ConsentStore``; an app whose last use started
  and has not stopped is using it now.

Only ctypes and ``winreg`` (no pywin32), loaded inside :func:`open_windows` /
:func:`open_capture`, so this module imports anywhere. The decisions are pure functions over
plain values (:func:`covers`, :func:`fullscreen_state`, :func:`consent_in_use`); the OS sits
behind injected objects of the same shape as ``user32``/``winreg``, so tests drive both ports
end to end on Linux. :class:`Rect` and :func:`covers` serve ``mac_dnd`` too.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PureWindowsPath
from typing import Any

from posturebreak.presence.idle import ProbeError
from posturebreak.presence.idle.x11 import ActiveWindow

SLACK = 3
"""Pixels (or points) by which a fullscreen window may miss its monitor's edges (DPI rounding).

Smaller than the ~8 px by which a maximised window's frame overhangs the monitor, so a
maximised window is not fullscreen even when the taskbar auto-hides.
"""

SHELL_CLASSES = frozenset({"Progman", "WorkerW", "Shell_TrayWnd", "Shell_SecondaryTrayWnd"})
"""The desktop and the taskbar: they fill the monitor without being anyone's fullscreen app."""

# SHQueryUserNotificationState answers (QUERY_USER_NOTIFICATION_STATE).
QUNS_BUSY = 2  # a fullscreen app is running, or presentation settings are on
QUNS_RUNNING_D3D_FULL_SCREEN = 3  # an exclusive-mode Direct3D app (a game)
QUNS_PRESENTATION_MODE = 4  # Windows presentation mode
_QUNS_FULLSCREEN = frozenset({QUNS_BUSY, QUNS_RUNNING_D3D_FULL_SCREEN, QUNS_PRESENTATION_MODE})

PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
MONITOR_DEFAULTTONEAREST = 2
MAX_CLASS_NAME = 256  # window class names are at most 256 characters
MAX_PATH_CHARS = 32768  # the longest extended-length path

CONSENT_STORE = r"Software\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore"
CONSENT_KINDS = ("webcam", "microphone")
NON_PACKAGED = "NonPackaged"
"""The subkey that holds desktop (non-Store) apps, one subkey per executable path."""

STALE = timedelta(hours=12)
"""A use that "started" longer ago than this is ignored: an app that crashed mid-call leaves
its stop time at 0 for good, and must not hold every break back from then on."""

_FILETIME_EPOCH = 11_644_473_600  # seconds from 1601-01-01 (FILETIME) to 1970-01-01
_FILETIME_PER_SECOND = 10_000_000  # FILETIME counts 100 ns steps


@dataclass(frozen=True)
class Rect:
    """A screen rectangle: left/top inclusive, right/bottom exclusive (Win32 ``RECT``)."""

    left: float
    top: float
    right: float
    bottom: float


def covers(window: Rect, monitors: Sequence[Rect], slack: float = SLACK) -> bool:
    """Whether ``window`` fills one of ``monitors``, each edge within ``slack``. Pure.

    A fullscreen window is sized to its monitor; a maximised one stops at the taskbar (or the
    macOS menu bar), or overhangs the monitor by its frame, and so is not fullscreen.
    """
    return any(
        abs(window.left - m.left) <= slack
        and abs(window.top - m.top) <= slack
        and abs(window.right - m.right) <= slack
        and abs(window.bottom - m.bottom) <= slack
        for m in monitors
    )


def fullscreen_state(quns: int) -> bool:
    """Whether a ``SHQueryUserNotificationState`` answer means a fullscreen app. Pure."""
    return quns in _QUNS_FULLSCREEN


def exe_stem(image_path: str) -> str:
    r"""``C:\Program Files\Zoom\bin\Zoom.exe`` -> ``zoom``. Pure."""
    return PureWindowsPath(image_path).stem.lower() if image_path else ""


def window_facts(
    *, title: str, class_name: str, image_path: str, fills_monitor: bool, quns: int
) -> ActiveWindow:
    """The ``ActiveWindow`` for what Windows said about the foreground window. Pure."""
    on_desktop = class_name in SHELL_CLASSES
    fullscreen = (fills_monitor and not on_desktop) or fullscreen_state(quns)
    names = tuple(n for n in (exe_stem(image_path), class_name) if n)
    return ActiveWindow(fullscreen=fullscreen, wm_class=names, title=title)


@dataclass(frozen=True)
class Win32Libs:
    """The DLLs :class:`WinWindows` calls (``ctypes.WinDLL`` objects, or fakes of that shape)."""

    user32: Any
    kernel32: Any
    shell32: Any


# Win32 LONG and DWORD are 32 bits everywhere; c_long would be 64 on Linux, where tests run.
class _RECT(ctypes.Structure):
    _fields_ = (
        ("left", ctypes.c_int32),
        ("top", ctypes.c_int32),
        ("right", ctypes.c_int32),
        ("bottom", ctypes.c_int32),
    )


class _MONITORINFO(ctypes.Structure):
    _fields_ = (
        ("cbSize", ctypes.c_uint32),
        ("rcMonitor", _RECT),
        ("rcWork", _RECT),
        ("dwFlags", ctypes.c_uint32),
    )


def _rect(r: _RECT) -> Rect:
    return Rect(r.left, r.top, r.right, r.bottom)


_OS_ERRORS = (OSError, ValueError, ctypes.ArgumentError)


class WinWindows:
    """The foreground window for do-not-disturb (``WindowPort``). One thread at a time."""

    def __init__(self, libs: Win32Libs) -> None:
        self._u = libs.user32
        self._k = libs.kernel32
        self._s = libs.shell32

    def active(self) -> ActiveWindow | None:
        """The foreground window, or ``None`` when none has the focus (or Windows won't say)."""
        try:
            quns = self._quns()
            hwnd = self._u.GetForegroundWindow()
            if not hwnd:
                # No focus (a lock or UAC switch); a presentation-mode shell still counts.
                return ActiveWindow(fullscreen=True) if fullscreen_state(quns) else None
            return window_facts(
                title=self._title(hwnd),
                class_name=self._class_name(hwnd),
                image_path=self._image_path(hwnd),
                fills_monitor=self._fills_monitor(hwnd),
                quns=quns,
            )
        except _OS_ERRORS:
            return None

    def _quns(self) -> int:
        state = ctypes.c_int(0)
        if self._s.SHQueryUserNotificationState(ctypes.pointer(state)) != 0:  # not S_OK
            return 0
        return int(state.value)

    def _title(self, hwnd: int) -> str:
        n = int(self._u.GetWindowTextLengthW(hwnd))
        if n <= 0:
            return ""
        buf = ctypes.create_unicode_buffer(n + 1)
        self._u.GetWindowTextW(hwnd, buf, n + 1)
        return buf.value

    def _class_name(self, hwnd: int) -> str:
        buf = ctypes.create_unicode_buffer(MAX_CLASS_NAME + 1)
        if not self._u.GetClassNameW(hwnd, buf, MAX_CLASS_NAME + 1):
            return ""
        return buf.value

    def _image_path(self, hwnd: int) -> str:
        pid = ctypes.c_uint32(0)
        self._u.GetWindowThreadProcessId(hwnd, ctypes.pointer(pid))
        if not pid.value:
            return ""
        inherit = 0
        handle = self._k.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, inherit, pid.value)
        if not handle:
            return ""  # a protected process: its window class still names it
        try:
            size = ctypes.c_uint32(MAX_PATH_CHARS)
            buf = ctypes.create_unicode_buffer(MAX_PATH_CHARS)
            if not self._k.QueryFullProcessImageNameW(handle, 0, buf, ctypes.pointer(size)):
                return ""
            return buf.value
        finally:
            self._k.CloseHandle(handle)

    def _fills_monitor(self, hwnd: int) -> bool:
        window = _RECT()
        if not self._u.GetWindowRect(hwnd, ctypes.pointer(window)):
            return False
        monitor = self._u.MonitorFromWindow(hwnd, MONITOR_DEFAULTTONEAREST)
        if not monitor:
            return False
        info = _MONITORINFO()
        info.cbSize = ctypes.sizeof(_MONITORINFO)
        if not self._u.GetMonitorInfoW(monitor, ctypes.pointer(info)):
            return False
        return covers(_rect(window), [_rect(info.rcMonitor)])

    def close(self) -> None:
        """Nothing to release (the DLLs stay loaded for the process)."""


_u32, _i32, _vp, _wbuf = (
    ctypes.c_uint32,
    ctypes.c_int32,
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_wchar),
)
WIN32_PROTOTYPES: tuple[tuple[str, str, object, tuple[object, ...]], ...] = (
    # (dll, function, restype, argtypes), in fixed-width types: DWORD and BOOL are 32 bits,
    # handles are pointers. Output buffers are POINTER(c_wchar), which takes our arrays.
    ("user32", "GetForegroundWindow", _vp, ()),
    ("user32", "GetWindowTextLengthW", ctypes.c_int, (_vp,)),
    ("user32", "GetWindowTextW", ctypes.c_int, (_vp, _wbuf, ctypes.c_int)),
    ("user32", "GetClassNameW", ctypes.c_int, (_vp, _wbuf, ctypes.c_int)),
    ("user32", "GetWindowThreadProcessId", _u32, (_vp, ctypes.POINTER(_u32))),
    ("user32", "GetWindowRect", _i32, (_vp, ctypes.POINTER(_RECT))),
    ("user32", "MonitorFromWindow", _vp, (_vp, _u32)),
    ("user32", "GetMonitorInfoW", _i32, (_vp, ctypes.POINTER(_MONITORINFO))),
    ("kernel32", "OpenProcess", _vp, (_u32, _i32, _u32)),
    ("kernel32", "QueryFullProcessImageNameW", _i32, (_vp, _u32, _wbuf, ctypes.POINTER(_u32))),
    ("kernel32", "CloseHandle", _i32, (_vp,)),
    ("shell32", "SHQueryUserNotificationState", ctypes.c_long, (ctypes.POINTER(ctypes.c_int),)),
)
"""Every call :class:`WinWindows` makes; without prototypes ctypes would cut 64-bit handles."""


def set_prototypes(
    libs: Mapping[str, object], table: Iterable[tuple[str, str, object, tuple[object, ...]]]
) -> None:
    """Give each function its ``restype``/``argtypes``; ``AttributeError`` if one is missing."""
    for lib, name, restype, argtypes in table:
        func = getattr(libs[lib], name)
        func.restype = restype
        func.argtypes = argtypes


def load_win32(platform: str = sys.platform) -> Win32Libs:
    """Our own ``WinDLL`` handles with prototypes set; ``ProbeError`` when not on Windows.

    Own handles, not ``ctypes.windll``: other code (pystray) sets its own ``argtypes`` there.
    """
    # getattr: ``ctypes.WinDLL`` exists on Windows only.
    win_dll: Any = getattr(ctypes, "WinDLL", None)
    if platform != "win32" or win_dll is None:
        raise ProbeError("not Windows")
    try:
        libs = {
            name: win_dll(name, use_last_error=True) for name in ("user32", "kernel32", "shell32")
        }
        set_prototypes(libs, WIN32_PROTOTYPES)
    except (OSError, AttributeError) as exc:
        raise ProbeError(f"a Windows API is missing ({exc})") from exc
    return Win32Libs(**libs)


def open_windows(platform: str = sys.platform) -> WinWindows:
    """The foreground-window port for this Windows session; ``ProbeError`` says why not."""
    return WinWindows(load_win32(platform))


# --- camera and microphone ------------------------------------------------------------------


def consent_in_use(entries: Iterable[tuple[int, int]], *, oldest_start: int = 0) -> bool:
    """Whether any ``(LastUsedTimeStart, LastUsedTimeStop)`` pair is a use going on now. Pure.

    A use is going on when it started (``start > 0``) and has not stopped (``stop == 0``).
    ``oldest_start`` (a FILETIME) drops uses that started before it (see :data:`STALE`).
    """
    return any(stop == 0 and start > 0 and start >= oldest_start for start, stop in entries)


def filetime(unix_seconds: float) -> int:
    """A Unix time as a Windows FILETIME (100 ns steps since 1601). Pure."""
    return int((unix_seconds + _FILETIME_EPOCH) * _FILETIME_PER_SECOND)


def registry_name(executable: str) -> str:
    r"""How the consent store names a desktop app: its path with ``#`` for ``\``. Pure."""
    return executable.replace("\\", "#")


class WinCapture:
    """Camera or microphone in use, as Windows 10/11 record it (``MeetingPort``).

    ``registry`` is ``winreg`` (or a fake with the same ``OpenKey``/``QueryInfoKey``/
    ``EnumKey``/``QueryValueEx`` calls). One thread at a time.
    """

    def __init__(
        self,
        registry: Any,  # noqa: ANN401  winreg exists (and is typed) only on Windows; tests pass a fake
        *,
        executable: str = sys.executable,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._reg = registry
        self._self = registry_name(executable).casefold()
        self._wall = wall

    def in_use(self) -> bool:
        """Whether another app captures video or sound now; ``False`` when Windows won't say."""
        oldest = filetime(self._wall() - STALE.total_seconds())
        return any(self._kind_in_use(kind, oldest) for kind in CONSENT_KINDS)

    def _kind_in_use(self, kind: str, oldest: int) -> bool:
        try:
            return consent_in_use(self._entries(rf"{CONSENT_STORE}\{kind}"), oldest_start=oldest)
        except OSError:
            return False  # this kind's key is missing or unreadable: the other one may say

    def _entries(self, path: str) -> list[tuple[int, int]]:
        """Every app's ``(start, stop)`` under one kind; read whole, so no key stays open."""
        found: list[tuple[int, int]] = []
        with self._reg.OpenKey(self._reg.HKEY_CURRENT_USER, path) as kind_key:
            for name in self._subkeys(kind_key):
                if name != NON_PACKAGED:
                    found.append(self._times(kind_key, name))
                    continue
                with self._reg.OpenKey(kind_key, name) as desktop_apps:
                    found.extend(
                        self._times(desktop_apps, app)
                        for app in self._subkeys(desktop_apps)
                        if app.casefold() != self._self
                    )
        return found

    def _subkeys(self, key: object) -> list[str]:
        count = int(self._reg.QueryInfoKey(key)[0])
        return [str(self._reg.EnumKey(key, i)) for i in range(count)]

    def _times(self, parent: object, name: str) -> tuple[int, int]:
        """``(start, stop)`` of one app's last use; ``(0, 0)`` when it has none recorded."""
        try:
            with self._reg.OpenKey(parent, name) as app:
                start = self._qword(app, "LastUsedTimeStart")
                stop = self._qword(app, "LastUsedTimeStop")
        except OSError:
            return (0, 0)
        return (start, stop)

    def _qword(self, key: object, value: str) -> int:
        try:
            data, _kind = self._reg.QueryValueEx(key, value)
        except OSError:
            return 0
        return data if isinstance(data, int) else 0

    def close(self) -> None:
        """Nothing to release (each check opens and closes its keys)."""


def open_capture(platform: str = sys.platform) -> WinCapture:
    """The camera/microphone port; ``ProbeError`` when this Windows keeps no such record."""
    if platform != "win32":
        raise ProbeError("not Windows")
    try:
        winreg: Any = importlib.import_module("winreg")
    except ImportError as exc:
        raise ProbeError("not Windows") from exc
    try:
        winreg.OpenKey(winreg.HKEY_CURRENT_USER, CONSENT_STORE).Close()
    except OSError as exc:
        raise ProbeError("this Windows records no camera or microphone use") from exc
    return WinCapture(winreg)
