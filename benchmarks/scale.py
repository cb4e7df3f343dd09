"""Scale check: a 1,000,000-event log, and how long stats and the report take on it.

Usage:
    python benchmarks/scale.py [--events 1000000] [--dir DIR]
    python benchmarks/scale.py --sample-charts docs/   # the sample charts in docs/

Generates a realistic mix (prompts, snoozes, breaks taken, skipped, missed, natural breaks,
deferrals, pauses) over ~10 years of working days into a log created by ``EventStore.open``
(executemany in one transaction), then times, in-process through the real code paths,
``stats --week``, ``stats`` for a whole year and ``report --month``, each next to the raw SQL
``SELECT kind, action, count(*) ... GROUP BY`` over the same span, and prints the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posturebreak.cli.main import main
from posturebreak.storage.store import EventStore

TZ = ZoneInfo("Europe/Berlin")
KIND_SECONDS = {"stand": 60.0, "stretch": 180.0, "walk": 300.0}
Row = tuple[str, str, str | None, str, float | None, str]


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311  synthetic, repeatable data; no secrets here


def _at(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _episode(
    rng: random.Random, t: datetime, kind: str, rows: list[Row], *, walk_s: float, keen: float
) -> None:
    """One offered break: prompt, maybe snoozes, one outcome (as the policy logs them)."""

    def add(
        at: datetime, k: str | None, action: str, dur: float | None = None, det: str = ""
    ) -> None:
        rows.append(
            (str(uuid.UUID(int=rng.getrandbits(128), version=4)), _at(at), k, action, dur, det)
        )

    seconds = walk_s if kind == "walk" else KIND_SECONDS[kind]
    if rng.random() < 0.05:
        add(t, kind, "deferred", None, "fullscreen")
        t += timedelta(minutes=rng.randint(3, 20))
    add(t, kind, "prompted")
    meeting = t.astimezone(TZ).weekday() == 1 and t.astimezone(TZ).hour == 10
    snoozes = 0
    while snoozes < 3 and rng.random() < (0.5 if meeting else 0.18):
        snoozes += 1
        add(t + timedelta(seconds=20), kind, "snoozed", 300.0)
        t += timedelta(minutes=5, seconds=20)
        add(t, kind, "prompted", None, f"snoozed {snoozes}x")
    r = rng.random() * (1.0 - keen) if not meeting else 0.9
    answer = t + timedelta(seconds=rng.randint(5, 90))
    if r < 0.66:
        add(answer, kind, "started", seconds)
        add(answer + timedelta(seconds=seconds), kind, "completed", seconds)
    elif r < 0.74:
        add(answer, kind, "natural", float(rng.randint(240, 1500)), "away")
    elif r < 0.90:
        add(answer, kind, "skipped")
    elif r < 0.96:
        add(t + timedelta(minutes=5), kind, "missed", None, "no answer")
    else:
        add(answer, kind, "started", seconds)
        add(answer + timedelta(seconds=seconds / 2), kind, "ended_early", seconds / 2)


def generate_rows(rng: random.Random, first: date, days: int, every_min: float) -> list[Row]:
    """Working days from ``first``: an offered break every ``every_min`` minutes, plus absences."""
    rows: list[Row] = []
    for n in range(days):
        day = first + timedelta(days=n)
        if day.weekday() >= 5:
            continue
        week = n // 7
        walk_s = 60.0 * min(15, 5 + week // 2)
        # People get better at it for a while, and some weeks are simply worse.
        keen = min(0.35, week * 0.03) * rng.choice((1.0, 1.0, 1.0, 0.3))
        slot = 0
        for start, end in ((9, 12.5), (13.5, 17.5)):
            t = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(hours=start)
            stop = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(hours=end)
            t += timedelta(minutes=every_min)
            while t < stop:
                slot += 1
                kind = "walk" if slot % 4 == 0 else "stretch" if slot % 2 == 0 else "stand"
                _episode(rng, t, kind, rows, walk_s=walk_s, keen=keen)
                t += timedelta(minutes=every_min * rng.uniform(0.8, 1.2))
            if rng.random() < 0.8:  # coffee, a colleague's desk: away from the keyboard
                away = stop - timedelta(minutes=rng.randint(30, 150))
                for _ in range(rng.randint(1, 3)):
                    dur = float(rng.randint(4, 16) * 60)
                    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    rows.append((uid, _at(away), "stand", "natural", dur, "away"))
                    away -= timedelta(minutes=rng.randint(20, 60))
        if rng.random() < 0.1:
            t = datetime(day.year, day.month, day.day, 15, tzinfo=TZ)
            for action, det in (("paused", "1h"), ("resumed", "pause ended")):
                uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                rows.append(
                    (uid, _at(t), None, action, 3600.0 if action == "paused" else None, det)
                )
                t += timedelta(hours=1)
    return rows


def write_log(db: Path, rows: list[Row]) -> None:
    """Create the log through ``EventStore.open`` (schema, indexes), then bulk insert."""
    store, _ = EventStore.open(db)
    store.close()
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT OR IGNORE INTO events (id, at, kind, action, duration_s, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("UPDATE events SET seq = rowid")  # append order, as migration 5 numbers
    conn.close()


def _time(fn: object, *args: object) -> float:
    t0 = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - t0


def _cli(*argv: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    if code != 0:
        raise RuntimeError(f"posturebreak {' '.join(argv)} exited {code}")


def _raw(db: Path, since: datetime, until: datetime) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "SELECT kind, action, count(*) FROM events WHERE at >= ? AND at < ? GROUP BY kind, action",
        (_at(since), _at(until)),
    ).fetchall()
    conn.close()


def benchmark(home: Path, target: int) -> None:
    os.environ["POSTUREBREAK_HOME"] = str(home)
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    db = home / "events.sqlite3"
    years = 10
    first = date(2016, 11, 28)
    days = 365 * years + 2
    per_day = target / (days * 5 / 7)
    every = 450 / (per_day / 3.3)  # ~3.3 log lines per offered break
    t0 = time.perf_counter()
    rows = generate_rows(_rng(5), first, days, every)
    t1 = time.perf_counter()
    write_log(db, rows)
    t2 = time.perf_counter()
    print(f"generated {len(rows):,} events in {t1 - t0:.1f} s, wrote them in {t2 - t1:.1f} s")
    print(f"log file: {db} ({db.stat().st_size / 1e6:.0f} MB)")
    last = first + timedelta(days=days - 1)
    week = last - timedelta(days=last.weekday() + 7)
    month = last.replace(day=1) - timedelta(days=1)
    year_from, year_to = date(last.year - 1, 1, 1), date(last.year - 1, 12, 31)

    def local(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=TZ)

    cases = [
        (
            "stats --week",
            ("stats", "--since", str(week), "--until", str(week + timedelta(days=6))),
            (local(week), local(week + timedelta(days=7))),
        ),
        (
            f"stats (year {year_from.year})",
            ("stats", "--since", str(year_from), "--until", str(year_to)),
            (local(year_from), local(year_to + timedelta(days=1))),
        ),
        (
            "report --month",
            ("report", "--month", "--date", str(month), "--out", str(home / "month.png")),
            (local(month.replace(day=1)), local(month + timedelta(days=1))),
        ),
    ]
    print(f"{'command':<22}{'ours':>10}{'raw SQL':>10}{'ratio':>8}")
    for name, argv, span in cases:
        _cli(*argv)  # warm the page cache, as a second run by a person would find it
        ours = min(_time(_cli, *argv) for _ in range(3))
        raw = min(_time(_raw, db, *span) for _ in range(3))
        print(f"{name:<22}{ours * 1000:>8.0f}ms{raw * 1000:>8.1f}ms{ours / raw:>7.0f}x")


def sample_charts(out_dir: Path) -> None:
    """A realistic 16-week log for one person, and its week and month charts."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["POSTUREBREAK_HOME"] = home
        os.environ["TZ"] = "Europe/Berlin"
        time.tzset()
        today = datetime.now(TZ).date()
        first = today - timedelta(weeks=16, days=today.weekday())
        rows = generate_rows(_rng(7), first, (today - first).days, 22.0)
        write_log(Path(home) / "events.sqlite3", rows)
        for period in ("week", "month"):
            out = out_dir / f"report-{period}.png"
            _cli("report", f"--{period}", "--out", str(out))
            print(f"wrote {out}")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, help="keep the log here (default: a temp dir)")
    parser.add_argument("--sample-charts", type=Path, metavar="DIR")
    args = parser.parse_args()
    if args.sample_charts:
        sample_charts(args.sample_charts)
        return
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        benchmark(args.dir, args.events)
        return
    with tempfile.TemporaryDirectory() as home:
        benchmark(Path(home), args.events)


if __name__ == "__main__":
    run()
