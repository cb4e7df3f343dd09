"""What counts as a damaged log (SQLite's word, read through the -wal), links, and a log file
deleted or replaced under an open store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak import paths
from posturebreak.cli.main import main
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.storage.store import EventStore, LogReplaced

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
PAGE = 4096


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "home"))
    return paths.resolve().db_file


def ev(minutes: float, action: Action = Action.PROMPTED) -> Event:
    return Event.new(T0 + timedelta(minutes=minutes), BreakKind.STAND, action, detail="x" * 200)


def newest_page_one(wal: bytes) -> bytes:
    """The last copy of page 1 in a -wal (file format: 32-byte header, 24-byte frame headers)."""
    page_size = int.from_bytes(wal[8:12], "big")
    found = b""
    offset = 32
    while offset + 24 + page_size <= len(wal):
        if int.from_bytes(wal[offset : offset + 4], "big") == 1:
            found = wal[offset + 24 : offset + 24 + page_size]
        offset += 24 + page_size
    assert found, "the -wal holds no page 1"
    return found


def log_cut_off_by_a_full_disk(db: Path, n: int) -> list[Event]:
    """A healthy log as a full disk leaves it: every page in the -wal, and a 4,096-byte main
    file whose header (written first by a checkpoint that then ran out of space) counts them
    all. Made by copying db and -wal while the writer still has them open."""
    db.parent.mkdir(parents=True, exist_ok=True)
    src = db.with_name("writer.sqlite3")
    conn = sqlite3.connect(src, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.close()
    store, _ = EventStore.open(src)
    store._conn.execute("PRAGMA wal_autocheckpoint = 0")
    events = [ev(i) for i in range(n)]
    store.merge(events)
    wal = src.with_name(src.name + "-wal").read_bytes()
    assert src.stat().st_size <= PAGE
    page_one = newest_page_one(wal)
    db.write_bytes(page_one)
    db.with_name(db.name + "-wal").write_bytes(wal)
    store.close()
    for f in db.parent.glob("writer.sqlite3*"):
        f.unlink()
    pages = int.from_bytes(page_one[28:32], "big")
    assert pages * PAGE > db.stat().st_size, "the header must count pages the file lacks"
    return events


def test_a_log_whose_pages_are_all_in_its_wal_is_healthy_and_shown_in_full(db, capsys):
    events = log_cut_off_by_a_full_disk(db, 2000)
    assert main(["log", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "could not be read" not in err
    assert [e["id"] for e in json.loads(out)] == [e.id for e in events]
    assert not list(db.parent.glob("*.corrupt-*"))
    with EventStore.open(db)[0] as store:
        assert store.count() == 2000


def test_the_installed_script_shows_such_a_log_in_full(db):
    events = log_cut_off_by_a_full_disk(db, 300)
    done = subprocess.run(
        [sys.executable, "-m", "posturebreak", "log", "--json"],
        env={**os.environ, "POSTUREBREAK_HOME": str(db.parent), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    assert len(json.loads(done.stdout)) == len(events)
    assert not list(db.parent.glob("*.corrupt-*"))


def test_a_big_log_gets_the_cheap_reads_and_still_sees_the_wal(db, monkeypatch):
    monkeypatch.setattr("posturebreak.storage.files.THOROUGH_MAX_BYTES", 0)
    log_cut_off_by_a_full_disk(db, 500)
    store, moved = EventStore.open(db)
    with store:
        assert moved is None
        assert store.count() == 500


# --- a log that is a symlink -------------------------------------------------------------------


def test_a_link_to_a_damaged_file_moves_the_file_aside_and_the_link_names_the_new_log(db):
    real_dir = db.parent.parent / "elsewhere"
    real_dir.mkdir(parents=True)
    target = real_dir / "my-log.sqlite3"
    target.write_bytes(b"not a database at all\n" * 300)
    db.parent.mkdir(parents=True)
    db.symlink_to(target)
    store, moved = EventStore.open(db)
    with store:
        assert moved is not None
        assert moved.original == target
        assert moved.moved_to.parent == real_dir
        assert moved.moved_to.read_bytes() == b"not a database at all\n" * 300
        store.append(ev(0))
    assert db.is_symlink()
    assert db.resolve() == target
    with EventStore.open(db)[0] as again:
        assert again.count() == 1
    assert not list(db.parent.glob("*.corrupt-*"))


def test_the_cli_names_the_real_file_when_a_linked_log_is_damaged(db, capsys):
    target = db.parent.parent / "real.sqlite3"
    target.write_bytes(b"garbage" * 1000)
    db.parent.mkdir(parents=True)
    db.symlink_to(target)
    assert main(["log"]) == 0
    err = capsys.readouterr().err
    assert f"The log {target} could not be read" in err
    assert str(target) + ".corrupt-" in err


# --- the file deleted or replaced under an open store ------------------------------------------


def remove_log(db: Path) -> None:
    for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        f.unlink(missing_ok=True)


def test_a_deleted_log_is_started_anew_at_its_path_and_told_once(db):
    store, _ = EventStore.open(db)
    with store:
        assert store.append(ev(0)) is None
        remove_log(db)
        told = store.append(ev(1))
        assert isinstance(told, LogReplaced)
        assert told.path == db
        assert "deleted" in told.message()
        assert store.append(ev(2)) is None
        assert store.count() == 2
    with EventStore.open(db)[0] as again:
        assert [e.action for e in again.events()] == [Action.PROMPTED] * 2
        assert [e.at for e in again.events()] == [ev(1).at, ev(2).at]


def test_a_log_replaced_by_another_file_gets_the_next_answers(db, tmp_path):
    other = tmp_path / "backup.sqlite3"
    with EventStore.open(other)[0] as backup:
        backup.append(ev(-60, Action.COMPLETED))
    store, _ = EventStore.open(db)
    with store:
        store.append(ev(0))
        remove_log(db)
        other.replace(db)
        told = store.append(ev(1, Action.STARTED))
        assert told is not None
        assert "replaced" in told.message()
    with EventStore.open(db)[0] as again:
        assert [e.action for e in again.events()] == [Action.COMPLETED, Action.STARTED]
