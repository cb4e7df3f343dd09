"""Idle probes: which one is chosen where, the null probe's notice, and real X11 idle on Xvfb."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from datetime import timedelta

import pytest

from posturebreak.core.settings import IdleProbeName as P
from posturebreak.presence.idle import candidates, make_probe
from posturebreak.presence.idle.macos import parse_ioreg
from posturebreak.presence.idle.windows import ticks_between

AUTO = P.AUTO


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "win32", (P.WINDOWS,)),
        ({}, "darwin", (P.MACOS,)),
        ({"DISPLAY": ":0"}, "linux", (P.X11, P.GNOME, P.KDE)),
        ({"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, "linux", (P.X11, P.KDE, P.GNOME)),
        # Wayland: the X11 value would only see XWayland clients, so never X11.
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux", (P.GNOME, P.KDE)),
        ({"XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "KDE"}, "linux", (P.KDE, P.GNOME)),
        ({}, "linux", ()),
    ],
)
def test_automatic_choice_follows_the_session(env, platform, expected):
    assert candidates(AUTO, env, platform) == expected


def test_the_config_overrides_the_choice_and_none_turns_it_off():
    assert candidates(P.KDE, {"DISPLAY": ":0"}, "linux") == (P.KDE,)
    assert candidates(P.NONE, {"DISPLAY": ":0"}, "linux") == ()


def test_null_probe_explains_itself_in_one_line():
    off = make_probe(P.NONE, {"DISPLAY": ":0"}, "linux")
    assert off.name == "none"
    assert off.idle() is None
    assert "turned off in the config" in off.notice
    headless = make_probe(AUTO, {}, "linux")
    assert "no graphical session" in headless.notice
    assert "\n" not in headless.notice


def test_a_display_that_does_not_answer_falls_back_to_null_with_the_reason():
    probe = make_probe(P.X11, {"DISPLAY": ":97"}, "linux")
    assert probe.name == "none"
    assert "x11: cannot open display :97" in probe.notice
    assert "not noticed" in probe.notice


def test_windows_tick_counter_wraps():
    assert ticks_between(1000, 4000) == timedelta(seconds=3)
    assert ticks_between(0xFFFFFF00, 0x100) == timedelta(milliseconds=0x200)


def test_macos_ioreg_idle_time_is_parsed():
    text = '    | |   "HIDIdleTime" = 2500000000\n    | |   "Other" = 1\n'
    assert parse_ioreg(text) == timedelta(seconds=2.5)
    assert parse_ioreg("nothing here") is None


# --- a real X server ------------------------------------------------------------------------


@pytest.fixture
def display():
    name = os.environ.get("DISPLAY")
    if not name or not shutil.which("xdotool"):
        pytest.skip("needs Xvfb (pytest-xvfb) and xdotool")
    return name


def _xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


@pytest.mark.gui
def test_x11_idle_grows_without_input_and_input_resets_it(display):
    probe = make_probe(AUTO, {"DISPLAY": display}, "linux")
    try:
        assert probe.name == "x11"
        assert probe.notice == ""
        _xdotool("mousemove_relative", "5", "5")
        time.sleep(1.5)
        idle = probe.idle()
        assert idle is not None
        assert idle >= timedelta(seconds=1.2)
        _xdotool("mousemove_relative", "5", "5")
        after = probe.idle()
        assert after is not None
        assert after < timedelta(seconds=1)
    finally:
        probe.close()


@pytest.mark.gui
def test_x11_input_watch_wakes_only_while_armed(display):
    from posturebreak.presence.idle.x11 import InputWatch

    watch = InputWatch(display)
    try:
        watch.arm()
        _xdotool("mousemove_relative", "5", "5")
        ready, _w, _x = select.select([watch.fileno()], [], [], 5)
        assert ready
        assert watch.drain() is True  # input seen, and the watch disarmed itself
        time.sleep(0.2)
        watch.drain()
        _xdotool("key", "shift")
        ready, _w, _x = select.select([watch.fileno()], [], [], 0.5)
        assert not (ready and watch.drain())
    finally:
        watch.close()
