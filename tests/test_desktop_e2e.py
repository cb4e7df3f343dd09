"""The real app on a real desktop: Xvfb, a private session bus, dunst, and a tray host.

Each test starts ``python -m posturebreak run`` with a seconds-long config, drives it with
real input (xdotool) and checks what the user would see: the icon docks, a menu choice
reaches the engine (``posturebreak status``), a click in the break window lands in the log
(``posturebreak log``), the heads-up reaches dunst. Screenshots go to docs/ only with
POSTUREBREAK_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.core.commands import PauseFor
from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.effects import StatusView
from posturebreak.frontends.desktop.controls import menu_to_json
from posturebreak.frontends.desktop.menu import build_menu
from tests.desktop_rig import App, click, config_text, desktop, icon_window, sh, wait_for

pytestmark = [pytest.mark.gui, pytest.mark.slow]

SHOTS = os.environ.get("POSTUREBREAK_SCREENSHOTS") == "1"

# Libraries the all-day tray process must never map, each megabytes for nothing: TLS (kept out
# by desktop/lean.py), Pillow's FreeType binding (the icon has no text; lean.py), Mesa's LLVM
# (GTK's GL probe; gtkprep.py), Tcl/Tk (the break window is its own process; prompt.py).
NEVER_MAPPED = ("libssl", "libcrypto", "_imagingft", "libLLVM", "libtk", "libtcl")


def heavy_libraries(pid: int) -> list[str]:
    """The :data:`NEVER_MAPPED` libraries that ``pid`` has mapped after all."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in NEVER_MAPPED if name in maps]


def assert_paused_for_half_an_hour(app: App) -> None:
    def paused() -> dict[str, object] | None:
        status = app.status()
        return status if status.get("state") == "paused" else None

    status = wait_for(paused, "the app to be paused")
    until = datetime.fromisoformat(str(status["paused_until"]))
    left = until - datetime.now(timezone.utc)
    assert timedelta(minutes=29) < left <= timedelta(minutes=30), status
    assert "paused" in app.actions()


def test_xorg_tray_docks_and_its_controls_window_pauses_the_engine(tmp_path):
    with desktop(tmp_path) as rig:
        rig.start_trayer()
        app = App(rig, config_text(backend="xorg"))
        window = icon_window()
        if SHOTS:
            wait_for(lambda: app.status().get("state") == "working", "the first status")
        rig.screenshot("tray.png", "120x32+1160+0")
        assert app.status()["state"] == "working"
        assert heavy_libraries(app.proc.pid) == []

        sh("xdotool", "mousemove", "--window", window, "8", "8", "click", "1")
        buttons = app.wait_for_layout(None)
        # The controls window numbers its buttons in menu order; the same model gives the id.
        view = StatusView(mode=Mode.WORKING, now=datetime.now(timezone.utc))
        _, table = menu_to_json(
            build_menu(view, autostart=False, durations={BreakKind.STAND: timedelta(seconds=2)})
        )
        pause = next(i for i, action in table.items() if action == PauseFor(timedelta(minutes=30)))
        click(*buttons[pause])

        assert_paused_for_half_an_hour(app)
        app.quit()


def visible_windows() -> set[str]:
    return set(sh("xdotool", "search", "--onlyvisible", "--name", "").stdout.split())


def test_gtk_tray_menu_chosen_with_the_keyboard_pauses_the_engine(tmp_path):
    pytest.importorskip("gi", reason="PyGObject is not installed (pip install 'PyGObject<3.51')")
    with desktop(tmp_path) as rig:
        rig.start_trayer()
        app = App(rig, config_text(backend="gtk"))
        window = icon_window()
        wait_for(lambda: app.status().get("state") == "working", "the first status")
        before = visible_windows()

        sh("xdotool", "mousemove", "--window", window, "10", "10", "click", "3")
        # Keys sent before the menu maps are lost: wait for its popup window first.
        wait_for(lambda: visible_windows() - before, "the tray menu to open")
        # Working: the headline and Snooze are greyed (skipped); Take a break now, Skip next,
        # then Pause, whose submenu opens on its first item, "30 min".
        sh("xdotool", "key", "--delay", "150", "Down", "Down", "Down", "Right")
        if SHOTS:
            wait_for(lambda: len(visible_windows() - before) >= 2, "the Pause submenu to open")
        rig.screenshot("menu.png", "460x330+820+0")
        sh("xdotool", "key", "Return")

        assert_paused_for_half_an_hour(app)
        app.quit()


