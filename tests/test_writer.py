"""The log writer and its spool on real files: a real lock, a torn line, a crash mid-merge."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.effects import Notify
from posturebreak.private import UnsafePathError
from posturebreak.storage.durability import Durability, Problem
from posturebreak.storage.spool import RESERVE_BYTES, Spool, read_pending
from posturebreak.storage.store import EventStore
from posturebreak.storage.writer import NOTICE_EVERY_S, LogWriter
from tests.fakes import FakeClock
from tests.sim import at


def answers(n: int, start: int = 0) -> list[Event]:
    t0 = at("2026-11-23 09:00:00")
    kinds = list(BreakKind)
    return [
        Event.new(t0 + timedelta(minutes=i), kinds[i % 3], Action.SKIPPED)
        for i in range(start, start + n)
    ]


class Rig:
    """A writer over a real log and spool in ``home``, with the notices it gave."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.db = home / "events.sqlite3"
        self.clock = FakeClock(at("2026-11-23 09:00:00"))
        self.notes: list[Notify] = []
        self.writer = self.open()

    def open(self) -> LogWriter:
        store, _ = EventStore.open(self.db)
        return LogWriter(
            store, Spool.open(self.home / "events.spool"), self.clock, tell=self.notes.append
        )

    def logged(self) -> list[Event]:
        with EventStore.open(self.db)[0] as store:
            return store.events()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.writer.close()


@pytest.fixture
def held(rig: Rig) -> Iterator[sqlite3.Connection]:
    """Another program holding the log's write lock (a second connection, as sqlite3 would)."""
    other = sqlite3.connect(rig.db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    if other.in_transaction:
        other.rollback()
    other.close()


def test_a_healthy_log_takes_the_write_at_once(rig: Rig) -> None:
    events = answers(3)
    assert rig.writer.write_now(events).where is Durability.LOGGED
    assert rig.logged() == events
    assert read_pending(rig.home / "events.spool") == []
    assert rig.notes == []


def test_a_locked_log_spools_then_merges_in_order_once(rig: Rig, held: sqlite3.Connection) -> None:
    first, second = answers(2), answers(2, start=2)
    saved = rig.writer.write_now(first)
    assert (saved.where, saved.problem) == (Durability.SPOOLED, Problem.LOCKED)
    assert rig.writer.write_now(second).where is Durability.SPOOLED
    assert read_pending(rig.home / "events.spool") == first + second  # fsynced, in order
    (note,) = rig.notes  # one notice, naming the real cause and what to do
    assert note.message.startswith("Another program is holding the event log")
    assert "close the other program" in note.message
    held.rollback()
    third = answers(1, start=4)
    # Behind waiting answers a new one goes to the spool too: no lock wait on the reply path.
    assert rig.writer.write_now(third).where is Durability.SPOOLED
    assert rig.writer.recover().where is Durability.LOGGED  # the writer thread's retry
    logged = rig.logged()
    assert logged == first + second + third
    assert [e.seq for e in logged] == [1, 2, 3, 4, 5]
    assert read_pending(rig.home / "events.spool") == []
    assert rig.notes[-1].title == "posturebreak saved your waiting answers"


def test_a_spool_left_by_a_quit_while_locked_is_merged_at_the_next_start(
    rig: Rig, held: sqlite3.Connection
) -> None:
    events = answers(4)
    rig.writer.write_now(events)
    assert rig.writer.close() == []  # nothing only in memory: all of it is in the spool
    held.rollback()
    rig.writer = rig.open()
    assert rig.writer.pending() == events
    assert rig.writer.recover().where is Durability.LOGGED
    assert rig.logged() == events


def test_a_crash_between_the_merge_and_emptying_the_spool_adds_nothing_twice(rig: Rig) -> None:
    events = answers(3)
    with EventStore.open(rig.db)[0] as store:
        store.write(events)  # what the merge committed...
    spool = Spool.open(rig.home / "events.spool")
    spool.append(events)  # ...while the spool still held it when the process died
    spool.close()
    rig.writer.close()
    rig.writer = rig.open()
    rig.writer.recover()
    assert rig.logged() == events  # exactly once


def test_the_notice_is_repeated_at_most_hourly(rig: Rig, held: sqlite3.Connection) -> None:
    for minute in range(0, 130, 10):
        rig.clock.mono = 1000.0 + minute * 60
        rig.writer.write_now(answers(1, start=minute))
    assert len(rig.notes) == 3  # at 0, 60 and 120 minutes of trouble
    assert NOTICE_EVERY_S == 3600.0


def test_the_writer_thread_acknowledges_after_the_write(rig: Rig, held: sqlite3.Connection) -> None:
    rig.writer.start()
    outcomes = []
    rig.writer.submit(answers(1), outcomes.append)
    rig.writer.submit([], outcomes.append)
    for _ in range(500):  # the writer thread answers while the lock is still held
        if len(outcomes) == 2:
            break
        threading.Event().wait(0.01)
    held.rollback()
    rig.writer.close()
    assert [o.where for o in outcomes] == [Durability.SPOOLED, Durability.SPOOLED]
    assert len(rig.logged()) == 1  # the last try at quitting found the log free


def test_a_torn_last_line_is_left_out_and_the_next_line_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.spool"
    spool = Spool.open(path)
    kept = answers(2)
    spool.append(kept)
    spool.close()
    data = path.read_bytes().rstrip(b"\0")
    with path.open("r+b") as f:  # a crash in the middle of the next line's write
        f.seek(len(data))
        f.write(b'1234abcd {"id": "half')
    spool = Spool.open(path)
    assert spool.pending() == kept
    more = answers(1, start=2)
    spool.append(more)
    spool.close()
    assert read_pending(path) == kept + more


def test_the_spool_keeps_a_reserve_for_a_disk_that_fills_up(tmp_path: Path) -> None:
    path = tmp_path / "events.spool"
    spool = Spool.open(path)
    try:
        if hasattr(os, "posix_fallocate"):
            assert path.stat().st_blocks * 512 >= RESERVE_BYTES
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        spool.close()


def test_a_planted_link_at_the_spool_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.write_text("keep me")
    (tmp_path / "events.spool").symlink_to(target)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        Spool.open(tmp_path / "events.spool")
    assert target.read_text() == "keep me"


def test_a_spool_deleted_while_open_is_written_again_with_what_waits(tmp_path: Path) -> None:
    path = tmp_path / "events.spool"
    spool = Spool.open(path)
    first = answers(2)
    spool.append(first)
    path.unlink()  # a clean-up tool, a user: the open file is gone from the folder
    more = answers(1, start=2)
    spool.append(more)
    spool.close()
    assert read_pending(path) == first + more  # nothing acknowledged went into the lost file
