"""Do-not-disturb on Windows and macOS, driven on Linux through fakes of the OS's own shape.

The fakes take the same arguments the real DLLs/frameworks get (ctypes pointers, buffers,
arrays) and write their answers into them, so the ports' marshalling runs here too.
"""

# The fakes keep the OS functions' own names and full C signatures, so the ports call them
# exactly as they call user32, winreg, CoreFoundation and CoreAudio.
# ruff: noqa: N802, PLR0917

from __future__ import annotations

import ctypes
import subprocess
import sys
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest

from posturebreak.core.settings import DndSettings, Settings
from posturebreak.presence.dnd import mac_capture, mac_dnd, win_dnd
from posturebreak.presence.dnd.mac_capture import CaptureLibs, MacCapture
from posturebreak.presence.dnd.mac_dnd import (
    ALPHA,
    BOUNDS,
    LAYER,
    NAME,
    OWNER,
    MacWindows,
    QuartzLibs,
    app_names,
    fourcc,
    frontmost,
)
from posturebreak.presence.dnd.win_dnd import (
    CONSENT_STORE,
    Rect,
    Win32Libs,
    WinCapture,
    WinWindows,
    consent_in_use,
    covers,
    exe_stem,
    filetime,
    fullscreen_state,
    window_facts,
)
from posturebreak.presence.idle import ProbeError
from posturebreak.presence.idle.null import NullProbe
from posturebreak.presence.idle.x11 import ActiveWindow
from posturebreak.presence.sensor import FULLSCREEN_HOLD, Presence

HD = Rect(0, 0, 1920, 1080)
RIGHT = Rect(1920, 0, 4480, 1440)  # a second, larger monitor to the right


# --- pure decisions -----------------------------------------------------------------------------


def test_a_window_sized_to_its_monitor_is_fullscreen():
    assert covers(Rect(0, 0, 1920, 1080), [HD])
    assert covers(Rect(1920, 0, 4480, 1440), [HD, RIGHT])
    assert covers(Rect(1, 0, 1919, 1080), [HD])  # DPI rounding


def test_maximised_windows_are_not_fullscreen():
    assert not covers(Rect(0, 0, 1920, 1040), [HD])  # the taskbar shows
    assert not covers(Rect(-8, -8, 1928, 1048), [HD])  # frame overhang, taskbar shows
    assert not covers(Rect(-8, -8, 1928, 1088), [HD])  # taskbar auto-hidden: still a frame
    assert not covers(Rect(-300, 0, 1920, 1080), [HD])  # hangs off the left edge
    assert not covers(Rect(0, 25, 1440, 900), [Rect(0, 0, 1440, 900)])  # macOS, under the menu bar
    assert not covers(Rect(0, 0, 1920, 1080), [])
    assert not covers(Rect(0, 0, 1920, 1080), [RIGHT])  # the other monitor


def test_the_shell_says_fullscreen_for_busy_d3d_and_presentation_mode():
    assert [q for q in range(8) if fullscreen_state(q)] == [2, 3, 4]


def test_the_desktop_filling_the_monitor_is_not_fullscreen():
    desktop = window_facts(
        title="", class_name="WorkerW", image_path="", fills_monitor=True, quns=5
    )
    assert not desktop.fullscreen
    presenting = window_facts(
        title="", class_name="Progman", image_path="", fills_monitor=True, quns=4
    )
    assert presenting.fullscreen


def test_the_executable_names_the_app():
    assert exe_stem(r"C:\Program Files\Zoom\bin\Zoom.exe") == "zoom"
    assert exe_stem("") == ""


def test_a_capture_started_and_not_stopped_is_in_use():
    assert consent_in_use([(0, 0), (100, 200), (300, 0)])
    assert not consent_in_use([(0, 0), (100, 200)])
    assert not consent_in_use([])
    assert not consent_in_use([(300, 0)], oldest_start=301)  # stale: a crash left it open


def test_filetime_counts_from_1601():
    assert filetime(0) == 116_444_736_000_000_000


def test_fourcc_matches_apples_constants():
    assert fourcc("dev#") == 0x64657623  # kAudioHardwarePropertyDevices
    assert fourcc("gone") == 0x676F6E65  # ...DeviceIsRunningSomewhere
    with pytest.raises(ValueError, match="four"):
        fourcc("dev")


