"""Do-not-disturb on macOS: the frontmost window (camera and microphone: ``mac_capture``).

- :class:`MacWindows` (a ``WindowPort``): CoreGraphics' on-screen window list, front to back;
  the first normal-layer window is the frontmost. Its owner (the app's name) is the
  ``wm_class``, its title needs the screen-recording permission (else ``""``), and it is
  fullscreen when its bounds fill a display: a zoomed window stops at the menu bar.

Only ctypes, loaded inside :func:`open_windows`, so this module imports anywhere.
:func:`frontmost` decides over plain mappings; the frameworks sit behind injected objects of
their own shape, so tests drive the port end to end on Linux.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from posturebreak.presence.dnd.win_dnd import Rect, covers, set_prototypes
from posturebreak.presence.idle import ProbeError
from posturebreak.presence.idle.x11 import ActiveWindow


def fourcc(code: str) -> int:
    """Apple's four-character code as the ``UInt32`` the C headers mean (``'dev#'``). Pure."""
    raw = code.encode("ascii")
    if len(raw) != 4:
        raise ValueError(f"a four-character code has four characters, not {code!r}")
    return int.from_bytes(raw, "big")


# --- CoreGraphics window list ----------------------------------------------------------------

LIST_ON_SCREEN_ONLY = 1 << 0  # kCGWindowListOptionOnScreenOnly
LIST_EXCLUDE_DESKTOP = 1 << 4  # kCGWindowListExcludeDesktopElements
NULL_WINDOW_ID = 0  # kCGNullWindowID
MAX_DISPLAYS = 32

# The window-info keys; each CFString constant's text is its own name.
LAYER = "kCGWindowLayer"
OWNER = "kCGWindowOwnerName"
NAME = "kCGWindowName"
BOUNDS = "kCGWindowBounds"
ALPHA = "kCGWindowAlpha"
WINDOW_KEYS = (LAYER, OWNER, NAME, BOUNDS, ALPHA)

UTF8 = 0x08000100  # kCFStringEncodingUTF8
NUMBER_DOUBLE = 13  # kCFNumberDoubleType

CF_PATH = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
CG_PATH = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"
AUDIO_PATH = "/System/Library/Frameworks/CoreAudio.framework/CoreAudio"
CMIO_PATH = "/System/Library/Frameworks/CoreMediaIO.framework/CoreMediaIO"


def app_names(owner: str) -> tuple[str, ...]:
    """``wm_class`` for an app name: ``zoom.us`` also answers to ``zoom``. Pure."""
    if not owner:
        return ()
    stem = owner.split(".", 1)[0]
    return (owner, stem) if stem and stem != owner else (owner,)


def frontmost(
    entries: Iterable[Mapping[str, object]], displays: Sequence[Rect] = ()
) -> ActiveWindow | None:
    """The first normal-layer, visible window of a front-to-back list, or ``None``. Pure.

    ``entries`` carry the ``kCGWindow*`` keys, with ``kCGWindowBounds`` as a :class:`Rect`.
    """
    for entry in entries:
        alpha = entry.get(ALPHA)
        if entry.get(LAYER) != 0 or (isinstance(alpha, (int, float)) and alpha <= 0):
            continue  # menus, the Dock, overlays, and invisible helper windows
        bounds = entry.get(BOUNDS)
        return ActiveWindow(
            fullscreen=isinstance(bounds, Rect) and covers(bounds, displays),
            wm_class=app_names(str(entry.get(OWNER) or "")),
            title=str(entry.get(NAME) or ""),
        )
    return None


class CGRect(ctypes.Structure):
    """CoreGraphics ``CGRect``: origin then size (``CGFloat`` is a double on 64-bit macOS).

    Flat, not nested ``CGPoint``/``CGSize``: the same layout and the same four-double
    return convention, in fewer lines.
    """

    _fields_ = (
        ("x", ctypes.c_double),
        ("y", ctypes.c_double),
        ("width", ctypes.c_double),
        ("height", ctypes.c_double),
    )


def rect_of(r: CGRect) -> Rect:
    """A ``CGRect`` (origin and size) as a :class:`Rect`. Pure."""
    return Rect(r.x, r.y, r.x + r.width, r.y + r.height)


@dataclass(frozen=True)
class QuartzLibs:
    """CoreFoundation and CoreGraphics (``ctypes.CDLL`` objects, or fakes of that shape)."""

    cf: Any
    cg: Any


OS_ERRORS = (OSError, ValueError, ctypes.ArgumentError)
"""What a framework call through ctypes raises when it goes wrong."""


