"""``import`` of hostile files: one line on stderr, exit 2, and the log exactly as it was."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.cli import main as cli
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.storage import eventio
from posturebreak.storage.store import EventStore
from tests.installed import SCRIPT, env_for

T0 = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
ID = "0b6f1a4e-6c1e-4d4e-9c39-8f5f0d3c1a01"


def record(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": ID,
        "at": "2026-11-21T09:30:00.000000+00:00",
        "kind": "walk",
        "action": "completed",
        "duration_s": 300.0,
        "detail": "",
        "seq": 1,
    }
    return {**base, **changes}


def raw(key: str, literal: str) -> str:
    """One record whose ``key`` holds ``literal`` exactly as written (not valid Python JSON)."""
    return one(**{key: "@"}).replace('"@"', literal, 1)


def one(**changes: object) -> str:
    return json.dumps([record(**changes)])


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "data"))
    store, _ = EventStore.open(tmp_path / "data" / "posturebreak.db")
    with store:
        store.append(
            Event(
                "11111111-1111-4111-8111-111111111111",
                T0,
                BreakKind.STAND,
                Action.COMPLETED,
                60.0,
                "here",
            )
        )
    return tmp_path


def log_json(capsys) -> str:
    capsys.readouterr()
    assert cli.main(["log", "--json"]) == 0
    return capsys.readouterr().out


HOSTILE = {
    "nested": ("[" * 100_000 + "]" * 100_000, "record 1: expected an object"),
    "nested_record": ('[{"id": ' + "[" * 100_000 + "]" * 100_000 + "}]", "nested more than"),
    "float_500_digits": (raw("duration_s", "1" * 500 + ".5"), "characters long"),
    "int_500_digits": (raw("duration_s", "9" * 500), "more than 19 digits"),
    "int_5000_digits": (raw("seq", "7" * 5000), "more than 19 digits"),
    "nan": (raw("duration_s", "NaN"), "NaN is not a number"),
    "infinity": (raw("duration_s", "-Infinity"), "Infinity is not a number"),
    "huge_exponent": (raw("duration_s", "1e400"), "non-negative number"),
    "over_a_day": (one(duration_s=86_401.0), "more than a day"),
    "negative": (one(duration_s=-1.0), "non-negative"),
    "kind_5": (one(kind=5), "record 1: unknown kind 5"),
    "action_dance": (one(action="dance"), "record 1: unknown action 'dance'"),
    "at_yesterday": (one(at="yesterday"), "record 1: 'at' is not an ISO-8601 time"),
    "id_int": (one(id=7), "record 1: 'id' must be a string"),
    "detail_list": (one(detail=["x"]), "record 1: 'detail' must be a string"),
    "seq_text": (one(seq="3"), "record 1: 'seq' must be a whole number"),
    "duplicate_ids": (
        json.dumps([record(), record(id="22222222-2222-4222-8222-222222222222"), record()]),
        f"the file lists event {ID} twice (records 1 and 3)",
    ),
    "duplicate_ids_csv": (
        eventio.to_csv([Event(ID, T0, None, Action.PAUSED)] * 2),
        f"the file lists event {ID} twice (lines 2 and 3)",
    ),
    "future_version": (
        json.dumps([record(v=3, mood="sunny")]),
        (
            "this file was written by a newer posturebreak (format 3; this one reads up to 2):"
            " update posturebreak"
        ),
    ),
    "future_version_csv": (
        "id,at,kind,action,duration_s,detail,seq,v,mood\n" + f"{ID},2026,,,,,,3,ok\n",
        "(format 3; this one reads up to 2): update posturebreak",
    ),
    "truncated": (json.dumps([record(), record(id=ID.replace("0", "1"))])[:-40], "cut off"),
    "truncated_after_comma": (json.dumps([record()])[:-1] + ", ", "cut off"),
    "empty": ("", "the file is empty"),
    "blank": ("  \n\n", "the file is empty"),
    "long_line": ("x" * 1_000_000, "longer than 64 KiB"),
    "huge_record": ("[" + one(detail="y" * 200_000)[1:], "longer than 64 KiB"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_one_line_exit_2_and_the_log_is_unchanged(home, capsys, name):
    content, needle = HOSTILE[name]
    bad = home / f"{name}.json"
    bad.write_text(content, encoding="utf-8")
    before = log_json(capsys)
    assert cli.main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert needle in err
    assert err.rstrip().endswith("nothing was imported")
    assert "Traceback" not in err
    assert log_json(capsys) == before


def test_a_binary_file_is_refused_in_one_line(home, capsys):
    bad = home / "photo.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 400)
    before = log_json(capsys)
    assert cli.main(["import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "not UTF-8 text" in err
    assert log_json(capsys) == before


def test_a_good_export_still_imports_and_old_exports_without_a_version_too(home, capsys):
    good = home / "good.json"
    good.write_text(json.dumps([record(), record(id=ID.replace("0", "2"), v=2)]))
    assert cli.main(["import", str(good)]) == 0
    assert "Imported 2 new events from good.json." in capsys.readouterr().out


def test_the_installed_script_refuses_deep_nesting_in_one_line(tmp_path):
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100_000 + "]" * 100_000)
    env = env_for(tmp_path)
    run = subprocess.run(
        [str(SCRIPT), "import", str(bad)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1
    assert "record 1: expected an object" in run.stderr
    assert "Traceback" not in run.stderr
    logged = subprocess.run(
        [str(SCRIPT), "log", "--json"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(logged.stdout or "[]") == []


def _write_big_export(path: Path, count: int, *, bad_last: bool = False) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        for n in range(count):
            e = record(
                id=f"{n:08x}-0000-4000-8000-000000000000",
                at=(T0 + timedelta(seconds=n)).isoformat(),
                seq=n + 1,
            )
            if bad_last and n == count - 1:
                e["action"] = "dance"
            f.write(("" if n == 0 else ",\n") + json.dumps(e, indent=2))
        f.write("\n]\n")


def _peak_kib(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], int]:
    # VmHWM of the child, read by a wrapper just before it exits: ru_maxrss of children would
    # include every earlier subprocess of this test run.
    wrapper = (
        "import sys, runpy, atexit\n"
        "def peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM'): sys.stderr.write('PEAK ' + line.split()[1] + '\\n')\n"
        "atexit.register(peak)\n"
        "sys.argv = ['posturebreak', *sys.argv[1:]]\n"
        "from posturebreak.cli import main as cli\n"
        "code = cli.main(sys.argv[1:])\n"
        "peak(); atexit.unregister(peak); sys.exit(code)\n"
    )
    py = SCRIPT.with_name("python")
    run = subprocess.run(
        [str(py), "-c", wrapper, *args],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = run.stderr.splitlines()
    peak = int(next(x for x in lines if x.startswith("PEAK ")).split()[1])
    return run, peak


@pytest.mark.slow
def test_a_300_mb_export_imports_in_bounded_memory_and_a_bad_last_record_refuses_it(tmp_path):
    env = env_for(tmp_path)
    big = tmp_path / "big.json"
    _write_big_export(big, 1_650_000, bad_last=True)
    assert big.stat().st_size > 300_000_000
    run, peak = _peak_kib(["import", str(big)], env)
    assert run.returncode == 2, run.stderr
    assert "record 1650000: unknown action 'dance'" in run.stderr
    assert peak < 150 * 1024, f"peak {peak} KiB"
    _write_big_export(big, 400_000)
    run, peak = _peak_kib(["import", str(big)], env)
    assert run.returncode == 0, run.stderr
    assert "Imported 400000 new events" in run.stdout
    assert peak < 150 * 1024, f"peak {peak} KiB"
