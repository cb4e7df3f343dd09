"""The event log against real SQLite files: round trips, filters, migrations, damage, crashes."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posturebreak import paths
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.storage.store import (
    SCHEMA_VERSION,
    EventStore,
    MovedAside,
    StoreError,
    StoreLocked,
)
from tests import asuser

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
KINDS = tuple(BreakKind)

# The schema as it stood after each version, written out independently of the module so that a
# changed (rather than appended) migration is caught. Version 0 is an empty file.
SCHEMA_AT: dict[int, list[str]] = {
    1: [
        (
            "CREATE TABLE events (id TEXT PRIMARY KEY, at TEXT NOT NULL, kind TEXT,"
            " action TEXT NOT NULL, duration_s REAL, detail TEXT NOT NULL DEFAULT '')"
        )
    ],
}
SCHEMA_AT[2] = [
    *SCHEMA_AT[1],
    "CREATE INDEX events_by_at ON events (at, id)",
    "CREATE INDEX events_by_kind_at ON events (kind, at, id)",
]
SCHEMA_AT[3] = [*SCHEMA_AT[2], "CREATE INDEX events_by_action_at ON events (action, at, id)"]
SCHEMA_AT[4] = [
    *SCHEMA_AT[3],
    (
        "CREATE INDEX events_moved ON events (at, action, duration_s)"
        " WHERE action IN ('completed', 'ended_early', 'natural')"
    ),
]
SCHEMA_AT[5] = [
    *SCHEMA_AT[4],
    "ALTER TABLE events ADD COLUMN seq INTEGER",
    "CREATE UNIQUE INDEX events_by_seq ON events (seq)",
    "CREATE INDEX events_by_action_seq ON events (action, seq)",
]
INDEXES = (
    "events_by_at",
    "events_by_kind_at",
    "events_by_action_at",
    "events_moved",
    "events_by_seq",
    "events_by_action_seq",
)


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "home"))
    return paths.resolve().db_file


def ev(minutes: float, kind=BreakKind.STAND, action=Action.PROMPTED, **kw) -> Event:
    return Event.new(T0 + timedelta(minutes=minutes), kind, action, **kw)


def open_store(path: Path, **kw) -> EventStore:
    store, moved = EventStore.open(path, **kw)
    assert moved is None
    return store


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# --- round trips and queries -------------------------------------------------------------------


@pytest.mark.parametrize("where", ["file", "memory"])
def test_events_read_back_equal_with_none_fields_and_any_timezone(db, where):
    store = open_store(db) if where == "file" else EventStore.memory()
    paris = timezone(timedelta(hours=1))
    written = [
        Event(
            str(uuid.uuid4()),
            datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=paris),
            None,
            Action.PAUSED,
        ),
        Event(str(uuid.uuid4()), T0, BreakKind.WALK, Action.COMPLETED, 300.25, "5 min, 420 steps"),
    ]
    with store:
        for e in written:
            store.append(e)
        back = store.events()
    assert back == written
    assert back[0].at == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=timezone.utc)
    assert all(e.at.utcoffset() == timedelta(0) for e in back)
    assert back[0].kind is None
    assert back[0].duration_s is None


def test_a_reopened_log_keeps_everything(db):
    with open_store(db) as store:
        written = [ev(i, detail=f"n{i}") for i in range(5)]
        for e in written:
            store.append(e)
    with open_store(db) as again:
        assert again.events() == written
        assert again.count() == 5


def test_filters_since_inclusive_until_exclusive_kinds_actions_in_append_order():
    store = EventStore.memory()
    a = ev(0, BreakKind.STAND, Action.PROMPTED)
    b = ev(10, BreakKind.WALK, Action.STARTED)
    c = ev(20, None, Action.PAUSED)
    d = ev(30, BreakKind.WALK, Action.SKIPPED)
    for e in (d, b, a, c):  # the times say a, b, c, d; the log keeps the order of appending
        store.append(e)
    assert store.events() == [d, b, a, c]
    assert [e.seq for e in store.events()] == [1, 2, 3, 4]
    assert store.events(since=b.at, until=d.at) == [b, c]
    assert store.events(kinds={BreakKind.WALK}) == [d, b]
    assert store.events(actions=[Action.PAUSED, Action.PROMPTED]) == [a, c]
    assert store.events(kinds={BreakKind.WALK}, actions={Action.SKIPPED}) == [d]
    assert store.events(kinds=()) == []
    local = timezone(timedelta(hours=-5))
    assert store.events(since=b.at.astimezone(local)) == [d, b, c]


def test_events_at_the_same_instant_keep_the_order_they_were_merged_in():
    store = EventStore.memory()
    same = [Event(str(uuid.uuid4()), T0, BreakKind.STAND, Action.PROMPTED) for _ in range(20)]
    store.merge(same)
    assert [e.id for e in store.events()] == [e.id for e in same]


def test_iter_events_streams_a_big_log_in_order():
    store = EventStore.memory()
    many = [ev(i / 10) for i in range(2500)]
    assert store.merge(reversed(many)) == 2500
    streamed = store.iter_events(kinds=[BreakKind.STAND])
    assert next(streamed) == many[-1]
    rest = list(streamed)
    assert [many[-1], *rest] == many[::-1]  # past the first batch of 1000, still in order
    assert [e.seq for e in rest] == list(range(2, 2501))


def test_count_and_last_event_is_the_last_appended():
    store = EventStore.memory()
    assert store.count() == 0
    assert store.last_event() is None
    first = ev(0, action=Action.PROMPTED)
    snooze = ev(1, action=Action.SNOOZED)
    later = ev(2, action=Action.PROMPTED)
    for e in (later, first, snooze):
        store.append(e)
    assert store.count() == 3
    assert store.last_event() == snooze
    assert store.last_event([Action.PROMPTED]) == first  # appended after `later`
    assert store.last_event([Action.SNOOZED, Action.PROMPTED]) == snooze
    assert store.last_event([Action.SKIPPED]) is None


def test_an_answer_logged_after_the_clock_went_back_still_follows_its_prompt(db):
    # The prompt at 09:30; then the wall clock is set back 20 minutes (NTP, a hand-set clock)
    # before the answer comes: its time is 09:11, but it happened after the prompt.
    prompt = ev(0, BreakKind.WALK, Action.PROMPTED)
    started = ev(-19, BreakKind.WALK, Action.STARTED, duration_s=300)
    done = ev(-14, BreakKind.WALK, Action.COMPLETED, duration_s=300)
    with open_store(db) as store:
        for e in (prompt, started, done):
            store.append(e)
    with open_store(db) as store:
        assert store.events() == [prompt, started, done]
        assert list(store.iter_events(kinds={BreakKind.WALK})) == [prompt, started, done]
        assert store.events(since=done.at) == [prompt, done]  # `since` still reads the time
        assert store.last_event() == done
        assert store.last_event([Action.PROMPTED, Action.COMPLETED]) == done
        seqs = [e.seq for e in store.events()]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3


def test_merged_events_are_numbered_after_the_log_in_the_order_given():
    store = EventStore.memory()
    here = [ev(60), ev(61)]
    for e in here:
        store.append(e)
    other = [ev(5, detail="b1"), ev(1, detail="b2"), ev(3, detail="b3")]  # their clock, their order
    foreign = [Event(e.id, e.at, e.kind, e.action, e.duration_s, e.detail, seq=900) for e in other]
    assert store.merge([*foreign, here[0]]) == 3
    back = store.events()
    assert [e.detail for e in back] == ["", "", "b1", "b2", "b3"]
    assert [e.seq for e in back] == [1, 2, 3, 4, 5]  # local numbers, not the other machine's


def test_merge_adds_only_new_events_and_twice_adds_nothing():
    store = EventStore.memory()
    batch = [ev(i) for i in range(5)]
    store.append(batch[0])
    assert store.merge(batch) == 4
    assert store.merge(batch) == 0
    assert store.merge([*batch, ev(9)]) == 1
    assert store.count() == 6


def test_appending_the_same_event_twice_is_refused():
    store = EventStore.memory()
    e = ev(0)
    store.append(e)
    with pytest.raises(ValueError, match="already in the log"):
        store.append(e)
    assert store.count() == 1


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_events = st.builds(
    Event,
    id=st.uuids().map(str),
    at=st.datetimes(
        min_value=datetime(1970, 1, 2),  # noqa: DTZ001  hypothesis bounds are naive by API
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001  hypothesis bounds are naive by API
        timezones=st.just(timezone.utc),
    ),
    kind=st.none() | st.sampled_from(BreakKind),
    action=st.sampled_from(Action),
    duration_s=st.none() | st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    detail=_text,
)


@given(st.lists(_events, max_size=20, unique_by=lambda e: e.id))
@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
def test_any_events_round_trip_through_the_store(events):
    store = EventStore.memory()
    assert store.merge(events) == len(events)
    back = store.events()
    assert back == events
    assert [e.seq for e in back] == list(range(1, len(events) + 1))


# --- migrations and schema versions -------------------------------------------------------------


def make_db(path: Path, version: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for statement in SCHEMA_AT.get(version, []):
        conn.execute(statement)
    if version >= 1:
        conn.execute(
            "INSERT INTO events (id, at, kind, action, duration_s, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                "0b6f1a4e-6c1e-4d4e-9c39-8f5f0d3c1a01",
                "2026-11-21T09:30:00.000000+00:00",
                "walk",
                "completed",
                300.0,
                "old",
            ),
        )
    if version >= 5:
        conn.execute("UPDATE events SET seq = 1")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


def schema_of(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return set(
            conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        )
    finally:
        conn.close()


def test_the_schema_table_in_this_test_covers_every_version():
    assert sorted(SCHEMA_AT) == list(range(1, SCHEMA_VERSION + 1))


def test_an_empty_file_becomes_a_log(db):
    db.parent.mkdir(parents=True)
    db.write_bytes(b"")
    with open_store(db) as store:
        store.append(ev(0))
        assert store.count() == 1
    assert schema_of(db) == {("table", "events")} | {("index", n) for n in INDEXES}


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_every_older_schema_is_migrated_and_keeps_its_events(db, tmp_path, version):
    make_db(db, version)
    fresh = tmp_path / "fresh.sqlite3"
    make_db(fresh, SCHEMA_VERSION)
    with open_store(db) as store:
        old = store.events()
        store.append(ev(5))
        assert store.count() == len(old) + 1
    if version >= 1:
        assert [e.detail for e in old] == ["old"]
        assert old[0].kind is BreakKind.WALK
        assert old[0].duration_s == 300.0
    assert schema_of(db) == schema_of(fresh)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def a_version_4_log(path: Path) -> list[tuple[object, ...]]:
    """A log as posturebreak wrote it before sequence numbers: every action, clock jumps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for statement in SCHEMA_AT[4]:
        conn.execute(statement)
    rows: list[tuple[object, ...]] = []
    for n, action in enumerate(Action):
        kind = (
            None if action in (Action.PAUSED, Action.RESUMED, Action.PLAN_RESET) else KINDS[n % 3]
        )
        # Times that wander back and forth, as a clock set back and forth leaves them.
        at = T0 + timedelta(minutes=(7 * n) % 11 - 5, microseconds=n)
        duration = 60.0 * n if action in (Action.COMPLETED, Action.NATURAL) else None
        rows.append(
            (
                str(uuid.uuid4()),
                at.isoformat(timespec="microseconds"),
                None if kind is None else kind.value,
                action.value,
                duration,
                f"row {n}",
            )
        )
    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    return rows


