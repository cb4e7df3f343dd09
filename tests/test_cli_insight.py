"""stats, report, import and walk-plan through the real command line, on a real log file."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from posturebreak import paths
from posturebreak.cli import main as cli
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.frontends import report
from posturebreak.storage import eventio
from posturebreak.storage.store import EventStore

WALK, STAND = BreakKind.WALK, BreakKind.STAND
ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield tmp_path / "home"
    monkeypatch.delenv("TZ")
    time.tzset()


def log(events: list[Event]) -> None:
    store, _ = EventStore.open(paths.resolve().db_file)
    with store:
        store.merge(events)


def stored() -> list[Event]:
    store, _ = EventStore.open(paths.resolve().db_file)
    with store:
        return store.events()


def today_at(hour: int, days_ago: int = 0) -> datetime:
    day = datetime.now().astimezone().date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour).astimezone()


def moved(at: datetime, minutes: float, kind=STAND) -> list[Event]:
    return [
        Event.new(at, kind, Action.PROMPTED),
        Event.new(at, kind, Action.STARTED, minutes * 60),
        Event.new(at + timedelta(minutes=minutes), kind, Action.COMPLETED, minutes * 60),
    ]


# --- stats -------------------------------------------------------------------------------------


def test_stats_json_keeps_its_shape_and_adds_goal_streak_and_patterns(home, capsys):
    # Every day a working day: on a Sunday, today and yesterday would otherwise both be
    # weekend days, which never count towards a streak.
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f"[schedule]\nworkdays = {json.dumps(ALL_WEEK)}\n")
    log([*moved(today_at(9), 130), *moved(today_at(9, days_ago=1), 125)])
    assert cli.main(["stats", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"from", "to", "by_kind", "compliance"} <= set(out)
    assert out["by_kind"]["stand"]["completed"] == 1
    assert out["by_kind"]["stand"]["minutes"] == 130.0
    assert out["goal"]["daily_minutes"] == 120
    assert out["goal"]["days"][-1]["met"] is True
    assert out["streak"]["current"] >= 1
    assert out["patterns"] == [{"hour": 9, "prompts": 1, "snoozed": 0, "skipped": 0}]
    assert out["suggestion"] is None


def test_stats_month_text_names_the_goal_and_the_streak(home, capsys):
    log(moved(today_at(9), 30))
    assert cli.main(["stats", "--month"]) == 0
    text = capsys.readouterr().out
    assert "Goal of 120 min met on 0 of" in text
    assert "Streak: none yet" in text
    assert cli.main(["stats", "--month", "--week"]) == 2  # one period at a time


def snoozed_then_skipped(at: datetime) -> list[Event]:
    """One offered stand break: prompted, snoozed, back again, skipped."""
    return [
        Event.new(at, STAND, Action.PROMPTED),
        Event.new(at + timedelta(seconds=10), STAND, Action.SNOOZED, 300),
        Event.new(at + timedelta(minutes=5), STAND, Action.PROMPTED, detail="snoozed 1x"),
        Event.new(at + timedelta(minutes=6), STAND, Action.SKIPPED),
    ]


def test_stats_prose_and_table_count_the_same_prompts(home, capsys):
    start = today_at(10)
    log([e for n in range(5) for e in snoozed_then_skipped(start + timedelta(minutes=7 * n))])
    assert cli.main(["stats", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    offered = sum(k["prompted"] for k in out["by_kind"].values())
    assert offered == 5  # a prompt back from a snooze is the same break
    assert sum(p["prompts"] for p in out["patterns"]) == offered
    assert out["suggestion"].startswith("You skip 5 of 5 prompts at 10:00")
    assert cli.main(["stats"]) == 0
    text = capsys.readouterr().out.splitlines()
    stand = next(line for line in text if line.startswith("Stand"))
    assert stand.split()[1:7] == ["5", "0", "0", "5", "5", "0"]  # prompted ... missed
    assert "You skip 5 of 5 prompts at 10:00" in text[-1]


def test_stats_with_no_log_says_so_plainly(home, capsys):
    assert cli.main(["stats"]) == 0
    assert "none offered yet" in capsys.readouterr().out
    assert not paths.resolve().db_file.exists()  # reading creates nothing


def test_stats_refuses_a_range_that_ends_before_it_starts(home, capsys):
    assert cli.main(["stats", "--since", "2026-11-20", "--until", "2026-11-01"]) == 2
    assert "--until is before --since" in capsys.readouterr().err


# --- import ------------------------------------------------------------------------------------


def test_importing_another_machines_export_twice_changes_nothing(home, tmp_path, capsys):
    here = moved(today_at(9), 10)
    there = moved(today_at(11), 20, WALK)
    log(here)
    export = tmp_path / "laptop.json"
    export.write_text(eventio.to_json(there))
    assert cli.main(["import", str(export)]) == 0
    assert "Imported 3 new events" in capsys.readouterr().out
    after_first = stored()
    assert cli.main(["import", str(export)]) == 0
    assert (
        "Imported 0 new events from laptop.json (3 already in the log)." in capsys.readouterr().out
    )
    assert stored() == after_first
    assert len(after_first) == 6
    # And the CSV of the merged log, imported back, adds nothing either.
    csv_file = tmp_path / "all.csv"
    assert cli.main(["export", "--format", "csv", "--out", str(csv_file)]) == 0
    assert cli.main(["import", str(csv_file)]) == 0
    assert stored() == after_first
    capsys.readouterr()
    assert cli.main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["by_kind"]["walk"]["completed"] == 1  # both machines in one set of figures
    assert figures["by_kind"]["stand"]["completed"] == 1


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[{"id": "x"}]', "record 1: missing at"),
        ("id,at,kind,action,duration_s,detail\nnot-a-uuid,2026,stand,prompted,,\n", "line 2"),
        ("hello", "not a JSON list or a CSV"),
        ("[1, ", "record 1: expected an object"),
    ],
)
def test_a_malformed_import_is_one_clear_line_and_changes_nothing(
    home, tmp_path, capsys, content, needle
):
    log(moved(today_at(9), 10))
    before = paths.resolve().db_file.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert cli.main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert "nothing was imported" in err
    assert "Traceback" not in err
    assert paths.resolve().db_file.read_bytes() == before


def test_import_of_a_missing_or_binary_file(home, tmp_path, capsys):
    assert cli.main(["import", str(tmp_path / "nope.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    assert cli.main(["import", str(binary)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


# --- report ------------------------------------------------------------------------------------


def test_report_writes_a_hidpi_png_of_the_week_and_the_month(home, tmp_path, capsys):
    log([*moved(today_at(9), 30), *moved(today_at(10, days_ago=2), 45, WALK)])
    out = tmp_path / "week.png"
    assert cli.main(["report", "--week", "--out", str(out)]) == 0
    assert f"Wrote {out}" in capsys.readouterr().out
    with Image.open(out) as img:
        assert img.size == (report.WIDTH * report.SCALE, report.HEIGHT * report.SCALE)
    assert cli.main(["report", "--month", "--out", str(tmp_path / "month.png")]) == 0
    assert (tmp_path / "month.png").stat().st_size > 10_000


def test_report_refuses_a_name_that_is_not_png(home, tmp_path, capsys):
    assert cli.main(["report", "--out", str(tmp_path / "week.jpg")]) == 2
    assert "PNG" in capsys.readouterr().err


def test_report_without_out_writes_into_the_data_folder(home, capsys):
    assert cli.main(["report", "--month"]) == 0
    assert (home / "report-month.png").stat().st_size > 10_000
    assert capsys.readouterr().out.strip() == f"Wrote {home / 'report-month.png'}"


def _tree(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("command", ["report", "export"])
@pytest.mark.parametrize(
    ("where", "needle"),
    [
        ("no/such/folder/out.png", "the folder {root}/no/such/folder does not exist"),
        ("file.txt/out.png", "{root}/file.txt is a file, not a folder"),
        ("file.txt/deeper/out.png", "{root}/file.txt is a file, not a folder"),
        ("folder.png", "it is a folder"),
    ],
)
def test_out_into_a_missing_folder_or_under_a_file_is_refused_and_creates_nothing(
    home, capsys, command, where, needle
):
    log(moved(today_at(9), 10))
    tmp_path = home.parent
    root = tmp_path / "out"
    root.mkdir()
    (root / "file.txt").write_text("keep me")
    (root / "folder.png").mkdir()
    before, log_before = _tree(tmp_path), paths.resolve().db_file.read_bytes()
    target = root / where
    argv = ["report", "--out", str(target)] if command == "report" else ["export", "--out"]
    if command == "export":
        argv.append(str(target))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"posturebreak: cannot write {target}: ")
    assert needle.format(root=root) in err
    assert _tree(tmp_path) == before  # no folder tree, no file, no config
    assert paths.resolve().db_file.read_bytes() == log_before


# --- walk-plan ---------------------------------------------------------------------------------


def walk_weeks(weeks: int) -> list[Event]:
    now = datetime.now(timezone.utc)
    monday = (now.astimezone() - timedelta(days=now.astimezone().weekday(), weeks=weeks)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    out = []
    for w in range(weeks):
        for d in range(5):
            t = monday + timedelta(weeks=w, days=d)
            out += moved(t, 5, WALK)
    return out


def test_walk_plan_status_grows_and_reset_starts_again(home, capsys):
    log(walk_weeks(3))
    assert cli.main(["walk-plan", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["target_s"] == 8 * 60
    assert [w["target_after_s"] for w in status["weeks"]] == [360, 420, 480]
    assert cli.main(["plan-walk"]) == 0
    assert capsys.readouterr().out.startswith("Today's walk: 8 min — 1 more than last week.")
    assert cli.main(["walk-plan", "reset"]) == 0
    assert "back to 5 min" in capsys.readouterr().out
    assert [e.action for e in stored()].count(Action.PLAN_RESET) == 1
    assert cli.main(["walk-plan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["target_s"] == 5 * 60