def test_the_gtk_icon_shows_the_status_as_its_tooltip(tmp_path):
    """Resting the pointer on the icon opens a tooltip window next to it (pystray sets no tooltip
    of its own on this backend; the text is the tray title, kept current by its text clock)."""
    pytest.importorskip("gi", reason="PyGObject is not installed (pip install 'PyGObject<3.51')")
    with desktop(tmp_path) as rig:
        rig.start_trayer()
        app = App(rig, config_text(every="1h", backend="gtk"))
        window = icon_window()
        wait_for(lambda: app.status().get("state") == "working", "the first status")
        sh("xdotool", "mousemove", "--window", window, "0", "0")
        before = visible_windows()
        for x in (4, 8, 12):
            sh("xdotool", "mousemove", "--window", window, str(x), "10")
            time.sleep(0.2)

        def tooltip() -> dict[str, int] | None:
            for new in visible_windows() - before:
                shape = sh("xdotool", "getwindowgeometry", "--shell", new).stdout
                size = {k: int(v) for k, v in (line.split("=", 1) for line in shape.split())}
                # A small window under the icon in the top right corner: a tooltip, no menu.
                if size["Y"] < 100 and size["X"] > 900 and 10 < size["HEIGHT"] < 60:
                    return size
            return None

        wait_for(tooltip, "the tooltip to open")
        assert str(app.status()["headline"]).startswith("Stand in ")
        app.quit()


def test_appindicator_registers_with_a_status_notifier_host(tmp_path):
    pytest.importorskip("gi", reason="PyGObject is not installed (pip install 'PyGObject<3.51')")
    with desktop(tmp_path) as rig:
        rig.start_sni_host()
        assert rig.sni_items() == []
        app = App(rig, config_text(backend="appindicator"))
        (item,) = wait_for(rig.sni_items, "the item to register with the watcher")
        assert rig.bus_name_pid(item) == app.proc.pid, item
        assert app.status()["state"] == "working"
        assert heavy_libraries(app.proc.pid) == []
        app.quit()
        wait_for(lambda: rig.sni_items() == [], "the item to leave the host after quit")


def test_break_window_clicks_land_in_the_log_and_the_notice_reaches_dunst(tmp_path):
    with desktop(tmp_path) as rig:
        rig.start_trayer()
        app = App(rig, config_text(every="4s", duration="2s", backend="xorg"))

        buttons = app.wait_for_layout("prompt")
        # The heads-up came a second before the prompt; dunst shows it for 10 s.
        wait_for(lambda: rig.dunstctl("count", "displayed") not in (None, "0"), "the heads-up")
        rig.screenshot("desktop.png")
        click(*buttons["snooze"])
        app.wait_for_action("snoozed")

        buttons = app.wait_for_layout("prompt")
        click(*buttons["start"])
        app.wait_for_action("started")
        # The same window turns into the countdown and finishes by itself.
        assert "done" in app.wait_for_layout("break")
        app.wait_for_action("completed")

        buttons = app.wait_for_layout("prompt")
        click(*buttons["skip"])
        events = app.wait_for_action("skipped")
        answers = [e["action"] for e in events if e["action"] != "prompted"]
        assert answers[:4] == ["snoozed", "started", "completed", "skipped"], answers
        assert {e["kind"] for e in events if e["action"] != "prompted"} == {"stand"}

        assert rig.dunstctl("close-all") is not None
        history = wait_for(lambda: rig.dunstctl("history"), "dunst's history")
        assert "Stand break soon" in history
        assert '"posturebreak"' in history
        app.quit()


def test_without_a_tray_host_it_says_so_once_and_still_prompts(tmp_path):
    with desktop(tmp_path) as rig:
        app = App(rig, config_text(every="3s", duration="2s"))
        wait_for(lambda: "no system tray" in app.stderr(), "the app to explain the missing tray")
        said = [line for line in app.stderr().splitlines() if "tray" in line]
        assert len(said) == 1, app.stderr()
        assert said[0].startswith("posturebreak: no system tray is running"), said

        buttons = app.wait_for_layout("prompt")
        click(*buttons["skip"])
        app.wait_for_action("skipped")
        app.quit()
        assert "Traceback" not in app.stderr()
