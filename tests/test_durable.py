"""Nothing acknowledged is lost: the real app, the installed CLI, a real lock and a full disk.

Each scenario runs the installed ``posturebreak`` in a subprocess as a user would, while the
log is held by a second real process or sits on a tiny tmpfs that fills up, then quits while
the trouble lasts and starts again: every answer the CLI acknowledged is in the log, once, in
the order it was given, and every reply said what really happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from posturebreak.core.domain import Action
from posturebreak.storage.spool import read_pending
from posturebreak.storage.store import EventStore
from tests.configs import local_noon_tz
from tests.installed import SCRIPT

# Reminders far off (only the answers below write), every hour a working hour, and no idle
# probe: nothing but a real suspend could make an absence, and none happens here.
CALM = """\
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[idle]
probe = "none"
[breaks.stand]
duration = "1s"
"""
# What each command logs, and the reply the CLI must print for it whatever the log's state.
ANSWERS = (
    (("skip",), Action.SKIPPED, "Skipped."),
    (("pause", "30m"), Action.PAUSED, "Reminders paused."),
    (("resume",), Action.RESUMED, "Reminders resumed."),
    (("break", "stand"), Action.STARTED, "Stand break started."),
)
GIVEN = {action for _, action, _ in ANSWERS}


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(POSTUREBREAK_HOME=str(home), PYTHONUNBUFFERED="1", TZ=local_noon_tz())
    return env


def cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def app(home: Path) -> Iterator[subprocess.Popen[str]]:
    """The installed app in the console front end, up and answering; stopped by PID after."""
    proc = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        env=env_for(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while cli(home, "status").returncode != 0:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the app never answered"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def quit_app(home: Path, proc: subprocess.Popen[str]) -> tuple[str, str]:
    done = cli(home, "quit")
    assert done.returncode == 0, done.stderr
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "Traceback" not in err
    return out, err


def give_answers(home: Path) -> list[Action]:
    """Each answer through the CLI; each reply is the usual one and says it was done."""
    given = []
    for argv, action, reply in ANSWERS:
        done = cli(home, *argv)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{reply}\n"  # the spool made it durable: nothing to add
        given.append(action)
    time.sleep(1.5)  # the stand break ends by itself (its "completed" goes to the log too)
    return given


def answered(home: Path) -> list[Action]:
    with EventStore.open(home / "events.sqlite3")[0] as store:
        events = store.events()
    assert len({e.id for e in events}) == len(events), "an event reached the log twice"
    assert not [e for e in events if e.action is Action.NATURAL], "a stall became a break"
    return [e.action for e in events if e.action in GIVEN]


def test_answers_while_another_program_holds_the_log_survive_a_quit(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CALM)
    db = tmp_path / "events.sqlite3"
    holder = None
    try:
        with app(tmp_path) as proc:
            holder = subprocess.Popen(  # the other program: a write lock held for 30 s and more
                [
                    sys.executable,
                    "-c",
                    (
                        "import sqlite3, sys, time\n"
                        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                        "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(60)\n"
                    ),
                    str(db),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert holder.stdout is not None
            assert holder.stdout.readline() == "held\n"
            held_from = time.monotonic()
            given: list[Action] = []
            while time.monotonic() - held_from < 30:  # answers keep arriving for 30 s
                given += give_answers(tmp_path)
                time.sleep(6)  # the writer offers the spool to the log again meanwhile
            out, _ = quit_app(tmp_path, proc)  # quit while the log is still locked
        spooled = read_pending(tmp_path / "events.spool")
        assert [e.action for e in spooled if e.action in GIVEN] == given
        # One notice, naming the real cause and what to do.
        assert out.count("Another program is holding the event log") == 1, out
        assert "close the other program" in out
        assert "Free some disk space" not in out
        shown = cli(tmp_path, "log")  # the log as the person reads it: spooled answers too
        assert shown.returncode == 0, shown.stderr
        assert "wait in" in shown.stderr
        assert "events.spool" in shown.stderr
        assert shown.stdout.count(" paused ") == given.count(Action.PAUSED)
        with app(tmp_path) as proc:  # a start while still locked keeps the spool as it is
            quit_app(tmp_path, proc)
        assert [e.id for e in read_pending(tmp_path / "events.spool")][: len(spooled)] == [
            e.id for e in spooled
        ]
        assert holder.poll() is None, "the lock ended early: nothing was proven"
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    with app(tmp_path) as proc:  # the lock is gone: the next start merges the spool
        quit_app(tmp_path, proc)
    assert answered(tmp_path) == given
    assert read_pending(tmp_path / "events.spool") == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs (root only: CI runs as root)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full disk needs a tmpfs, which only root can mount")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as f:
        while True:
            f.write(b"\0" * 4096)
            f.flush()
    return filler


def test_answers_on_a_full_disk_survive_a_quit_and_reach_the_log_once_freed(
    tiny_disk: Path,
) -> None:
    home = tiny_disk
    (home / "config.toml").write_text(CALM)
    with app(home) as proc:
        filler = fill(home)
        given = give_answers(home) + give_answers(home)
        out, _ = quit_app(home, proc)  # quit with the disk still full
    assert out.count("The disk holding the event log") == 1, out
    assert "free some disk space" in out
    spooled = [e.action for e in read_pending(home / "events.spool")]
    assert [a for a in spooled if a in GIVEN] == given
    filler.unlink()
    with app(home) as proc:
        quit_app(home, proc)
    assert answered(home) == given
    assert read_pending(home / "events.spool") == []


def test_space_freed_while_running_moves_the_spool_into_the_log(tiny_disk: Path) -> None:
    home = tiny_disk
    (home / "config.toml").write_text(CALM)
    with app(home) as proc:
        filler = fill(home)
        given = give_answers(home)
        filler.unlink()
        deadline = time.monotonic() + 20  # the writer retries every few seconds
        while read_pending(home / "events.spool") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert read_pending(home / "events.spool") == []
        out, _ = quit_app(home, proc)
    assert "that waited in events.spool are in the log now" in out
    assert answered(home) == given


def test_a_disk_with_no_room_even_for_the_spool_says_so_and_saves_once_there_is(
    tiny_disk: Path,
) -> None:
    from posturebreak.storage.durability import Durability
    from posturebreak.storage.spool import Spool
    from posturebreak.storage.writer import LogWriter
    from tests.fakes import FakeClock
    from tests.sim import at
    from tests.test_writer import answers

    store, _ = EventStore.open(tiny_disk / "events.sqlite3")
    first = answers(1)
    store.write(first)
    filler = fill(tiny_disk)  # full before the spool exists: it gets no reserve
    notes: list[object] = []
    spool = Spool.open(tiny_disk / "events.spool")
    writer = LogWriter(store, spool, FakeClock(at("2026-11-23")), tell=notes.append)
    try:
        lost = answers(2, start=1)
        saved = writer.write_now(lost)
        assert saved.where is Durability.UNSAVED
        assert not saved.durable
        assert "is full, and so is" in saved.detail
        (note,) = notes
        assert "2 answer(s) are only in memory" in str(note)
        filler.unlink()
        assert writer.write_now([]).where is Durability.LOGGED
    finally:
        assert writer.close() == []
    with EventStore.open(tiny_disk / "events.sqlite3")[0] as again:
        assert again.events() == first + lost