def test_a_version_4_log_gets_sequence_numbers_in_the_order_it_was_written(db):
    rows = a_version_4_log(db)
    assert [r[1] for r in rows] != sorted(r[1] for r in rows)  # time order is not append order
    with open_store(db) as store:
        back = store.events()
        store.append(ev(100, detail="new"))
        newest = store.last_event()
    assert [e.id for e in back] == [r[0] for r in rows]
    assert {e.action for e in back} == set(Action)
    seqs = [e.seq for e in back]
    assert all(isinstance(n, int) for n in seqs)
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(rows)
    assert newest is not None
    assert newest.detail == "new"
    assert newest.seq == max(n for n in seqs if n is not None) + 1
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        kept = conn.execute(
            "SELECT id, at, kind, action, duration_s, detail FROM events ORDER BY rowid"
        ).fetchall()
        plan = " ".join(
            str(r[-1])
            for r in conn.execute("EXPLAIN QUERY PLAN SELECT id FROM events ORDER BY seq")
        )
    finally:
        conn.close()
    assert kept[: len(rows)] == rows  # the data is untouched
    assert "events_by_seq" in plan  # ordered reads come from the index, no sorting
    assert "TEMP B-TREE" not in plan


def test_a_log_from_a_newer_version_is_refused_and_left_alone(db):
    make_db(db, SCHEMA_VERSION)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match=r"newer posturebreak.*upgrade"):
        EventStore.open(db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


# --- damaged files ------------------------------------------------------------------------------


def truncated_real_log(path: Path) -> None:
    with open_store(path) as store:
        store.merge(ev(i, detail="x" * 200) for i in range(2000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def zeroed_middle(path: Path) -> None:
    with open_store(path) as store:
        store.merge(ev(i, detail="x" * 200) for i in range(2000))
    data = bytearray(path.read_bytes())
    third = len(data) // 3
    data[third : 2 * third] = bytes(third)
    path.write_bytes(bytes(data))


def foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (name TEXT)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.write_bytes(random.randbytes(8192)), id="random-bytes"),
        pytest.param(truncated_real_log, id="truncated-db"),
        pytest.param(zeroed_middle, id="zeroed-pages"),
        pytest.param(lambda p: p.write_text("id,at\nnot a database\n"), id="text-file"),
        pytest.param(foreign_database, id="other-apps-db"),
    ],
)
def test_a_damaged_log_is_moved_aside_intact_and_a_new_one_started(db, spoil):
    db.parent.mkdir(parents=True)
    spoil(db)
    original = db.read_bytes()
    store, moved = EventStore.open(db)
    with store:
        assert isinstance(moved, MovedAside)
        assert moved.original == db
        assert moved.moved_to.name.startswith("events.sqlite3.corrupt-")
        assert moved.moved_to.name.endswith("Z")
        assert moved.reason
        assert moved.moved_to.read_bytes() == original
        assert store.count() == 0
        store.append(ev(0))
    with open_store(db) as again:
        assert again.count() == 1


