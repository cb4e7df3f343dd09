"""The first start says where the app lives and what comes next, once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.effects import StatusView
from posturebreak.frontends.welcome import MARKER, Home, Welcome, first_start, welcome_text
from tests.desktop_rig import App, config_text, desktop, wait_for
from tests.installed import SCRIPT

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def first_view(**fields: object) -> StatusView:
    base: dict[str, object] = {
        "mode": Mode.WORKING,
        "now": NOW,
        "next_kind": BreakKind.STAND,
        "next_at": NOW + timedelta(minutes=30),
    }
    return StatusView(**{**base, **fields})  # type: ignore[arg-type]


def test_the_welcome_names_the_first_break_and_how_to_reach_the_app(berlin):
    assert welcome_text(first_view(), Home.TRAY_MENU) == (
        "posturebreak is in your tray \N{EM DASH} first break: stand at 09:30. "
        "Right-click it for the menu."
    )
    assert welcome_text(first_view(), Home.TRAY_CLICK).endswith("Click it for the controls.")
    off_hours = first_view(mode=Mode.OFF_HOURS, next_at=NOW + timedelta(days=2))
    assert "first break: stand at Thu 09:00." in welcome_text(off_hours, Home.CONSOLE)
    nothing = first_view(next_kind=None, next_at=None)
    assert "no breaks are scheduled" in welcome_text(nothing, Home.NO_TRAY)


def test_it_is_said_once_and_remembered(tmp_path, berlin):
    said: list[str] = []
    welcome = Welcome(said.append, Home.TRAY_MENU, tmp_path)
    assert first_start(tmp_path, log_is_empty=lambda: True)
    welcome.greet(first_view())
    welcome.greet(first_view())
    assert len(said) == 1
    assert (tmp_path / MARKER).exists()
    assert (tmp_path / MARKER).stat().st_mode & 0o077 == 0
    assert not first_start(tmp_path, log_is_empty=lambda: True)


def test_an_app_that_ran_before_the_welcome_existed_is_not_greeted(tmp_path):
    assert not first_start(tmp_path, log_is_empty=lambda: False)
    assert (tmp_path / MARKER).exists()  # and it stays that way even once the log is empty


def _console_start(home, config: str) -> str:
    (home / "config.toml").write_text(config, encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), "run", "--console"],
        input="q\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "POSTUREBREAK_HOME": str(home)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_console_says_the_welcome_on_the_first_start_only(tmp_path):
    config = config_text(every="1h")
    first = _console_start(tmp_path, config)
    assert "Welcome to posturebreak \N{EM DASH} first break: stand at " in first
    assert "Reminders appear in this terminal." in first
    second = _console_start(tmp_path, config)
    assert "Welcome" not in second


@pytest.mark.gui
@pytest.mark.slow
def test_the_desktop_welcome_is_a_notification_on_the_first_start_only(tmp_path):
    with desktop(tmp_path) as rig:
        rig.start_trayer()
        app = App(rig, config_text(every="1h", backend="xorg"))
        wait_for(lambda: rig.dunstctl("count", "displayed") not in (None, "0"), "a bubble")
        welcome = welcomes(rig)
        assert len(welcome) == 1, welcome
        assert "is in your tray" in welcome[0]
        assert "Click it for the controls." in welcome[0]  # the xorg icon opens the controls
        app.quit()

        again = App(rig, config_text(every="1h", backend="xorg"))
        time.sleep(2.0)  # the welcome would have come with the first status by now
        assert again.status()["state"] == "working"
        assert welcomes(rig) == welcome  # still the first start's one, no second
        again.quit()


def welcomes(rig) -> list[str]:
    """The bodies of every welcome bubble dunst has shown on this desktop."""
    assert rig.dunstctl("close-all") is not None
    history = wait_for(lambda: rig.dunstctl("history"), "dunst's history")
    bodies = [n["body"]["data"] for n in json.loads(history)["data"][0] if "body" in n]
    return [b for b in bodies if "first break: stand at" in b]