class MacWindows:
    """The frontmost window for do-not-disturb (``WindowPort``). One thread at a time."""

    def __init__(self, libs: QuartzLibs) -> None:
        self._cf = libs.cf
        self._cg = libs.cg
        # Keys are created once and released in close(): one CFString each.
        self._keys: dict[str, int] = {}
        for key in WINDOW_KEYS:
            ref = self._cf.CFStringCreateWithCString(None, key.encode(), UTF8)
            if not ref:
                self.close()
                raise ProbeError("CoreFoundation cannot make a string")
            self._keys[key] = ref

    def active(self) -> ActiveWindow | None:
        """The frontmost window, or ``None`` when none is on screen (or macOS won't say)."""
        if not self._keys:
            return None  # closed
        try:
            displays = self._displays()
            windows = self._cg.CGWindowListCopyWindowInfo(
                LIST_ON_SCREEN_ONLY | LIST_EXCLUDE_DESKTOP, NULL_WINDOW_ID
            )
            if not windows:
                return None
            try:
                return frontmost(self._entries(windows), displays)
            finally:
                self._cf.CFRelease(windows)
        except OS_ERRORS:
            return None

    def _displays(self) -> list[Rect]:
        ids = (ctypes.c_uint32 * MAX_DISPLAYS)()
        count = ctypes.c_uint32(0)
        if self._cg.CGGetActiveDisplayList(MAX_DISPLAYS, ids, ctypes.pointer(count)) != 0:
            return []
        return [rect_of(self._cg.CGDisplayBounds(ids[i])) for i in range(count.value)]

    def _entries(self, windows: int) -> Iterator[dict[str, object]]:
        """Each window's info as plain values, read lazily (the list is front to back)."""
        for i in range(int(self._cf.CFArrayGetCount(windows))):
            info = self._cf.CFArrayGetValueAtIndex(windows, i)
            if not info:
                continue
            entry: dict[str, object] = {
                LAYER: self._number(info, LAYER),
                ALPHA: self._number(info, ALPHA),
                OWNER: self._string(info, OWNER),
                NAME: self._string(info, NAME),
            }
            bounds = self._value(info, BOUNDS)
            rect = CGRect()
            if bounds and self._cg.CGRectMakeWithDictionaryRepresentation(
                bounds, ctypes.pointer(rect)
            ):
                entry[BOUNDS] = rect_of(rect)
            yield entry

    def _value(self, info: int, key: str) -> int | None:
        ref = self._cf.CFDictionaryGetValue(info, self._keys[key])
        return int(ref) if ref else None

    def _number(self, info: int, key: str) -> float | None:
        ref = self._value(info, key)
        value = ctypes.c_double(0.0)
        if ref is None or not self._cf.CFNumberGetValue(ref, NUMBER_DOUBLE, ctypes.pointer(value)):
            return None
        return value.value

    def _string(self, info: int, key: str) -> str:
        ref = self._value(info, key)
        if ref is None:
            return ""
        size = int(
            self._cf.CFStringGetMaximumSizeForEncoding(self._cf.CFStringGetLength(ref), UTF8)
        )
        buf = ctypes.create_string_buffer(size + 1)
        if not self._cf.CFStringGetCString(ref, buf, size + 1, UTF8):
            return ""
        return buf.value.decode("utf-8", "replace")

    def close(self) -> None:
        """Release the key strings (idempotent)."""
        for ref in self._keys.values():
            self._cf.CFRelease(ref)
        self._keys.clear()


_vp, _u32, _index, _yes = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_long, ctypes.c_bool
_p_u32 = ctypes.POINTER(_u32)
QUARTZ_PROTOTYPES: tuple[tuple[str, str, object, tuple[object, ...]], ...] = (
    # (framework, function, restype, argtypes). Every reference is c_void_p: ctypes' default
    # int would cut 64-bit CoreFoundation references in half.
    ("cf", "CFArrayGetCount", _index, (_vp,)),
    ("cf", "CFArrayGetValueAtIndex", _vp, (_vp, _index)),
    ("cf", "CFDictionaryGetValue", _vp, (_vp, _vp)),
    ("cf", "CFStringCreateWithCString", _vp, (_vp, ctypes.c_char_p, _u32)),
    ("cf", "CFStringGetLength", _index, (_vp,)),
    ("cf", "CFStringGetMaximumSizeForEncoding", _index, (_index, _u32)),
    ("cf", "CFStringGetCString", _yes, (_vp, ctypes.POINTER(ctypes.c_char), _index, _u32)),
    ("cf", "CFNumberGetValue", _yes, (_vp, _index, ctypes.POINTER(ctypes.c_double))),
    ("cf", "CFRelease", None, (_vp,)),
    ("cg", "CGWindowListCopyWindowInfo", _vp, (_u32, _u32)),
    ("cg", "CGRectMakeWithDictionaryRepresentation", _yes, (_vp, ctypes.POINTER(CGRect))),
    ("cg", "CGGetActiveDisplayList", ctypes.c_int32, (_u32, _p_u32, _p_u32)),
    ("cg", "CGDisplayBounds", CGRect, (_u32,)),
)
"""Every call :class:`MacWindows` makes."""


def load_framework(path: str) -> ctypes.CDLL:
    """A macOS framework by path; ``ProbeError`` when it cannot be loaded."""
    try:
        return ctypes.CDLL(path)
    except OSError as exc:
        raise ProbeError(f"cannot load {path.rsplit('/', 1)[-1]}") from exc


def load_quartz(platform: str = sys.platform) -> QuartzLibs:
    """CoreFoundation and CoreGraphics with prototypes set; ``ProbeError`` when not on macOS."""
    if platform != "darwin":
        raise ProbeError("not macOS")
    libs = {"cf": load_framework(CF_PATH), "cg": load_framework(CG_PATH)}
    try:
        set_prototypes(libs, QUARTZ_PROTOTYPES)
    except AttributeError as exc:
        raise ProbeError(f"a macOS API is missing ({exc})") from exc
    return QuartzLibs(**libs)


def open_windows(platform: str = sys.platform) -> MacWindows:
    """The frontmost-window port for this macOS session; ``ProbeError`` says why not."""
    return MacWindows(load_quartz(platform))
