"""The tray's words: coarse enough to change at most once a minute, and never stale."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from posturebreak.core.domain import BreakKind, Mode
from posturebreak.core.effects import StatusView
from posturebreak.core.status_text import clock_time, countdown
from posturebreak.frontends.desktop.textclock import TextClock

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # a Tuesday


@pytest.fixture(autouse=True)
def _berlin(monkeypatch):
    # Local time is the process's zone: pin it so "today" and weekday names are known.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def working(left: timedelta, kind: BreakKind = BreakKind.STAND) -> StatusView:
    return StatusView(mode=Mode.WORKING, now=NOW, next_kind=kind, next_at=NOW + left)


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(seconds=0), "under a minute"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(seconds=60), "under a minute"),
        (timedelta(seconds=61), "2 min"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(minutes=11, seconds=30), "12 min"),
        (timedelta(minutes=60), "1 h"),
        (timedelta(minutes=65), "1 h 05 min"),
        (timedelta(hours=9, minutes=59, seconds=1), "10 h"),
        (timedelta(hours=30), "30 h"),
        (timedelta(hours=159, minutes=1), "160 h"),
    ],
)
def test_countdown_words(left, text):
    assert countdown(left) == text


def test_headline_never_shows_seconds():
    assert working(timedelta(seconds=32)).headline() == "Stand in under a minute"
    assert working(timedelta(minutes=12)).headline() == "Stand in 12 min"


def test_a_time_on_another_day_names_the_day():
    paused = StatusView(mode=Mode.PAUSED, now=NOW, paused_until=NOW + timedelta(hours=99))
    assert paused.headline() == "Paused until Sat 14:00"
    soon = StatusView(mode=Mode.PAUSED, now=NOW, paused_until=NOW + timedelta(hours=3))
    assert soon.headline() == "Paused until 14:00"
    assert clock_time(NOW + timedelta(days=1), NOW) == "Wed 11:00"


def test_next_change_is_the_next_minute_boundary():
    view = working(timedelta(minutes=12, seconds=20))  # "13 min"
    at = view.next_change()
    assert at == NOW + timedelta(seconds=20)
    assert replace(view, now=at).headline() == "Stand in 12 min"
    just_before = replace(view, now=at - timedelta(milliseconds=1))
    assert just_before.headline() == view.headline()


def test_far_countdowns_change_once_an_hour():
    view = working(timedelta(hours=159, minutes=30))
    at = view.next_change()
    assert at == NOW + timedelta(minutes=30)
    assert replace(view, now=at).headline() == "Stand in 159 h"


def test_a_day_name_drops_at_midnight():
    evening = datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc)  # 23:00 in Berlin
    view = StatusView(mode=Mode.PAUSED, now=evening, paused_until=evening + timedelta(hours=10))
    assert view.headline() == "Paused until Wed 09:00"
    at = view.next_change()
    assert at == datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)
    assert replace(view, now=at).headline() == "Paused until 09:00"


@settings(max_examples=200, deadline=None)
@example(left_s=60.0, mode=Mode.WORKING)  # "1 min" once held for exactly one instant
@example(left_s=36000.0, mode=Mode.WORKING)
@given(
    left_s=st.floats(min_value=0, max_value=7 * 24 * 3600),
    mode=st.sampled_from([Mode.WORKING, Mode.SNOOZED, Mode.ON_BREAK]),
)
def test_text_changes_at_most_once_a_minute_and_next_change_is_exact(left_s, mode):
    view = StatusView(
        mode=mode,
        now=NOW,
        next_kind=BreakKind.WALK,
        active_kind=BreakKind.WALK,
        next_at=NOW + timedelta(seconds=left_s),
    )
    at = view.next_change()
    if at is None:
        return
    assert at > NOW
    # Nothing differs before the announced instant; from then on it does.
    for probe in (NOW + (at - NOW) / 3, NOW + (at - NOW) * 0.999):
        assert replace(view, now=probe).headline() == view.headline()
    assert replace(view, now=at).headline() != view.headline()
    # And the following change is at least a minute later (or the countdown ran out).
    later = replace(view, now=at).next_change()
    if later is not None and view.next_at is not None and later < view.next_at:
        assert later - at >= timedelta(minutes=1)


def test_text_clock_redraws_when_the_words_change():
    """A frozen view is shown again, as of its change instant, with no engine step."""
    start = time.monotonic()
    # A wall clock 0.3 s before the countdown reaches 12 min.
    base = NOW

    def now() -> datetime:
        return base + timedelta(seconds=time.monotonic() - start)

    view = StatusView(
        mode=Mode.WORKING,
        now=base,
        next_kind=BreakKind.STAND,
        next_at=base + timedelta(minutes=12, seconds=0.3),
    )
    shown: list[str] = []
    got = threading.Event()

    def show(v: StatusView) -> None:
        shown.append(v.headline())
        got.set()

    clock = TextClock(show, now)
    try:
        assert view.headline() == "Stand in 13 min"
        clock.follow(view)
        assert got.wait(3.0), "the tray text was never redrawn"
        assert shown == ["Stand in 12 min"]
        assert time.monotonic() - start >= 0.29
    finally:
        clock.stop()


def test_text_clock_follows_the_latest_view_only():
    start = time.monotonic()

    def now() -> datetime:
        return NOW + timedelta(seconds=time.monotonic() - start)

    shown: list[str] = []
    clock = TextClock(lambda v: shown.append(v.headline()), now)
    try:
        clock.follow(working(timedelta(minutes=5, seconds=0.2)))
        # The engine sends a new view before the first change: the old one must not be drawn.
        clock.follow(StatusView(mode=Mode.PAUSED, now=NOW, paused_until=NOW + timedelta(hours=2)))
        time.sleep(0.6)
        assert shown == []
    finally:
        clock.stop()
