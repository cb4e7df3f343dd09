"""Do-not-disturb on macOS: is a camera or microphone in use (a meeting)?

:class:`MacCapture` (a ``MeetingPort``): the microphone through CoreAudio (per process on
macOS 14.2+, so music on a headset is not a meeting; per input device before that), the
camera through CoreMediaIO. Neither needs the camera or microphone permission: they ask
whether a device runs, never touch its data.

Only ctypes, loaded inside :func:`open_capture`, so this module imports anywhere; the
frameworks sit behind injected objects of their own shape, so tests drive the port on Linux.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass
from typing import Any

from posturebreak.presence.dnd.mac_dnd import (
    AUDIO_PATH,
    CMIO_PATH,
    OS_ERRORS,
    fourcc,
    load_framework,
)
from posturebreak.presence.dnd.win_dnd import set_prototypes
from posturebreak.presence.idle import ProbeError

_vp, _u32 = ctypes.c_void_p, ctypes.c_uint32
_p_u32 = ctypes.POINTER(_u32)

SYSTEM_OBJECT = 1  # kAudioObjectSystemObject, kCMIOObjectSystemObject
ELEMENT_MAIN = 0  # kAudioObjectPropertyElementMain, kCMIOObjectPropertyElementMain
SCOPE_GLOBAL = fourcc("glob")  # kAudioObjectPropertyScopeGlobal, kCMIOObjectPropertyScopeGlobal
SCOPE_INPUT = fourcc("inpt")  # kAudioObjectPropertyScopeInput
DEVICES = fourcc("dev#")  # kAudioHardwarePropertyDevices, kCMIOHardwarePropertyDevices
STREAMS = fourcc("stm#")  # kAudioDevicePropertyStreams
RUNNING_SOMEWHERE = fourcc("gone")  # kAudio/kCMIODevicePropertyDeviceIsRunningSomewhere
PROCESSES = fourcc("prs#")  # kAudioHardwarePropertyProcessObjectList (macOS 14.2+)
PROCESS_PID = fourcc("ppid")  # kAudioProcessPropertyPID
PROCESS_INPUT = fourcc("piri")  # kAudioProcessPropertyIsRunningInput


class PropertyAddress(ctypes.Structure):
    """``AudioObjectPropertyAddress`` / ``CMIOObjectPropertyAddress`` (same layout)."""

    _fields_ = (
        ("mSelector", ctypes.c_uint32),
        ("mScope", ctypes.c_uint32),
        ("mElement", ctypes.c_uint32),
    )


_p_addr = ctypes.POINTER(PropertyAddress)
CAPTURE_PROTOTYPES: tuple[tuple[str, str, object, tuple[object, ...]], ...] = (
    # OSStatus f(object, address, qualifier size, qualifier, ...): CMIO passes the data size
    # by value and the used size by pointer, CoreAudio one in-out size pointer.
    ("audio", "AudioObjectGetPropertyDataSize", ctypes.c_int32, (_u32, _p_addr, _u32, _vp, _p_u32)),
    (
        "audio",
        "AudioObjectGetPropertyData",
        ctypes.c_int32,
        (_u32, _p_addr, _u32, _vp, _p_u32, _p_u32),
    ),
    ("cmio", "CMIOObjectGetPropertyDataSize", ctypes.c_int32, (_u32, _p_addr, _u32, _vp, _p_u32)),
    (
        "cmio",
        "CMIOObjectGetPropertyData",
        ctypes.c_int32,
        (_u32, _p_addr, _u32, _vp, _u32, _p_u32, _p_u32),
    ),
)
"""Every call :class:`MacCapture` makes (all its data are ``UInt32`` arrays)."""


@dataclass(frozen=True)
class CaptureLibs:
    """CoreAudio and CoreMediaIO (``ctypes.CDLL`` objects or fakes); either may be ``None``."""

    audio: Any
    cmio: Any


def _address(selector: int, scope: int = SCOPE_GLOBAL) -> ctypes._Pointer[PropertyAddress]:
    return ctypes.pointer(PropertyAddress(selector, scope, ELEMENT_MAIN))


class MacCapture:
    """Camera or microphone in use, as CoreAudio and CoreMediaIO say (``MeetingPort``).

    One thread at a time.
    """

    def __init__(self, libs: CaptureLibs, *, pid: int | None = None) -> None:
        self._audio = libs.audio
        self._cmio = libs.cmio
        self._pid = os.getpid() if pid is None else pid

    def in_use(self) -> bool:
        """Whether another program records sound or video now; ``False`` when macOS won't say."""
        try:
            return self._microphone() or self._camera()
        except OS_ERRORS:
            return False

    def _microphone(self) -> bool:
        if self._audio is None:
            return False
        processes = self._audio_ids(SYSTEM_OBJECT, PROCESSES)
        if processes is not None:
            # macOS 14.2+: who records, not which device runs (a headset plays music too).
            return any(
                self._audio_u32(p, PROCESS_INPUT) and self._audio_u32(p, PROCESS_PID) != self._pid
                for p in processes
            )
        devices = self._audio_ids(SYSTEM_OBJECT, DEVICES) or []
        return any(
            self._audio_size(d, STREAMS, SCOPE_INPUT) and self._audio_u32(d, RUNNING_SOMEWHERE)
            for d in devices
        )

    def _camera(self) -> bool:
        if self._cmio is None:
            return False
        size = ctypes.c_uint32(0)
        address = _address(DEVICES)
        if self._cmio.CMIOObjectGetPropertyDataSize(
            SYSTEM_OBJECT, address, 0, None, ctypes.pointer(size)
        ):
            return False
        return any(self._cmio_u32(d, RUNNING_SOMEWHERE) for d in self._cmio_list(address, size))

    def _cmio_list(
        self, address: ctypes._Pointer[PropertyAddress], size: ctypes.c_uint32
    ) -> list[int]:
        ids = (ctypes.c_uint32 * (size.value // 4))()
        used = ctypes.c_uint32(0)
        if self._cmio.CMIOObjectGetPropertyData(
            SYSTEM_OBJECT, address, 0, None, size.value, ctypes.pointer(used), ids
        ):
            return []
        return list(ids[: used.value // 4])

    def _cmio_u32(self, obj: int, selector: int) -> int:
        value = (ctypes.c_uint32 * 1)()
        used = ctypes.c_uint32(0)
        if self._cmio.CMIOObjectGetPropertyData(
            obj, _address(selector), 0, None, 4, ctypes.pointer(used), value
        ):
            return 0
        return int(value[0])

    def _audio_size(self, obj: int, selector: int, scope: int = SCOPE_GLOBAL) -> int:
        size = ctypes.c_uint32(0)
        if self._audio.AudioObjectGetPropertyDataSize(
            obj, _address(selector, scope), 0, None, ctypes.pointer(size)
        ):
            return 0
        return int(size.value)

    def _audio_ids(self, obj: int, selector: int) -> list[int] | None:
        """An ``AudioObjectID`` list, or ``None`` when ``obj`` has no such property."""
        size = ctypes.c_uint32(0)
        address = _address(selector)
        if self._audio.AudioObjectGetPropertyDataSize(obj, address, 0, None, ctypes.pointer(size)):
            return None
        ids = (ctypes.c_uint32 * (size.value // 4))()
        if self._audio.AudioObjectGetPropertyData(obj, address, 0, None, ctypes.pointer(size), ids):
            return None
        return list(ids[: size.value // 4])

    def _audio_u32(self, obj: int, selector: int) -> int:
        value = (ctypes.c_uint32 * 1)()
        size = ctypes.c_uint32(4)
        if self._audio.AudioObjectGetPropertyData(
            obj, _address(selector), 0, None, ctypes.pointer(size), value
        ):
            return 0
        return int(value[0])

    def close(self) -> None:
        """Nothing to release (each check asks afresh)."""


def load_capture(platform: str = sys.platform) -> CaptureLibs:
    """CoreAudio and CoreMediaIO with prototypes set; ``ProbeError`` when neither loads."""
    if platform != "darwin":
        raise ProbeError("not macOS")
    libs: dict[str, ctypes.CDLL | None] = {}
    reasons: list[str] = []
    for name, path in (("audio", AUDIO_PATH), ("cmio", CMIO_PATH)):
        try:
            lib = load_framework(path)
            set_prototypes({name: lib}, (p for p in CAPTURE_PROTOTYPES if p[0] == name))
        except (ProbeError, AttributeError) as exc:
            reasons.append(str(exc))
            lib = None
        libs[name] = lib
    if not any(libs.values()):
        raise ProbeError("; ".join(reasons))
    return CaptureLibs(**libs)


def open_capture(platform: str = sys.platform) -> MacCapture:
    """The camera/microphone port for this Mac; ``ProbeError`` says why not."""
    return MacCapture(load_capture(platform))