def test_the_first_normal_window_is_the_frontmost():
    entries = [
        {LAYER: 25, OWNER: "Control Centre", BOUNDS: Rect(0, 0, 1440, 25)},
        {LAYER: 0, ALPHA: 0.0, OWNER: "Ghost", BOUNDS: Rect(0, 0, 1440, 900)},
        {LAYER: 0, ALPHA: 1.0, OWNER: "Keynote", NAME: "Talk", BOUNDS: Rect(0, 0, 1440, 900)},
        {LAYER: 0, OWNER: "Mail", NAME: "Inbox", BOUNDS: Rect(0, 0, 1440, 900)},
    ]
    win = frontmost(entries, [Rect(0, 0, 1440, 900)])
    assert win == ActiveWindow(fullscreen=True, wm_class=("Keynote",), title="Talk")
    assert frontmost(entries[:2], [Rect(0, 0, 1440, 900)]) is None
    untitled = frontmost([{LAYER: 0, OWNER: "zoom.us"}])
    assert untitled == ActiveWindow(fullscreen=False, wm_class=("zoom.us", "zoom"), title="")


def test_app_names_answer_to_the_short_name():
    assert app_names("zoom.us") == ("zoom.us", "zoom")
    assert app_names("Microsoft Teams") == ("Microsoft Teams",)
    assert app_names("") == ()


# --- on Linux, nothing is touched ----------------------------------------------------------------


