"""The console front end as a person reads it: one heads-up, no lines run together, misses said."""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.effects import BeginBreak, EndBreak, StatusView
from posturebreak.frontends.console import ConsoleFrontEnd
from tests.configs import local_noon_tz, seconds_config
from tests.installed import SCRIPT

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)

SHORT = """\
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[breaks.stand]
every = "6s"
duration = "3s"
[breaks.stretch]
enabled = false
[breaks.walk]
enabled = false
[prompt]
snooze = ["5s"]
timeout = "3s"
notice = "2s"
[idle]
probe = "none"
"""


def test_a_status_line_during_the_countdown_clears_it_first():
    out = io.StringIO()
    front = ConsoleFrontEnd(lambda _m: None, out, io.StringIO())
    try:
        front.begin_break(BeginBreak(BreakKind.STAND, timedelta(seconds=30), NOW), None)
        deadline = time.monotonic() + 3
        while "left" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        front.show_status(
            StatusView(mode=Mode.PAUSED, now=NOW, paused_until=NOW + timedelta(hours=1))
        )
        front.end_break(EndBreak(BreakKind.STAND, completed=True))
    finally:
        front.stop()
    text = out.getvalue()
    assert "left" in text
    for line in text.split("\n"):
        shown = line.rsplit("\r", 1)[-1]  # what the terminal shows after carriage returns
        assert not ("left" in shown and ("Paused" in shown or "---" in shown)), repr(line)
    assert "\r                    \r[" in text  # the countdown was blanked, then the line


def test_the_running_break_and_the_prompt_print_no_second_status_line():
    out = io.StringIO()
    front = ConsoleFrontEnd(lambda _m: None, out, io.StringIO())
    for mode in (Mode.NOTICE, Mode.PROMPTING, Mode.ON_BREAK):
        front.show_status(StatusView(mode=mode, now=NOW, active_kind=BreakKind.STAND))
    assert out.getvalue() == ""
    front.show_status(StatusView(mode=Mode.WORKING, now=NOW, next_kind=BreakKind.STAND))
    assert out.getvalue().count("\n") == 1


@pytest.mark.slow
def test_a_real_console_app_says_each_thing_once(tmp_path):
    """Through the installed script: heads-up once per prompt, the miss said, clean lines."""
    (tmp_path / "config.toml").write_text(SHORT, encoding="utf-8")
    env = {**os.environ, "POSTUREBREAK_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    app = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def read() -> None:
        assert app.stdout is not None
        for line in app.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()

    def until(text: str, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            if text in line:
                return
        raise AssertionError(f"never saw {text!r}; output:\n{''.join(seen)}")

    assert app.stdin is not None
    try:
        until(">>> Time to stand")  # first prompt: left unanswered
        until("missed")
        until(">>> Time to stand")  # second prompt: started from the keyboard
        app.stdin.write("\n")
        app.stdin.flush()
        until("Done! Nice one.")
        app.stdin.write("q\n")
        app.stdin.flush()
        until("posturebreak stopped.")
    finally:
        if app.poll() is None:
            app.kill()
        app.wait(timeout=10)
    text = "".join(seen)
    prompts = text.count(">>> Time to stand")
    assert prompts == 2
    # The heads-up ("Stand in 2 s") comes once before each prompt, never twice.
    assert text.count("Stand in 2 s") == prompts, text
    assert "(no answer: the break was logged as missed)" in text
    for line in text.split("\n"):
        shown = line.rsplit("\r", 1)[-1]
        assert not ("left" in shown and "[" in shown), repr(line)


@pytest.mark.slow
def test_status_names_the_day_of_a_pause_that_ends_on_another_day(tmp_path):
    """Through the installed script, as a person types it: `pause 99h`, then `status`."""
    (tmp_path / "config.toml").write_text(seconds_config(every="1h"), encoding="utf-8")
    env = {**os.environ, "POSTUREBREAK_HOME": str(tmp_path), "TZ": local_noon_tz()}
    env.pop("DISPLAY", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30, check=False
        )

    app = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while cli("status").returncode != 0:
            assert time.monotonic() < deadline, "the app never answered"
            time.sleep(0.2)
        assert cli("pause", "30m").returncode == 0
        today = cli("status").stdout.splitlines()[0]
        assert re.fullmatch(r"Paused until \d\d:\d\d", today), today
        assert cli("pause", "99h").returncode == 0
        later = cli("status").stdout.splitlines()[0]
        assert re.fullmatch(r"Paused until (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d", later), later
        assert cli("quit").returncode == 0
        app.wait(timeout=15)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=10)
