"""The command line, in-process and against a real running app in another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from importlib import metadata
from pathlib import Path

import pytest
import tomllib

from posturebreak.cli.main import main
from posturebreak.control import protocol
from posturebreak.core.commands import Snooze
from posturebreak.core.domain import Action, BreakKind, Event, Mode
from posturebreak.core.effects import StatusView
from posturebreak.core.policy_state import Context
from posturebreak.core.settings import Settings
from posturebreak.storage.store import EventStore
from tests.configs import local_noon_tz, seconds_config
from tests.installed import posturebreak
from tests.sim import BERLIN, at


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield tmp_path
    monkeypatch.delenv("TZ")
    time.tzset()


def test_plan_json_lists_the_configured_day(home, capsys):
    assert main(["plan", "--date", "2026-11-23", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["date"] == "2026-11-23"
    first = plan["breaks"][0]
    assert first == {"at": "2026-11-23T09:30:00+01:00", "kind": "stand", "duration_s": 60}
    assert {b["kind"] for b in plan["breaks"]} == {"stand", "stretch", "walk"}
    assert (home / "config.toml").exists()  # created on first use


def test_plan_on_a_weekend_says_there_is_nothing(home, capsys):
    assert main(["plan", "--date", "2026-11-28"]) == 0
    assert "no breaks" in capsys.readouterr().out


def test_config_path_and_check(home, capsys):
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(home / "config.toml")
    (home / "config.toml").write_text('[breaks.walk]\nevery = "2x"\n')
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "config.toml" in err
    assert "every" in err
    assert "2x" in err
    (home / "config.toml").write_text('[breaks.walk]\nevery = "45m"\n')
    assert main(["config", "check"]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "[schedule\n",
        '[prompt]\nmax_snoozes = "lots"\n',
        '[breaks.stand]\nevery = "1m"\nduration = "5m"\n',
        "[sleepy]\nx = 1\n",
        '[schedule]\nhours = ["17:00-17:00"]\n',
        '[schedule]\nworkdays = ["funday"]\n',
        "\x00\x01binary",
    ],
)
def test_every_bad_config_is_one_line_and_exit_2(home, capsys, text):
    (home / "config.toml").write_text(text)
    for argv in (["config", "check"], ["plan"], ["run", "--console"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert "config.toml" in err.splitlines()[0]


def _log_some(home: Path) -> list[Event]:
    events = [
        Event.new(at("2026-11-23 09:30"), BreakKind.STAND, Action.PROMPTED),
        Event.new(at("2026-11-23 09:30:05"), BreakKind.STAND, Action.STARTED, 60),
        Event.new(at("2026-11-23 09:31:05"), BreakKind.STAND, Action.COMPLETED, 60),
        Event.new(at("2026-11-23 10:01"), BreakKind.STRETCH, Action.PROMPTED),
        Event.new(at("2026-11-23 10:01:03"), BreakKind.STRETCH, Action.SKIPPED),
        Event.new(at("2026-11-24 11:00"), BreakKind.WALK, Action.NATURAL, 1800, "away"),
    ]
    store, _ = EventStore.open(home / "events.sqlite3")
    with store:
        for e in events:
            store.append(e)
    return events


def test_log_json_has_the_agreed_shape(home, capsys):
    events = _log_some(home)
    assert main(["log", "--json", "--since", "2026-11-24"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "id": events[-1].id,
            "at": "2026-11-24T10:00:00.000000+00:00",
            "kind": "walk",
            "action": "natural",
            "duration_s": 1800.0,
            "detail": "away",
            "seq": 6,
        }
    ]


def test_stats_for_a_day_and_the_week(home, capsys):
    _log_some(home)
    assert main(["stats", "--day", "2026-11-23", "--json"]) == 0
    day = json.loads(capsys.readouterr().out)
    assert day["by_kind"]["stand"]["completed"] == 1
    assert day["by_kind"]["stretch"]["skipped"] == 1
    assert day["compliance"] == 0.5
    assert main(["stats", "--week", "--json", "--day", "2026-11-25"]) == 2  # exclusive options
    capsys.readouterr()
    assert main(["stats", "--since", "2026-11-23", "--until", "2026-11-24", "--json"]) == 0
    week = json.loads(capsys.readouterr().out)
    assert week["by_kind"]["walk"]["natural"] == 1
    assert week["by_kind"]["walk"]["minutes"] == 15.0  # an absence counts at most 15 min
    assert week["compliance"] == pytest.approx(2 / 3, abs=0.001)


def test_export_csv_and_json(home, capsys, tmp_path):
    events = _log_some(home)
    out = tmp_path / "all.csv"
    assert main(["export", "--format", "csv", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "id,at,kind,action,duration_s,detail,seq"
    assert len(lines) == len(events) + 1
    capsys.readouterr()
    assert main(["export", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(events)


def test_control_commands_without_an_app_say_so(home, capsys):
    for argv in (["status"], ["skip"], ["pause", "30m"], ["quit"], ["break", "walk"]):
        assert main(argv) == 1
        assert "not running" in capsys.readouterr().err


# --- usage errors: one line that says what is expected, exit 2 ----------------------------


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["break", "sit"],
            "posturebreak: break: 'sit' is not a break kind; expected stand, stretch or walk",
        ),
        (
            ["log", "--since", "banana"],
            (
                "posturebreak: log: --since: 'banana' is not a date; expected YYYY-MM-DD, "
                "e.g. 2026-11-23"
            ),
        ),
        (
            ["stats", "--day", "23/11/2026"],
            (
                "posturebreak: stats: --day: '23/11/2026' is not a date; expected YYYY-MM-DD, "
                "e.g. 2026-11-23"
            ),
        ),
        (
            ["export", "--format", "xml"],
            "posturebreak: export: --format: 'xml' is not a format; expected csv or json",
        ),
        (
            ["config", "show"],
            (
                "posturebreak: config: 'show' is not a config action; "
                "expected path, dirs, check or edit"
            ),
        ),
        (
            ["autostart", "maybe"],
            (
                "posturebreak: autostart: 'maybe' is not an autostart action; "
                "expected on, off or status"
            ),
        ),
        (
            ["walk-plan", "grow"],
            "posturebreak: walk-plan: 'grow' is not a walk-plan action; expected status or reset",
        ),
    ],
)
def test_a_wrong_word_is_one_line_naming_what_is_expected(home, capsys, argv, line):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err == line + "\n"
    assert out == ""


def test_an_unknown_command_names_the_commands(home, capsys):
    assert main(["repotr", "--week"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posturebreak: 'repotr' is not a command; expected one of run, status,")
    named = err.strip().split("expected one of ")[1].split(", ")
    assert {"report", "import", "walk-plan", "config", "autostart"} <= set(named)
    assert "plan-walk" not in named  # an alias, not a command of its own
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["break"], "posturebreak: break: the following arguments are required: kind; usage:"),
        (["import"], "posturebreak: import: the following arguments are required: FILE; usage:"),
        (["log", "--since"], "posturebreak: log: --since: expected one argument; usage:"),
        (["stats", "--week", "--month"], "posturebreak: stats: --month: not allowed with"),
        (["plan", "--tomorrow"], "posturebreak: plan: unrecognized arguments: --tomorrow; usage:"),
        (["--console", "--tray"], "posturebreak: run: unrecognized arguments: --tray; usage:"),
    ],
)
def test_a_missing_or_unknown_argument_is_one_line_with_the_usage(home, capsys, argv, says):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(says)
    assert len(err.splitlines()) == 1
    assert f"usage: posturebreak {argv[0] if argv[0] != '--console' else 'run'}" in err


def test_help_stays_argparses_own(home, capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: posturebreak [-h] [--version] COMMAND ...")
    assert "walk-plan (plan-walk)" in out
    assert main(["break", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: posturebreak break [-h] {stand,stretch,walk}")
    assert "take a break now" in out


def test_usage_errors_through_the_installed_script(tmp_path):
    r = posturebreak(tmp_path, "break", "sit")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        "posturebreak: break: 'sit' is not a break kind; expected stand, stretch or walk\n"
    )
    assert not tmp_path.joinpath("config.toml").exists()  # a refused command creates nothing


def test_version_is_the_installed_packages(tmp_path):
    with (Path(__file__).resolve().parents[1] / "pyproject.toml").open("rb") as f:
        version = tomllib.load(f)["project"]["version"]
    r = posturebreak(tmp_path, "--version")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"posturebreak {version}\n", "")


def test_status_json_carries_the_version():
    view = StatusView(mode=Mode.WORKING, now=at("2026-11-23 10:00"))
    assert protocol.status_json(view)["version"] == metadata.version("posturebreak")


def test_a_snooze_reply_says_which_break_and_for_how_long():
    ctx = Context(Settings(), BERLIN)
    now = at("2026-11-23 10:00")
    snoozed = StatusView(mode=Mode.SNOOZED, now=now, active_kind=BreakKind.STAND)
    assert protocol.describe(Snooze(), ctx, snoozed) == "Snoozed the stand break for 5 min."
    ten = protocol.describe(Snooze(timedelta(minutes=10)), ctx, snoozed)
    assert ten == "Snoozed the stand break for 10 min."


# --- two real processes -----------------------------------------------------------------


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(POSTUREBREAK_HOME=str(home), TZ=local_noon_tz(), PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "posturebreak", *argv],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _start_console_app(home: Path) -> subprocess.Popen[str]:
    (home / "config.toml").write_text(seconds_config())
    return subprocess.Popen(
        [sys.executable, "-m", "posturebreak", "run", "--console"],
        env=_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_the_cli_controls_a_running_console_app(tmp_path):
    app = _start_console_app(tmp_path)
    try:
        _wait_for(lambda: _cli(tmp_path, "status").returncode == 0)
        second = _cli(tmp_path, "run", "--console")
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert "Traceback" not in second.stderr

        _wait_for(
            lambda: json.loads(_cli(tmp_path, "status", "--json").stdout)["state"] == "prompting"
        )
        snoozed = _cli(tmp_path, "snooze")
        assert snoozed.returncode == 0, snoozed.stderr
        assert snoozed.stdout == "Snoozed the stand break for 2 s.\n"  # the first choice
        _wait_for(
            lambda: json.loads(_cli(tmp_path, "status", "--json").stdout)["state"] == "prompting"
        )
        assert _cli(tmp_path, "skip").returncode == 0
        took = _cli(tmp_path, "break", "stretch")
        assert took.returncode == 0
        assert "Stretch break started" in took.stdout
        status = json.loads(_cli(tmp_path, "status", "--json").stdout)
        assert status["version"] == metadata.version("posturebreak")
        assert status["state"] == "on_break"
        assert status["active"] == "stretch"
        assert _cli(tmp_path, "pause", "until", "tomorrow").returncode == 0
        bad = _cli(tmp_path, "pause", "until", "25:99")
        assert bad.returncode == 1
        assert "HH:MM" in bad.stderr
        assert _cli(tmp_path, "quit").returncode == 0
        assert app.wait(10) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    out = app.stdout.read() if app.stdout else ""
    assert "Time to stand" in out
    log = json.loads(_cli(tmp_path, "log", "--json").stdout)
    actions = [(e["kind"], e["action"]) for e in log]
    assert actions[:5] == [
        ("stand", "prompted"),
        ("stand", "snoozed"),
        ("stand", "prompted"),
        ("stand", "skipped"),
        ("stretch", "started"),
    ]
    assert (None, "paused") in actions
    assert _cli(tmp_path, "status").returncode == 1


@pytest.mark.slow
def test_a_console_app_answers_keys_on_stdin(tmp_path):
    app = _start_console_app(tmp_path)
    assert app.stdin is not None
    assert app.stdout is not None
    try:
        for line in app.stdout:
            if "Time to stand" in line:
                break
        app.stdin.write("\n")  # Enter = start
        app.stdin.flush()
        for line in app.stdout:
            if "Done!" in line:
                break
        app.stdin.write("q\n")
        app.stdin.flush()
        assert app.wait(10) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
    log = json.loads(_cli(tmp_path, "log", "--json").stdout)
    assert [e["action"] for e in log][:3] == ["prompted", "started", "completed"]
    assert log[2]["duration_s"] == 1.0


def test_no_display_and_no_terminal_is_a_clear_error(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "posturebreak"],
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 1
    assert "no display and no terminal" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_damaged_log_is_moved_aside_and_the_user_told(home, capsys):
    (home / "events.sqlite3").write_bytes(b"this is not a database" * 100)
    assert main(["log"]) == 0
    err = capsys.readouterr().err
    assert "corrupt" in err
    kept = list(home.glob("events.sqlite3.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == b"this is not a database" * 100