def test_the_modules_import_without_windows_or_macos():
    code = (
        "import sys, posturebreak.presence.dnd.win_dnd, posturebreak.presence.dnd.mac_dnd\n"
        "import posturebreak.presence.dnd.mac_capture\n"
        "print(sorted(m for m in ('winreg', 'ctypes.wintypes') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={}
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(sys.platform in {"win32", "darwin"}, reason="checks the other platforms")
def test_opening_elsewhere_says_why_not():
    for opener, why in [
        (win_dnd.open_windows, "not Windows"),
        (win_dnd.open_capture, "not Windows"),
        (mac_dnd.open_windows, "not macOS"),
        (mac_capture.open_capture, "not macOS"),
    ]:
        with pytest.raises(ProbeError, match=why):
            opener()
    with pytest.raises(ProbeError, match="not Windows"):
        win_dnd.load_win32("win32")  # no WinDLL in this Python
    with pytest.raises(ProbeError, match="cannot load CoreFoundation"):
        mac_dnd.load_quartz("darwin")
    with pytest.raises(ProbeError, match=r"CoreAudio.*CoreMediaIO"):
        mac_capture.load_capture("darwin")


# --- Windows: the foreground window --------------------------------------------------------------


def put(buf: Any, text: str | bytes) -> int:
    """Write a NUL-terminated string into a buffer or a pointer to one (as C would)."""
    if isinstance(text, str):
        for i, ch in enumerate(text + "\0"):
            buf[i] = ch
    else:
        for i, byte in enumerate(text + b"\0"):
            buf[i] = bytes([byte])
    return len(text)


def through_ffi(fake: Any, table: Any, lib: str, errors: list[BaseException]) -> Any:
    """``lib`` as C function pointers with the module's own prototypes, calling ``fake``.

    Every argument then crosses libffi as it would into the real DLL: a wrong argtype
    raises ``ArgumentError``, and handles and NULLs convert as ctypes converts them.
    """
    funcs: dict[str, Any] = {}
    for dll, name, restype, argtypes in table:
        if dll != lib:
            continue
        target = getattr(fake, name)
        if isinstance(restype, type) and issubclass(restype, ctypes.Structure):
            funcs[name] = target  # a C callback cannot return a structure
            continue

        def call(*args: Any, _target: Any = target) -> Any:
            try:
                return _target(*args)
            except BaseException as exc:  # ctypes would only print it
                errors.append(exc)
                raise

        funcs[name] = ctypes.CFUNCTYPE(restype, *argtypes)(call)
    return SimpleNamespace(**funcs)


@dataclass
class Win:
    title: str
    cls: str
    exe: str
    rect: tuple[int, int, int, int]
    monitor: tuple[int, int, int, int] = (0, 0, 1920, 1080)


@dataclass
class FakeUser32:
    """``user32`` + ``kernel32`` + ``shell32`` as ctypes would call them, with a call log."""

    windows: dict[int, Win]
    foreground: int = 0
    quns: int = 5  # QUNS_ACCEPTS_NOTIFICATIONS
    calls: list[str] = field(default_factory=list)
    open_handles: set[int] = field(default_factory=set)
    denied: bool = False
    broken: bool = False

    def GetForegroundWindow(self):
        self.calls.append("GetForegroundWindow")
        if self.broken:
            raise OSError("access violation")
        return self.foreground or None  # HWND restype: NULL comes back as None

    def GetWindowTextLengthW(self, hwnd):
        return len(self.windows[hwnd].title)

    def GetWindowTextW(self, hwnd, buf, n):
        return put(buf, self.windows[hwnd].title[: n - 1])

    def GetClassNameW(self, hwnd, buf, n):
        return put(buf, self.windows[hwnd].cls[: n - 1])

    def GetWindowThreadProcessId(self, hwnd, pid):
        pid.contents.value = 4000 + (hwnd & 0xFFF)
        return 1

    def OpenProcess(self, access, inherit, pid):
        self.calls.append(f"OpenProcess({access:#x},{inherit})")
        if self.denied:
            return None
        self.open_handles.add(pid)
        return pid

    def QueryFullProcessImageNameW(self, handle, flags, buf, size):
        assert flags == 0  # a Win32 path, not a native one
        exe = next(w.exe for h, w in self.windows.items() if 4000 + (h & 0xFFF) == handle)
        if size.contents.value <= len(exe):
            return 0
        size.contents.value = put(buf, exe)
        return 1

    def CloseHandle(self, handle):
        self.open_handles.discard(handle)
        return 1

    def GetWindowRect(self, hwnd, rect):
        r = rect.contents
        r.left, r.top, r.right, r.bottom = self.windows[hwnd].rect
        return 1

    def MonitorFromWindow(self, hwnd, flags):
        assert flags == 2  # MONITOR_DEFAULTTONEAREST
        return 9000 + hwnd

    def GetMonitorInfoW(self, monitor, info):
        assert info.contents.cbSize == 40  # sizeof(MONITORINFO): Windows checks it
        m = info.contents.rcMonitor
        m.left, m.top, m.right, m.bottom = self.windows[monitor - 9000].monitor
        return 1

    def SHQueryUserNotificationState(self, state):
        state.contents.value = self.quns
        return 0  # S_OK


def win32(fake: FakeUser32) -> WinWindows:
    return WinWindows(Win32Libs(user32=fake, kernel32=fake, shell32=fake))


ZOOM = Win(
    "Zoom Meeting",
    "ZPContentViewWndClass",
    r"C:\Program Files\Zoom\bin\Zoom.exe",
    (0, 0, 1920, 1080),
)
CODE = Win("main.py - Code", "Chrome_WidgetWin_1", r"C:\Code\Code.exe", (-8, -8, 1928, 1048))
DESKTOP = Win("", "WorkerW", r"C:\Windows\explorer.exe", (0, 0, 1920, 1080))


def test_the_foreground_window_is_named_by_its_executable_and_class():
    fake = FakeUser32({1: ZOOM}, foreground=1)
    win = win32(fake).active()
    assert win == ActiveWindow(
        fullscreen=True, wm_class=("zoom", "ZPContentViewWndClass"), title="Zoom Meeting"
    )
    assert "OpenProcess(0x1000,0)" in fake.calls  # least privilege, not inherited
    assert not fake.open_handles  # every process handle closed again


def test_a_maximised_editor_and_the_desktop_are_not_fullscreen():
    fake = FakeUser32({1: CODE, 2: DESKTOP}, foreground=1)
    ports = win32(fake)
    assert ports.active() == ActiveWindow(
        fullscreen=False, wm_class=("code", "Chrome_WidgetWin_1"), title="main.py - Code"
    )
    fake.foreground = 2
    desktop = ports.active()
    assert desktop is not None
    assert not desktop.fullscreen


def test_the_shell_busy_state_makes_any_window_fullscreen():
    fake = FakeUser32({1: CODE}, foreground=1, quns=3)  # a Direct3D game
    win = win32(fake).active()
    assert win is not None
    assert win.fullscreen


def test_no_foreground_window_is_none_unless_presenting():
    fake = FakeUser32({}, foreground=0)
    assert win32(fake).active() is None
    fake.quns = 4
    assert win32(fake).active() == ActiveWindow(fullscreen=True)


def test_a_protected_process_still_has_its_window_class():
    fake = FakeUser32({1: ZOOM}, foreground=1, denied=True)
    win = win32(fake).active()
    assert win is not None
    assert win.wm_class == ("ZPContentViewWndClass",)


def test_a_failing_call_reads_as_no_window():
    fake = FakeUser32({1: ZOOM}, foreground=1, broken=True)
    assert win32(fake).active() is None


def test_presence_holds_prompts_for_a_windows_fullscreen_window_or_a_listed_app():
    fake = FakeUser32({1: ZOOM, 2: CODE}, foreground=1)
    presence = Presence(Settings(), NullProbe("none"), windows=win32(fake))
    assert presence.hold() == FULLSCREEN_HOLD
    fake.foreground = 2
    assert presence.hold() == ""
    listed = replace(Settings(), dnd=DndSettings(apps=("code",)))
    assert Presence(listed, NullProbe("none"), windows=win32(fake)).hold() == "code focused"


# --- Windows: camera and microphone --------------------------------------------------------------

NOW = 1_750_000_000.0
RECENT = filetime(NOW - 600)
EARLIER = filetime(NOW - 3600)


class FakeRegistry:
    """``winreg``'s calls over a nested dict: subkeys are dicts, values are ints."""

    HKEY_CURRENT_USER = "HKCU"

    def __init__(self, tree: dict[str, Any], *, denied: bool = False) -> None:
        self.tree = {"HKCU": tree}
        self.opened = 0
        self.closed = 0
        self.denied = denied

    class Key:
        def __init__(self, registry: FakeRegistry, node: dict[str, Any]) -> None:
            self.registry = registry
            self.node = node

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.registry.closed += 1

    def OpenKey(self, parent, path):
        node = self.tree[parent] if isinstance(parent, str) else parent.node
        for part in path.split("\\"):
            child = node.get(part)
            if not isinstance(child, dict):
                raise FileNotFoundError(2, "The system cannot find the file specified")
            node = child
        self.opened += 1
        return self.Key(self, node)

    def QueryInfoKey(self, key):
        if self.denied:
            raise PermissionError(5, "Access is denied")
        subkeys = [k for k, v in key.node.items() if isinstance(v, dict)]
        return (len(subkeys), len(key.node) - len(subkeys), 0)

    def EnumKey(self, key, index):
        return [k for k, v in key.node.items() if isinstance(v, dict)][index]

    def QueryValueEx(self, key, name):
        if name not in key.node:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return (key.node[name], 11)  # REG_QWORD


def consent(webcam: dict[str, Any], microphone: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {}
    top = node
    for part in CONSENT_STORE.split("\\"):
        node[part] = {}
        node = node[part]
    node["webcam"] = {"Value": 0, **webcam}
    node["microphone"] = {"Value": 0, **microphone}
    return top


def used(start: int, stop: int) -> dict[str, int]:
    return {"LastUsedTimeStart": start, "LastUsedTimeStop": stop}


def capture(registry: FakeRegistry, executable: str = r"C:\Python312\python.exe") -> WinCapture:
    return WinCapture(registry, executable=executable, wall=lambda: NOW)


def test_a_store_app_using_the_camera_is_a_meeting():
    reg = FakeRegistry(consent({"Microsoft.WindowsCamera_8wekyb3d8bbwe": used(RECENT, 0)}, {}))
    assert capture(reg).in_use()
    assert reg.opened == reg.closed  # every key closed again


def test_a_desktop_app_using_the_microphone_is_a_meeting():
    teams = {"NonPackaged": {"C:#Program Files#Zoom#bin#Zoom.exe": used(RECENT, 0)}}
    assert capture(FakeRegistry(consent({}, teams))).in_use()


def test_finished_stale_and_own_uses_are_not_meetings():
    apps = {
        "Microsoft.SkypeApp": used(EARLIER, RECENT),  # finished
        "NonPackaged": {
            "C:#Crashed#app.exe": used(filetime(NOW - 2 * 86400), 0),  # left open by a crash
            "C:#Python312#python.exe": used(RECENT, 0),  # ourselves
            "C:#Never#used.exe": {},
        },
    }
    reg = FakeRegistry(consent(apps, apps))
    assert not capture(reg).in_use()
    assert capture(reg, executable=r"C:\Other\pythonw.exe").in_use()
    assert reg.opened == reg.closed


def test_a_windows_without_the_consent_store_or_access_says_no_meeting():
    assert not capture(FakeRegistry({})).in_use()
    apps = {"App": used(RECENT, 0)}
    assert not capture(FakeRegistry(consent(apps, apps), denied=True)).in_use()


def test_presence_holds_prompts_during_a_windows_meeting():
    reg = FakeRegistry(consent({}, {"App": used(RECENT, 0)}))
    assert Presence(Settings(), NullProbe("none"), meeting=capture(reg)).hold() == "meeting"


# --- macOS: the frontmost window ---------------------------------------------------------------


class FakeCF:
    """CoreFoundation over Python values: references are ints, released ones are tracked."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.owned: set[int] = set()  # created or copied, not yet released
        self.releases = 0

    def ref(self, value: Any, *, owned: bool = False) -> int:
        handle = 0x1000 + len(self.objects) * 16
        self.objects[handle] = value
        if owned:
            self.owned.add(handle)
        return handle

    def plist(self, value: Any) -> int:
        """Store a window-info list: dicts become CFDictionaries, floats CFNumbers."""
        if isinstance(value, list):
            return self.ref([self.plist(v) for v in value], owned=True)
        if isinstance(value, dict):
            return self.ref({k: self.plist(v) for k, v in value.items()})
        return self.ref(value)

    def CFStringCreateWithCString(self, alloc, raw, encoding):
        assert alloc is None
        assert encoding == 0x08000100
        return self.ref(raw.decode(), owned=True)

    def CFRelease(self, handle):
        assert handle in self.owned, "released something not owned"
        self.owned.discard(handle)
        self.releases += 1

    def CFArrayGetCount(self, handle):
        return len(self.objects[handle])

    def CFArrayGetValueAtIndex(self, handle, index):
        return self.objects[handle][index]

    def CFDictionaryGetValue(self, handle, key):
        return self.objects[handle].get(self.objects[key])

    def CFNumberGetValue(self, handle, kind, out):
        assert kind == 13  # kCFNumberDoubleType
        out.contents.value = float(self.objects[handle])
        return True

    def CFStringGetLength(self, handle):
        return len(self.objects[handle])

    def CFStringGetMaximumSizeForEncoding(self, length, encoding):
        assert encoding == 0x08000100
        return length * 3

    def CFStringGetCString(self, handle, buf, size, encoding):
        assert encoding == 0x08000100
        raw = self.objects[handle].encode()
        if len(raw) >= size:
            return False
        put(buf, raw)
        return True


@dataclass
class FakeCG:
    cf: FakeCF
    windows: list[dict[str, Any]]
    displays: list[tuple[float, float, float, float]]
    options: list[int] = field(default_factory=list)

    def CGWindowListCopyWindowInfo(self, options, relative_to):
        assert relative_to == 0
        self.options.append(options)
        return self.cf.plist(self.windows)

    def CGRectMakeWithDictionaryRepresentation(self, handle, out):
        d = {k: self.cf.objects[v] for k, v in self.cf.objects[handle].items()}
        r = out.contents
        r.x, r.y, r.width, r.height = d["X"], d["Y"], d["Width"], d["Height"]
        return True

    def CGGetActiveDisplayList(self, most, ids, count):
        for i, _ in enumerate(self.displays[:most]):
            ids[i] = 700 + i
        count.contents.value = min(most, len(self.displays))
        return 0

    def CGDisplayBounds(self, display):
        return mac_dnd.CGRect(*self.displays[display - 700])


def bounds(x: float, y: float, w: float, h: float) -> dict[str, float]:
    return {"X": x, "Y": y, "Width": w, "Height": h}


MENU_BAR = {LAYER: 25, ALPHA: 1.0, OWNER: "Window Server", BOUNDS: bounds(0, 0, 1440, 25)}
SLIDES = {LAYER: 0, ALPHA: 1.0, OWNER: "Keynote", NAME: "Talk", BOUNDS: bounds(1440, 0, 2560, 1440)}
ZOOMED = {LAYER: 0, ALPHA: 1.0, OWNER: "zoom.us", BOUNDS: bounds(0, 25, 1440, 875)}
SCREENS = [(0.0, 0.0, 1440.0, 900.0), (1440.0, 0.0, 2560.0, 1440.0)]


def quartz(windows: list[dict[str, Any]]) -> tuple[MacWindows, FakeCF, FakeCG]:
    cf = FakeCF()
    cg = FakeCG(cf, windows, SCREENS)
    return MacWindows(QuartzLibs(cf=cf, cg=cg)), cf, cg


def test_a_fullscreen_keynote_on_the_second_display_is_fullscreen():
    port, _cf, cg = quartz([MENU_BAR, SLIDES, ZOOMED])
    win = port.active()
    assert win == ActiveWindow(fullscreen=True, wm_class=("Keynote",), title="Talk")
    assert cg.options == [1 | 16]  # on screen only, no desktop elements


def test_a_zoomed_window_without_screen_recording_permission_has_no_title():
    port, _cf, _cg = quartz([MENU_BAR, ZOOMED, SLIDES])
    assert port.active() == ActiveWindow(fullscreen=False, wm_class=("zoom.us", "zoom"), title="")


def test_every_copied_or_created_core_foundation_object_is_released():
    port, cf, _cg = quartz([MENU_BAR, SLIDES])
    assert len(cf.owned) == 5  # the key strings
    port.active()
    port.active()
    assert len(cf.owned) == 5  # both window lists released
    port.close()
    port.close()
    assert not cf.owned
    assert port.active() is None  # closed: no use of released keys


def test_no_window_on_screen_or_a_failing_call_is_none():
    port, _cf, cg = quartz([MENU_BAR])
    assert port.active() is None

    def broken(options, relative_to):
        raise OSError("WindowServer went away")

    cg.CGWindowListCopyWindowInfo = broken
    assert port.active() is None


def test_presence_holds_prompts_for_a_listed_mac_app():
    port, _cf, _cg = quartz([MENU_BAR, ZOOMED])
    listed = replace(Settings(), dnd=DndSettings(apps=("zoom",)))
    assert Presence(listed, NullProbe("none"), windows=port).hold() == "zoom focused"


# --- macOS: camera and microphone ---------------------------------------------------------------


@dataclass
class FakeHAL:
    """CoreAudio's or CoreMediaIO's property calls over ``{object: {selector: value}}``.

    A list value is an object list (``dev#``, ``prs#``, ``stm#``); an int is a ``UInt32``.
    ``(selector, scope)`` keys a scoped property; ``status`` fails every call.
    """

    props: dict[int, dict[Any, Any]]
    status: int = 0
    asked: list[tuple[int, str, str]] = field(default_factory=list)

    def _find(self, obj, address):
        a = address.contents
        sel = a.mSelector.to_bytes(4, "big").decode()
        scope = a.mScope.to_bytes(4, "big").decode()
        self.asked.append((obj, sel, scope))
        assert a.mElement == 0
        node = self.props.get(obj, {})
        return node.get((sel, scope), node.get(sel) if scope == "glob" else None)

    def _size(self, obj, address, qsize, qual, size):
        assert (qsize, qual) == (0, None)
        value = self._find(obj, address)
        if self.status or value is None:
            return self.status or fourcc("who?")  # kAudioHardwareUnknownPropertyError
        size.contents.value = 4 * (len(value) if isinstance(value, list) else 1)
        return 0

    def _fill(self, obj, address, qsize, qual, out, room):
        assert (qsize, qual) == (0, None)
        value = self._find(obj, address)
        if self.status or value is None:
            return self.status or fourcc("who?"), 0
        values = value if isinstance(value, list) else [value]
        assert 4 * len(values) <= room
        for i, v in enumerate(values):
            out[i] = v
        return 0, 4 * len(values)

    # CoreAudio
    def AudioObjectGetPropertyDataSize(self, obj, address, qsize, qual, size):
        return self._size(obj, address, qsize, qual, size)

    def AudioObjectGetPropertyData(self, obj, address, qsize, qual, size, out):
        status, used = self._fill(obj, address, qsize, qual, out, size.contents.value)
        size.contents.value = used
        return status

    # CoreMediaIO
    def CMIOObjectGetPropertyDataSize(self, obj, address, qsize, qual, size):
        return self._size(obj, address, qsize, qual, size)

    def CMIOObjectGetPropertyData(self, obj, address, qsize, qual, room, used, out):
        status, n = self._fill(obj, address, qsize, qual, out, room)
        used.contents.value = n
        return status


MIC, SPEAKERS, HEADSET = 40, 41, 42


def audio(*, mic: int = 0, speakers: int = 0, processes: dict[int, tuple[int, int]] | None = None):
    """A Mac with a microphone, speakers and ``processes`` (object: (pid, recording))."""
    props: dict[int, dict[Any, Any]] = {
        1: {"dev#": [MIC, SPEAKERS]},
        MIC: {("stm#", "inpt"): [90], "gone": mic},
        SPEAKERS: {("stm#", "outp"): [91], "gone": speakers},
    }
    if processes is not None:
        props[1]["prs#"] = list(processes)
        for obj, (pid, recording) in processes.items():
            props[obj] = {"ppid": pid, "piri": recording}
    return FakeHAL(props)


def camera(*running: int) -> FakeHAL:
    props: dict[int, dict[Any, Any]] = {1: {"dev#": [60 + i for i in range(len(running))]}}
    for i, r in enumerate(running):
        props[60 + i] = {"gone": r}
    return FakeHAL(props)


def mac(audio_hal: FakeHAL | None, cmio_hal: FakeHAL | None) -> MacCapture:
    return MacCapture(CaptureLibs(audio=audio_hal, cmio=cmio_hal), pid=500)


def test_a_running_microphone_is_a_meeting_on_older_macos():
    hal = audio(mic=1)
    assert mac(hal, camera(0)).in_use()
    assert (MIC, "stm#", "inpt") in hal.asked  # input streams, not output


def test_playing_sound_is_not_a_meeting():
    assert not mac(audio(speakers=1), camera(0)).in_use()


def test_macos_14_asks_who_records_and_skips_ourselves():
    assert mac(audio(processes={70: (123, 0), 71: (456, 1)}), camera()).in_use()
    ourselves = audio(mic=1, processes={70: (500, 1)})
    assert not mac(ourselves, camera()).in_use()
    # A headset playing music runs its device "somewhere"; nobody records, so no meeting.
    music = audio(mic=1, processes={70: (123, 0)})
    assert not mac(music, camera()).in_use()


def test_a_running_camera_is_a_meeting():
    assert mac(audio(), camera(0, 1)).in_use()
    assert not mac(audio(), camera(0, 0)).in_use()
    assert mac(None, camera(1)).in_use()  # CoreAudio failed to load
    assert not mac(audio(), None).in_use()


def test_failing_hal_calls_say_no_meeting():
    broken_audio, broken_cmio = audio(mic=1), camera(1)
    broken_audio.status = broken_cmio.status = fourcc("stop")
    assert not mac(broken_audio, broken_cmio).in_use()

    class Crashing(FakeHAL):
        def AudioObjectGetPropertyDataSize(self, *_args):
            raise OSError("coreaudiod is restarting")

    assert not mac(Crashing({}), camera(0)).in_use()


def test_ctypes_structures_match_the_c_layouts():
    assert ctypes.sizeof(mac_capture.PropertyAddress) == 12
    assert ctypes.sizeof(mac_dnd.CGRect) == 32
    rect = mac_dnd.rect_of(mac_dnd.CGRect(10, 20, 300, 400))
    assert rect == Rect(10, 20, 310, 420)


# --- the same calls through libffi, with the modules' own prototypes --------------------------


def test_windows_calls_cross_libffi_with_their_prototypes():
    big = 0x7F00_0000_0000  # 64-bit handles: a prototype returning int would cut them
    fake = FakeUser32({big + 1: ZOOM, big + 2: CODE}, foreground=big + 1)
    errors: list[BaseException] = []
    libs = {
        n: through_ffi(fake, win_dnd.WIN32_PROTOTYPES, n, errors)
        for n in ("user32", "kernel32", "shell32")
    }
    port = WinWindows(Win32Libs(**libs))
    assert port.active() == ActiveWindow(
        fullscreen=True, wm_class=("zoom", "ZPContentViewWndClass"), title="Zoom Meeting"
    )
    fake.foreground = big + 2
    maximised = port.active()
    assert maximised is not None
    assert not maximised.fullscreen
    fake.foreground = 0  # NULL comes back as None
    assert port.active() is None
    assert not errors
    assert not fake.open_handles


def test_mac_window_calls_cross_libffi_with_their_prototypes():
    cf = FakeCF()
    cg = FakeCG(cf, [MENU_BAR, SLIDES], SCREENS)
    errors: list[BaseException] = []
    table = mac_dnd.QUARTZ_PROTOTYPES
    port = MacWindows(
        QuartzLibs(cf=through_ffi(cf, table, "cf", errors), cg=through_ffi(cg, table, "cg", errors))
    )
    assert port.active() == ActiveWindow(fullscreen=True, wm_class=("Keynote",), title="Talk")
    port.close()
    assert not cf.owned
    assert not errors


def test_mac_capture_calls_cross_libffi_with_their_prototypes():
    errors: list[BaseException] = []
    table = mac_capture.CAPTURE_PROTOTYPES

    def ported(audio_hal: FakeHAL, cmio_hal: FakeHAL) -> MacCapture:
        return MacCapture(
            CaptureLibs(
                audio=through_ffi(audio_hal, table, "audio", errors),
                cmio=through_ffi(cmio_hal, table, "cmio", errors),
            ),
            pid=500,
        )

    assert ported(audio(mic=1), camera(0)).in_use()
    assert not ported(audio(speakers=1), camera(0)).in_use()
    assert ported(audio(processes={70: (123, 1)}), camera()).in_use()
    assert ported(audio(), camera(0, 1)).in_use()
    assert not ported(audio(), camera(0, 0)).in_use()
    assert not errors


# --- wiring ---------------------------------------------------------------------------------------


class _Port:
    """A window/meeting port that answers as a fullscreen app in a call would."""

    def __init__(self) -> None:
        self.closed = False

    def active(self) -> ActiveWindow:
        return ActiveWindow(fullscreen=True, wm_class=("keynote",))

    def in_use(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("platform", "windows_module", "capture_module"),
    [("win32", win_dnd, win_dnd), ("darwin", mac_dnd, mac_capture)],
)
def test_make_presence_uses_the_platforms_own_ports(
    monkeypatch, platform, windows_module, capture_module
):
    from posturebreak.presence.sensor import make_presence

    opened: list[str] = []
    port = _Port()

    def open_port(name: str):
        def opener(plat: str) -> _Port:
            opened.append(f"{name}:{plat}")
            return port

        return opener

    monkeypatch.setattr(windows_module, "open_windows", open_port("windows"))
    monkeypatch.setattr(capture_module, "open_capture", open_port("capture"))
    presence = make_presence(Settings(), {}, lambda _why: None, platform=platform)
    try:
        assert opened == [f"windows:{platform}", f"capture:{platform}"]
        assert presence.hold() == "meeting"  # the camera outranks the fullscreen window
        quiet = replace(Settings(), dnd=DndSettings(meetings=False))
        assert make_presence(quiet, {}, lambda _why: None, platform=platform).hold() == (
            FULLSCREEN_HOLD
        )
    finally:
        presence.close()
    assert port.closed


def test_make_presence_without_the_platforms_apis_holds_nothing():
    from posturebreak.presence.sensor import make_presence

    for platform in ("win32", "darwin"):  # on Linux their libraries are missing: no ports
        presence = make_presence(Settings(), {}, lambda _why: None, platform=platform)
        try:
            assert presence.hold() == ""
        finally:
            presence.close()
