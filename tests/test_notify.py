"""Heads-up notifications: never raise, complain once, and really reach a notification server."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posturebreak.frontends.desktop import notify
from posturebreak.frontends.desktop.notify import Backend, NullNotifier, PlyerNotifier
from tests.desktop_rig import BUS_CONFIG

LOGGER = "posturebreak.notify"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "pb"))


def warnings_from(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


class FailingFacade:
    """Stands in for ``plyer.notification``: records each call, then raises like plyer does."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def notify(self, **kwargs: object) -> None:
        self.calls.append(kwargs)
        raise RuntimeError("org.freedesktop.DBus.Error.NotSupported: no session bus")


def fake_notify_send(bindir: Path, *, exit_status: int) -> Path:
    """A notify-send on PATH that writes its arguments (one a line) and exits as told."""
    record = bindir / "argv.txt"
    script = bindir / "notify-send"
    complaint = 'echo "Cannot autolaunch D-Bus without X11 $DISPLAY" >&2\n'
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{record}"\n'
        f"{complaint if exit_status else ''}exit {exit_status}\n"
    )
    script.chmod(0o755)
    return record


# ---------------------------------------------------------------------------- choosing


def test_no_display_and_no_bus_gives_a_silent_notifier():
    notifier = notify.make_notifier({"HOME": "/root", "PATH": "/usr/bin"}, platform="linux")
    assert isinstance(notifier, NullNotifier)
    notifier.notify("Walk in 30 s", "Finish your sentence")


@pytest.mark.parametrize("variable", ["DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"])
def test_any_display_or_bus_gives_a_real_notifier(variable):
    notifier = notify.make_notifier({variable: ":0"}, platform="linux")
    assert isinstance(notifier, PlyerNotifier)


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_always_use_plyer(platform):
    assert isinstance(notify.make_notifier({}, platform=platform), PlyerNotifier)


SEND = "/usr/bin/notify-send"


@pytest.mark.parametrize(
    ("platform", "env", "probes", "expected"),
    [
        ("win32", {}, (False, False, None), Backend.PLYER),
        ("darwin", {}, (True, False, None), Backend.PLYER),
        ("linux", {}, (False, True, SEND), Backend.NOTIFY_SEND),
        ("linux", {}, (False, True, None), Backend.PLYER),
        ("linux", {}, (False, False, SEND), Backend.NOTIFY_SEND),
        ("linux", {}, (False, False, None), Backend.NONE),
        # A stray /app directory outside a sandbox: plyer would send to the Flatpak portal.
        ("linux", {}, (True, True, SEND), Backend.NOTIFY_SEND),
        ("linux", {}, (True, True, None), Backend.NONE),
        ("linux", {"FLATPAK_ID": "org.posturebreak.App"}, (True, False, None), Backend.PLYER),
    ],
)
def test_backend_choice(platform, env, probes, expected):
    flatpak_dir, has_dbus, notify_send = probes
    chosen = notify.choose_backend(
        platform, env, flatpak_dir=flatpak_dir, has_dbus_python=has_dbus, notify_send=notify_send
    )
    assert chosen is expected


# ---------------------------------------------------------------------------- failing


def test_failing_plyer_backend_is_logged_once_and_never_raises(monkeypatch, caplog):
    import plyer

    facade = FailingFacade()
    monkeypatch.setattr(plyer, "notification", facade)
    notifier = PlyerNotifier({}, platform="darwin", icon="")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        for _ in range(3):
            notifier.notify("Walk in 30 s", "Finish your sentence")
    assert len(facade.calls) == 3  # each heads-up is still attempted
    assert facade.calls[0]["title"] == "Walk in 30 s"
    assert facade.calls[0]["app_name"] == "posturebreak"
    [message] = warnings_from(caplog)
    assert "no session bus" in message


def test_failing_notify_send_is_logged_once(tmp_path, caplog):
    record = fake_notify_send(tmp_path, exit_status=1)
    notifier = PlyerNotifier({"PATH": str(tmp_path)}, backend=Backend.NOTIFY_SEND, icon="")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        notifier.notify("Stand in 30 s", "Finish your sentence")
        notifier.notify("Walk in 30 s", "Finish your sentence")
    [message] = warnings_from(caplog)
    assert "Cannot autolaunch D-Bus" in message
    assert record.read_text().splitlines()[-2:] == ["Walk in 30 s", "Finish your sentence"]


