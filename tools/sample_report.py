"""Draw the README's sample charts, docs/report-week.png and docs/report-month.png.

Run from the repository root after changing the report:

    .venv/bin/python tools/sample_report.py [--out docs]

A made-up but realistic person (seeded, so every run draws the same pictures): 16 weeks of
office days in Berlin, a break offered every 22 minutes or so, mostly taken, some snoozed,
skipped or missed, away from the desk now and then (natural breaks), a pause on some
afternoons, a walking plan growing as the weeks go well. The events go into a real log through
``EventStore`` (so they are numbered as the app numbers them) and the charts come from the same
``build_report`` as ``posturebreak report``, as they stood on Friday 20 November 2026, 18:00.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from posturebreak.cli.insight import build_report  # noqa: E402  (same reason)
from posturebreak.core import walkplan  # noqa: E402  (same reason)
from posturebreak.core.domain import Action, BreakKind, Event  # noqa: E402  (same reason)
from posturebreak.core.insight import Period, period_bounds  # noqa: E402  (same reason)
from posturebreak.core.settings import Settings  # noqa: E402  (same reason)
from posturebreak.frontends import report  # noqa: E402  (after the path fix, so the script runs from a checkout)
from posturebreak.storage.store import EventStore  # noqa: E402  (same reason)

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=TZ)
WEEKS = 16
SEED = 7
SECONDS = {BreakKind.STAND: 60.0, BreakKind.STRETCH: 180.0}


class Person:
    """Writes one day's events the way the policy logs them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: list[Event] = []

    def add(
        self,
        at: datetime,
        kind: BreakKind | None,
        action: Action,
        dur: float | None = None,
        detail: str = "",
    ) -> None:
        detail = detail or {Action.NATURAL: "away", Action.MISSED: "no answer"}.get(action, "")
        self.events.append(Event.new(at, kind, action, dur, detail))

    def offer(self, t: datetime, kind: BreakKind, walk_s: float, keen: float) -> None:
        """One offered break: the prompt, maybe snoozes, then exactly one outcome."""
        rng = self.rng
        seconds = walk_s if kind is BreakKind.WALK else SECONDS[kind]
        self.add(t, kind, Action.PROMPTED)
        meeting = t.weekday() == 1 and t.hour == 10  # the Tuesday stand-up: put off, mostly
        snoozes = 0
        while snoozes < 3 and rng.random() < (0.5 if meeting else 0.18):
            snoozes += 1
            self.add(t + timedelta(seconds=20), kind, Action.SNOOZED, 300.0)
            t += timedelta(minutes=5, seconds=20)
            self.add(t, kind, Action.PROMPTED, detail=f"snoozed {snoozes}x")
        # Skipped and missed shrink as the person gets keener; in the meeting they dominate.
        put_off = 0.9 if meeting else 0.2 * (1.0 - keen) * (0.5 if kind is BreakKind.WALK else 1.0)
        r = rng.random()
        answer = t + timedelta(seconds=rng.randint(5, 90))
        if r < put_off * 0.65:
            self.add(answer, kind, Action.SKIPPED)
        elif r < put_off:
            self.add(t + timedelta(minutes=5), kind, Action.MISSED)
        elif r < put_off + 0.1:
            self.add(answer, kind, Action.NATURAL, float(rng.randint(240, 1200)))
        elif r < put_off + 0.14:
            self.add(answer, kind, Action.STARTED, seconds)
            self.add(answer + timedelta(seconds=seconds / 2), kind, Action.ENDED_EARLY, seconds / 2)
        else:
            self.add(answer, kind, Action.STARTED, seconds)
            self.add(answer + timedelta(seconds=seconds), kind, Action.COMPLETED, seconds)

    def workday(self, day: date, week: int, walk_s: float) -> None:
        """09:00-12:30 and 13:30-17:30 at the desk, with a few spells away."""
        rng = self.rng
        # People get better at it for a while, and some weeks are simply worse.
        keen = min(0.6, week * 0.05) * rng.choice((1.0, 1.0, 1.0, 0.3))
        slot = 0
        for start, end in ((9.0, 12.5), (13.5, 17.5)):
            midnight = datetime(day.year, day.month, day.day, tzinfo=TZ)
            t = midnight + timedelta(hours=start, minutes=22)
            stop = midnight + timedelta(hours=end)
            while t < stop:
                slot += 1
                kind = (
                    BreakKind.WALK
                    if slot % 4 == 0
                    else BreakKind.STRETCH
                    if slot % 2 == 0
                    else BreakKind.STAND
                )
                self.offer(t, kind, walk_s, keen)
                t += timedelta(minutes=22 * rng.uniform(0.8, 1.2))
            if rng.random() < 0.8:  # coffee, a colleague's desk: away from the keyboard
                away = stop - timedelta(minutes=rng.randint(30, 150))
                for _ in range(rng.randint(1, 3)):
                    minutes = float(rng.randint(4, 12) * 60)
                    self.add(away, BreakKind.STAND, Action.NATURAL, minutes)
                    away -= timedelta(minutes=rng.randint(20, 60))
        if rng.random() < 0.1:
            pause = datetime(day.year, day.month, day.day, 15, tzinfo=TZ)
            self.add(pause, None, Action.PAUSED, 3600.0)
            self.add(pause + timedelta(hours=1), None, Action.RESUMED)


def sample_events() -> list[Event]:
    """The person's log from 16 weeks before the week of ``NOW`` up to ``NOW``, in time order."""
    person = Person(random.Random(SEED))  # noqa: S311  repeatable sample data, not a secret
    settings = Settings()
    today = NOW.date()
    first = today - timedelta(weeks=WEEKS, days=today.weekday())
    walk_s = 0.0
    for n in range((today - first).days + 1):
        day = first + timedelta(days=n)
        if day.weekday() == 0:  # the walk is as long as the walking plan says this week
            monday = datetime(day.year, day.month, day.day, tzinfo=TZ)
            plan = walkplan.current_target(settings, person.events, monday, TZ)
            walk_s = plan.target.total_seconds()
        if day.weekday() < 5:
            person.workday(day, n // 7, walk_s)
    return sorted((e for e in person.events if e.at <= NOW), key=lambda e: e.at)


def draw(out_dir: Path) -> list[Path]:
    """Write both charts into ``out_dir``; the paths written."""
    os.environ["TZ"] = "Europe/Berlin"  # the report reads local days from the process zone
    time.tzset()
    settings = Settings()
    written = []
    with tempfile.TemporaryDirectory() as home:
        store, _ = EventStore.open(Path(home) / "events.sqlite3")
        with store:
            store.merge(sample_events())
            for period in (Period.WEEK, Period.MONTH):
                start, end = period_bounds(period, NOW.date(), None)
                data = build_report(
                    store, settings=settings, period=period, start=start, end=end, now=NOW
                )
                path = out_dir / f"report-{period.value}.png"
                report.save(data, str(path))
                written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = parser.parse_args()
    for path in draw(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