def test_a_damaged_logs_wal_file_goes_with_it(db):
    db.parent.mkdir(parents=True)
    db.write_text("garbage")
    wal = db.with_name(db.name + "-wal")
    wal.write_bytes(b"old wal bytes")
    store, moved = EventStore.open(db)
    store.close()
    assert moved is not None
    assert moved.moved_to.with_name(moved.moved_to.name + "-wal").read_bytes() == b"old wal bytes"
    assert moved.moved_to.read_text() == "garbage"


def test_a_cut_short_log_whose_newest_pages_are_in_its_wal_is_moved_aside_untouched(db, tmp_path):
    # A writer still has the source open, so its newest pages sit in the -wal; copying both and
    # cutting the main file short is what an interrupted copy or a bad disk leaves behind.
    src = tmp_path / "src.sqlite3"
    conn = sqlite3.connect(src, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    for statement in SCHEMA_AT[SCHEMA_VERSION]:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    rows = [
        (
            str(uuid.uuid4()),
            f"2026-01-01T00:00:{i % 60:02d}.000000+00:00",
            "stand",
            "prompted",
            None,
            "x" * 200,
            i + 1,
        )
        for i in range(2000)
    ]
    insert = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)"
    conn.executemany(insert, rows[:1990])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.executemany(insert, rows[1990:])
    db.parent.mkdir(parents=True)
    data = src.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    wal = db.with_name(db.name + "-wal")
    wal.write_bytes(src.with_name(src.name + "-wal").read_bytes())
    conn.close()
    before = (db.read_bytes(), wal.read_bytes())
    store, moved = EventStore.open(db)
    store.close()
    assert moved is not None
    assert moved.reason.startswith("SQLite finds it damaged: Page ")
    kept_wal = moved.moved_to.with_name(moved.moved_to.name + "-wal")
    assert (moved.moved_to.read_bytes(), kept_wal.read_bytes()) == before


