"""`log`, `export` and `import` keep the order things happened in, whatever the wall clock said.

Real log files, the real command line (``cli.main``); only the wall clock is a fake.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak import paths
from posturebreak.cli import main as cli
from posturebreak.cli.insight import cmd_import
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.storage.store import EventStore
from tests.fakes import FakeClock

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
WALK = BreakKind.WALK


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield tmp_path / "home"
    monkeypatch.delenv("TZ")
    time.tzset()


def append(events: list[Event]) -> None:
    """Append one at a time, as the running app does."""
    store, _ = EventStore.open(paths.resolve().db_file)
    with store:
        for e in events:
            store.append(e)


def stored() -> list[Event]:
    store, _ = EventStore.open(paths.resolve().db_file)
    with store:
        return store.events()


def a_walk_while_the_clock_is_set_back(clock: FakeClock) -> list[Event]:
    """Prompted at 09:30; 20 s later the clock is set back 20 min; the walk is taken."""
    events = [Event.new(clock.now(), WALK, Action.PROMPTED)]
    clock.advance(timedelta(seconds=20))
    clock.set_wall(-timedelta(minutes=20))
    events.append(Event.new(clock.now(), WALK, Action.STARTED, 300.0))
    clock.advance(timedelta(minutes=5))
    events.append(Event.new(clock.now(), WALK, Action.COMPLETED, 300.0))
    return events


def actions_of(records: list[dict[str, object]]) -> list[object]:
    return [r["action"] for r in records]


def test_log_shows_the_answer_after_its_prompt_though_the_clock_went_back(home, capsys):
    walk = a_walk_while_the_clock_is_set_back(FakeClock(T0))
    assert walk[1].at < walk[0].at  # the answer's time is before the prompt's
    append(walk)
    assert cli.main(["log"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3] for line in lines] == ["prompted", "started", "completed"]
    assert [line.split()[1] for line in lines] == ["09:30:00", "09:10:20", "09:15:20"]
    assert cli.main(["log", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert actions_of(records) == ["prompted", "started", "completed"]
    assert [r["seq"] for r in records] == [1, 2, 3]
    # A day filter still goes by the times: all three are on the 23rd.
    assert cli.main(["log", "--since", "2026-11-23", "--until", "2026-11-23", "--json"]) == 0
    assert actions_of(json.loads(capsys.readouterr().out)) == ["prompted", "started", "completed"]


def test_export_keeps_the_order_and_carries_the_numbers(home, tmp_path, capsys):
    append(a_walk_while_the_clock_is_set_back(FakeClock(T0)))
    as_json, as_csv = tmp_path / "log.json", tmp_path / "log.csv"
    assert cli.main(["export", "--format", "json", "--out", str(as_json)]) == 0
    assert cli.main(["export", "--format", "csv", "--out", str(as_csv)]) == 0
    records = json.loads(as_json.read_text())
    assert actions_of(records) == ["prompted", "started", "completed"]
    assert [r["seq"] for r in records] == [1, 2, 3]
    rows = list(csv.DictReader(io.StringIO(as_csv.read_text(), newline="")))
    assert [r["action"] for r in rows] == ["prompted", "started", "completed"]
    assert [r["seq"] for r in rows] == ["1", "2", "3"]


def import_file(path: Path) -> None:
    assert cmd_import(argparse.Namespace(file=path)) == 0


def test_an_export_imported_elsewhere_keeps_its_order_and_takes_local_numbers(
    home, tmp_path, monkeypatch, capsys
):
    append(a_walk_while_the_clock_is_set_back(FakeClock(T0)))
    laptop = tmp_path / "laptop.json"
    assert cli.main(["export", "--out", str(laptop)]) == 0
    # The desk machine has a log of its own already.
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "desk"))
    desk_own = [Event.new(T0 + timedelta(hours=2), BreakKind.STAND, Action.PROMPTED)]
    append(desk_own)
    import_file(laptop)
    merged = stored()
    assert [e.action for e in merged] == [
        Action.PROMPTED,
        Action.PROMPTED,
        Action.STARTED,
        Action.COMPLETED,
    ]
    assert merged[0] == desk_own[0]
    assert [e.seq for e in merged] == [1, 2, 3, 4]
    capsys.readouterr()
    assert cli.main(["log"]) == 0
    out = capsys.readouterr().out
    assert out.index(" started ") < out.index(" completed ")
    # Export, import into a fresh log, export again: the same file, numbers and all.
    first = tmp_path / "desk.json"
    assert cli.main(["export", "--out", str(first)]) == 0
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "fresh"))
    import_file(first)
    again = tmp_path / "again.json"
    assert cli.main(["export", "--out", str(again)]) == 0
    assert again.read_text() == first.read_text()


def test_an_export_from_before_the_numbers_imports_in_file_order(home, tmp_path):
    # An older posturebreak wrote six columns, and its file order is the order to keep.
    old = tmp_path / "old.csv"
    walk = a_walk_while_the_clock_is_set_back(FakeClock(T0))
    lines = ["id,at,kind,action,duration_s,detail"]
    lines += [f"{e.id},{e.at.isoformat()},walk,{e.action.value},,old" for e in walk]
    old.write_text("\n".join(lines) + "\n")
    import_file(old)
    back = stored()
    assert [e.id for e in back] == [e.id for e in walk]
    assert [e.seq for e in back] == [1, 2, 3]
    assert {e.detail for e in back} == {"old"}