def test_notify_send_gets_text_icon_and_timeout(tmp_path, caplog):
    record = fake_notify_send(tmp_path, exit_status=0)
    icon = tmp_path / "icon.png"
    icon.write_bytes(b"png")
    notifier = PlyerNotifier({"PATH": str(tmp_path)}, backend=Backend.NOTIFY_SEND, icon=str(icon))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        notifier.notify("-Stretch in 30 s", "Save your work")
    argv = record.read_text().splitlines()
    assert argv[-3:] == ["--", "-Stretch in 30 s", "Save your work"]
    assert argv[argv.index("--icon") + 1] == str(icon)
    assert argv[argv.index("--app-name") + 1] == "posturebreak"
    assert argv[argv.index("--expire-time") + 1] == "10000"
    assert warnings_from(caplog) == []


def test_no_notification_service_is_logged_once(caplog):
    notifier = PlyerNotifier({}, platform="linux", backend=Backend.NONE)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        notifier.notify("Walk in 30 s", "Finish your sentence")
        notifier.notify("Walk in 30 s", "Finish your sentence")
    [message] = warnings_from(caplog)
    assert "no notification service" in message


def test_no_session_bus_for_real_is_logged_not_raised(tmp_path, caplog, monkeypatch):
    if shutil.which("notify-send") is None:
        pytest.skip("notify-send not installed (Debian: libnotify-bin)")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}  # no DISPLAY, no bus
    # With dbus-python installed plyer reads the process environment, not ours: the same.
    for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    notifier = PlyerNotifier(env, platform="linux", icon="")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        notifier.notify("Walk in 30 s", "Finish your sentence")
    assert len(warnings_from(caplog)) == 1


# ---------------------------------------------------------------------------- the real thing


def wait_for(predicate, what: str, limit: float = 10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def notification_server(tmp_path, monkeypatch):
    """A private session bus (no service activation) with dunst on it; both stopped by PID."""
    for tool in ("dbus-daemon", "dunst", "dunstctl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (Debian: dbus, dunst)")
    if not os.environ.get("DISPLAY"):
        pytest.skip("no X display (pytest-xvfb needs Xvfb installed)")
    monkeypatch.setenv("NO_AT_BRIDGE", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    # Our own bus config has no service directories, so nothing (no second dunst, no at-spi)
    # is started behind our back and outlives the test.
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG)
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    dunst = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        assert address, "dbus-daemon printed no address"
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        dunst = subprocess.Popen(
            ["dunst", "-config", "/etc/xdg/dunst/dunstrc"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        wait_for(lambda: dunstctl("count", "displayed") == "0", "dunst to own the bus name")
        yield
    finally:
        if dunst is not None:
            stop(dunst)
        stop(bus)


def dunstctl(*args: str) -> str | None:
    done = subprocess.run(
        ["dunstctl", *args], capture_output=True, text=True, timeout=10, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.mark.gui
def test_notification_reaches_a_real_notification_server(notification_server, caplog):
    notifier = notify.make_notifier(os.environ)
    assert isinstance(notifier, PlyerNotifier)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        notifier.notify("Walk in 30 s", "Finish your sentence")
    assert warnings_from(caplog) == []
    wait_for(lambda: dunstctl("count", "displayed") == "1", "the notification to show")
    if os.environ.get("POSTUREBREAK_SCREENSHOTS") and shutil.which("import"):
        # Refreshes the picture in the docs only when asked, so a test run leaves the tree alone.
        shot = REPO / "docs" / "notification.png"
        shot.parent.mkdir(exist_ok=True)
        subprocess.run(["import", "-window", "root", str(shot)], check=True, timeout=30)
        from PIL import Image

        with Image.open(shot) as screen:
            # dunst's default geometry is the top-right corner; the rest of the root is black.
            corner = screen.crop((screen.width - 420, 0, screen.width, 160))
            corner.save(shot)
    assert dunstctl("close-all") is not None
    history = wait_for(lambda: dunstctl("history"), "the notification history")
    assert "Walk in 30 s" in history
    assert "Finish your sentence" in history
    assert '"posturebreak"' in history


def test_importing_the_desktop_helpers_loads_no_toolkit():
    code = (
        "import sys, posturebreak.frontends.desktop.notify\n"
        "import posturebreak.frontends.desktop.autostart\n"
        "print(sorted(m for m in ('plyer', 'dbus', 'PIL', 'winreg') if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