def test_a_second_damaged_log_in_the_same_second_gets_its_own_name(db):
    db.parent.mkdir(parents=True)
    db.write_text("one")
    EventStore.open(db)[0].close()
    db.unlink()
    db.write_text("two")
    for side in db.parent.glob(db.name + "-*"):
        side.unlink()
    moved = EventStore.open(db)[1]
    assert moved is not None
    kept = sorted(p.read_text() for p in db.parent.glob("*.corrupt-*") if "-wal" not in p.name)
    assert "one" in kept
    assert "two" in kept


# --- permissions and bad places ------------------------------------------------------------------


def test_a_data_dir_that_is_a_file_gives_one_clear_error(tmp_path):
    blocker = tmp_path / "home"
    blocker.write_text("i am a file")
    with pytest.raises(StoreError, match=r"is a file, not a folder.*POSTUREBREAK_HOME") as info:
        EventStore.open(blocker / "data" / "events.sqlite3")
    assert str(blocker) in str(info.value)
    assert blocker.read_text() == "i am a file"


def test_a_log_path_that_is_a_folder_gives_one_clear_error(db):
    db.mkdir(parents=True)
    with pytest.raises(StoreError, match="is a folder, not a file"):
        EventStore.open(db)


def test_a_read_only_folder_gives_one_clear_error(pytestconfig):
    # As an ordinary user: root creates files in any folder.
    user = asuser.subject(pytestconfig)
    with user.scratch() as home:
        locked = home / "ro"
        locked.mkdir(mode=0o500)
        user.own(locked)
        message = user.error_from(
            StoreError,
            "EventStore.open(Path(sys.argv[1]))",
            str(locked / "events.sqlite3"),
            setup="from pathlib import Path\nfrom posturebreak.storage.store import EventStore",
        )
    assert re.search("permission denied", message), message


