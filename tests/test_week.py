"""The tray's My week: the real ``posturebreak report`` draws the chart, the viewer opens it,
and a failure is logged and shown as a notification (never silent).

The image viewer is the outside world: a stand-in ``xdg-open`` on ``PATH`` notes what it was
asked to open. The report runs for real in its own process.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.effects import StatusView
from posturebreak.frontends.desktop.controls import menu_to_json
from posturebreak.frontends.desktop.menu import AppAction, build_menu
from posturebreak.frontends.desktop.week import FAILED, show_week
from posturebreak.paths import resolve
from tests.desktop_rig import App, click, config_text, desktop, icon_window, sh, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="xdg-open is the Linux viewer")


def fake_viewer(folder: Path) -> Path:
    """An ``xdg-open`` in ``folder`` that writes its argument to ``folder/opened``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{folder}/opened"\n')
    script.chmod(0o755)
    return folder / "opened"


class Notes:
    """Records notifications instead of showing them (the desktop's notification service)."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []

    def notify(self, title: str, message: str) -> None:
        self.notes.append((title, message))


def until(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


@pytest.fixture
def week_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    opened = fake_viewer(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    env = {**os.environ, "POSTUREBREAK_HOME": str(home)}
    return home, opened, env


def test_my_week_draws_the_chart_and_opens_it(week_home):
    home, opened, env = week_home
    notes = Notes()
    show_week(resolve(env), None, env, notes)  # type: ignore[arg-type]  # the context is unused
    shown = until(lambda: opened.exists() and opened.read_text(), "the viewer to be asked")
    assert shown == str(home / "my-week.png")
    assert (home / "my-week.png").read_bytes().startswith(b"\x89PNG")
    assert notes.notes == []


def test_my_week_that_cannot_be_drawn_says_why(week_home, caplog):
    home, opened, env = week_home
    (home / "config.toml").write_text('[prompt]\nmax_snoozes = "lots"\n')
    notes = Notes()
    with caplog.at_level(logging.WARNING, logger="posturebreak.desktop"):
        show_week(resolve(env), None, env, notes)  # type: ignore[arg-type]  # unused context
        until(lambda: notes.notes, "the notification")
    [(title, message)] = notes.notes
    assert title == FAILED == "My week could not be drawn"
    assert message.startswith(f"posturebreak: {home / 'config.toml'}:2: [prompt] max_snoozes")
    assert "\n" not in message
    assert f"{FAILED}: {message}" in caplog.text
    assert not opened.exists()
    assert not (home / "my-week.png").exists()


# --- the real app: a click on My week in the xorg tray's controls window -----------------------


@pytest.mark.gui
@pytest.mark.slow
def test_my_week_from_the_tray_opens_the_chart_or_notifies(tmp_path):
    with desktop(tmp_path) as rig:
        opened = fake_viewer(tmp_path / "bin")
        rig.env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{rig.env['PATH']}"
        rig.start_trayer()
        app = App(rig, config_text(every="1h", backend="xorg"))
        window = icon_window()
        view = StatusView(mode=Mode.WORKING, now=datetime.now(timezone.utc))
        _, table = menu_to_json(
            build_menu(view, autostart=False, durations={BreakKind.STAND: timedelta(seconds=2)})
        )
        week = next(i for i, action in table.items() if action is AppAction.SHOW_WEEK)

        def choose_my_week() -> None:
            sh("xdotool", "mousemove", "--window", window, "8", "8", "click", "1")
            click(*app.wait_for_layout(None)[week])

        choose_my_week()
        wait_for(opened.exists, "the chart to be opened")
        assert opened.read_text() == str(app.home / "my-week.png")
        assert (app.home / "my-week.png").read_bytes().startswith(b"\x89PNG")

        # The report reads the config afresh: a broken file makes it fail, and the tray says so.
        opened.unlink()
        (app.home / "config.toml").write_text("[schedule\n")
        choose_my_week()

        def notified() -> str | None:
            rig.dunstctl("close-all")  # dunst's history holds the notifications closed so far
            history = rig.dunstctl("history")
            return history if history and FAILED in history else None

        history = wait_for(notified, "the notification")
        assert "not valid TOML" in history
        app_log = resolve(rig.env).app_log_file.read_text(encoding="utf-8")
        assert f"WARNING posturebreak.desktop: {FAILED}: posturebreak: " in app_log
        assert not opened.exists()
        app.quit()