def test_a_read_only_log_gives_one_clear_error(pytestconfig):
    # As an ordinary user: root writes to a read-only file.
    user = asuser.subject(pytestconfig)
    with user.scratch() as home:
        db = paths.resolve({"POSTUREBREAK_HOME": str(home / "home")}).db_file
        message = user.error_from(
            StoreError,
            "store.append(Event.new(T0, BreakKind.STAND, Action.PROMPTED))",
            str(db),
            setup=f"""
                from datetime import datetime
                from pathlib import Path
                from posturebreak.core.domain import Action, BreakKind, Event
                from posturebreak.storage.store import EventStore
                T0 = datetime.fromisoformat({T0.isoformat()!r})
                db = Path(sys.argv[1])
                store, moved = EventStore.open(db)
                assert moved is None
                store.close()
                db.chmod(0o400)
                store, moved = EventStore.open(db)
                assert moved is None
            """,
        )
    assert re.search("read-only", message), message


def test_files_and_folders_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "a" / "b" / "events.sqlite3"
        with open_store(path) as store:
            store.append(ev(0))
            sidecars = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [path, *sidecars]}
        assert set(modes.values()) == {0o600}, modes
        for folder in (tmp_path / "a", tmp_path / "a" / "b"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert os.umask(0o022) == 0o022  # opening restored the caller's umask
    finally:
        os.umask(old)


def test_a_full_disk_is_one_clear_error_and_the_log_stays_usable(db):
    with open_store(db) as store:
        store.append(ev(0))
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match="full; free some space"):
            store.merge(ev(i, detail="y" * 4000) for i in range(1, 50))
        store._conn.execute("PRAGMA max_page_count = 1000000")
        store.append(ev(99))
        assert store.count() == 2


# --- other processes -----------------------------------------------------------------------------

WRITER = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.storage.store import EventStore
store, _ = EventStore.open(Path(sys.argv[1]))
print("ready", flush=True)
while True:
    e = Event.new(datetime.now(timezone.utc), BreakKind.STAND, Action.PROMPTED)
    store.append(e)
    print(e.id, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(3))
def test_kill_9_loses_no_acknowledged_event(db, trial):
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        acknowledged = [proc.stdout.readline() for _ in range(random.randint(1, 300))]
        threading.Event().wait(random.uniform(0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        acknowledged += proc.stdout.read().splitlines(keepends=True)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    ids = [line.strip() for line in acknowledged if line.endswith("\n")]
    assert ids
    with open_store(db) as store:
        logged = {e.id for e in store.events()}
    assert set(ids) <= logged


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@pytest.mark.slow
def test_a_write_lock_held_by_another_process_gives_store_locked(db):
    store = open_store(db, busy_timeout_ms=200)
    store.append(ev(0))
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        assert proc.stdout.readline() == "locked\n"
        with pytest.raises(StoreLocked, match="locked by another process"):
            store.append(ev(1))
        with pytest.raises(StoreLocked):
            store.merge([ev(2)])
        # Readers are not blocked, and a second store (the CLI) still opens.
        assert store.count() == 1
        with open_store(db, busy_timeout_ms=200) as reader:
            assert reader.count() == 1
        proc.stdin.write("\n")
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    store.append(ev(3))
    assert store.count() == 2
    store.close()
