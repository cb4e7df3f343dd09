"""The engine loop with recording fakes: messages in, effects carried out in order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

import pytest

from posturebreak.core.cards import remembered_exercises
from posturebreak.core.commands import Snooze, StartBreak, TakeBreak
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.effects import Notify
from posturebreak.core.exercises import ExerciseLibrary
from posturebreak.core.policy_state import Context
from posturebreak.core.settings import Settings
from posturebreak.engine import Engine
from posturebreak.messages import Do, Quit, Reply, Tell, Tick
from posturebreak.storage.durability import Durability, Problem, Saved
from tests.fakes import FakeClock, RecordingFront, RecordingStore, RecordingWakeup
from tests.sim import BERLIN, at


@pytest.fixture
def rig():
    clock = FakeClock(at("2026-11-23 09:29:00"))
    store, front, wake = RecordingStore(), RecordingFront(), RecordingWakeup()
    engine = Engine(
        Context(Settings(), BERLIN), clock, store, front, wake, library=ExerciseLibrary.load()
    )
    return engine, clock, store, front, wake


def run_until_idle(engine: Engine, *messages) -> None:
    for m in messages:
        engine.post(m)
    engine.run_pending()


def follow_wakeups(engine: Engine, clock: FakeClock, wake: RecordingWakeup, end) -> None:
    """Tick exactly when the engine asked to be woken, as the scheduler would."""
    run_until_idle(engine)
    while wake.armed and wake.armed[-1] <= end:
        clock.advance(wake.armed[-1] - clock.now())
        run_until_idle(engine, Tick())


def test_a_due_break_is_logged_shown_with_a_card_and_the_next_wakeup_armed(rig):
    engine, clock, store, front, wake = rig
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:59:00"))
    assert [n.message for n in front.named("notify")] == ["Stand in 30 s"]
    (prompt, card) = front.named("prompt")[0]
    assert prompt.kind is BreakKind.STAND
    assert card is not None
    assert BreakKind.STAND in card.kinds
    prompted = [e for e in store.events if e.action is Action.PROMPTED]
    assert prompted[0].detail == f"exercise={card.id}"
    assert wake.armed[-1] > clock.now()
    assert front.views[-1].prompted_today == 1


def test_control_requests_are_answered_from_the_engine_thread(rig):
    engine, _, store, _, _ = rig
    t = threading.Thread(target=engine.run)
    t.start()
    try:
        status = engine.handle_control({"cmd": "status", "args": {}})
        assert status["ok"] is True
        assert status["status"]["state"] == "working"
        bad = engine.handle_control({"cmd": "break", "args": {"kind": "nap"}})
        assert bad["ok"] is False
        assert "nap" in bad["error"]
        refused = engine.handle_control({"cmd": "snooze", "args": {}})
        assert refused == {"ok": False, "error": "Nothing to snooze: no break is due right now."}
        took = engine.handle_control({"cmd": "break", "args": {"kind": "walk"}})
        assert took["ok"] is True
        assert took["status"]["state"] == "on_break"
        paused = engine.handle_control({"cmd": "pause", "args": {"until": "tomorrow"}})
        assert paused["ok"] is True
    finally:
        assert engine.handle_control({"cmd": "quit", "args": {}})["ok"] is True
        t.join(5)
    # Quitting ended the walk that was still running.
    assert [e.action for e in store.events] == [Action.STARTED, Action.PAUSED, Action.ENDED_EARLY]


def test_a_suspend_seen_on_the_boot_clock_is_a_natural_break(rig):
    engine, clock, store, _, _ = rig
    clock.advance(timedelta(minutes=2))
    run_until_idle(engine)
    clock.suspend(timedelta(minutes=20))  # monotonic stood still; boot time did not
    run_until_idle(engine, Tick("clock-jump"))
    natural = [e for e in store.events if e.action is Action.NATURAL]
    assert [e.kind for e in natural] == [BreakKind.WALK]


def test_a_wall_clock_moved_forward_is_not_a_pile_of_prompts(rig):
    engine, clock, store, _, wake = rig
    clock.advance(timedelta(minutes=25))
    run_until_idle(engine)
    clock.set_wall(timedelta(hours=1))  # NTP or a time-zone change, not time passing
    run_until_idle(engine, Tick("clock-jump"))
    assert [e for e in store.events if e.action is Action.PROMPTED] == []
    assert [e for e in store.events if e.action is Action.NATURAL] == []
    # The stand is still 5 minutes of desk time away, in the new wall time.
    assert wake.armed[-1] - clock.now() <= timedelta(minutes=5)
    assert wake.armed[-1] - clock.now() >= timedelta(minutes=4)


def test_rejected_command_reaches_the_requester_and_logs_nothing(rig):
    engine, _, store, _, _ = rig
    from posturebreak.messages import Reply

    reply = Reply()
    run_until_idle(engine, Do(Snooze(), reply))
    assert reply.wait(1) == {"ok": False, "error": "Nothing to snooze: no break is due right now."}
    assert store.events == []


def test_exercise_rotation_is_remembered_from_the_log(rig):
    engine, clock, store, front, wake = rig
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:59:00"))
    for _ in range(3):
        engine.post(Do(Snooze()))
        follow_wakeups(engine, clock, wake, clock.now() + timedelta(minutes=5))
    cards = [card.id for _, card in front.named("prompt")]
    assert len(cards) == 4
    assert len(set(cards)) == 4  # no card repeats while the kind has others
    assert remembered_exercises(store.events)[BreakKind.STAND] == cards


class SlowLog(RecordingStore):
    """A log whose writes become durable only when the test says so (a slow disk)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[tuple[list[Event], Callable[[Saved], None] | None]] = []

    def submit(self, events: Sequence[Event], done: Callable[[Saved], None] | None = None) -> None:
        self.waiting.append((list(events), done))

    def finish(self, outcome: Saved) -> None:
        for events, done in self.waiting:
            self.events.extend(events)
            if done is not None:
                done(outcome)
        self.waiting = []


def test_an_answer_is_acknowledged_only_once_its_events_are_durable():
    clock = FakeClock(at("2026-11-23 09:00:00"))
    store, front, wake = SlowLog(), RecordingFront(), RecordingWakeup()
    engine = Engine(Context(Settings(), BERLIN), clock, store, front, wake)
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:31:00"))
    assert len(front.named("prompt")) == 1  # the reminder came while the log was slow
    reply = Reply()
    run_until_idle(engine, Do(Snooze(), reply))
    assert not reply.done.is_set()  # the engine went on; the answer waits for the disk
    store.finish(Saved(Durability.SPOOLED, Problem.LOCKED))
    answer = reply.wait(1)
    assert answer["ok"]
    assert answer["saved"] == "spool"
    assert answer["message"] == "Snoozed the stand break for 5 min."
    assert [e.action for e in store.events] == [Action.PROMPTED, Action.SNOOZED]


def test_an_answer_that_could_not_be_saved_says_so_and_why():
    clock = FakeClock(at("2026-11-23 09:00:00"))
    store, front, wake = RecordingStore(), RecordingFront(), RecordingWakeup()
    store.outcome = Saved(Durability.UNSAVED, Problem.FULL, "the disk holding x is full")
    engine = Engine(Context(Settings(), BERLIN), clock, store, front, wake)
    reply = Reply()
    run_until_idle(engine, Do(TakeBreak(BreakKind.STAND), reply))
    answer = reply.wait(1)
    assert answer["ok"], "the break did start: never a failure for an applied action"
    assert answer["saved"] == "memory"
    assert answer["message"].endswith(
        "It is not saved yet: the disk holding x is full; free some disk space."
    )


def test_a_notice_from_the_log_writer_reaches_the_person(rig):
    engine, _, _, front, _ = rig
    run_until_idle(engine, Tell(Notify("posturebreak cannot write its log", "because")))
    assert [n.message for n in front.named("notify")] == ["because"]


def test_a_retried_control_request_is_carried_out_once_and_answered_alike(rig):
    engine, clock, store, _, wake = rig
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:31:00"))
    loop = threading.Thread(target=engine.run)
    loop.start()
    answers: list[Mapping[str, object]] = []
    request = {"cmd": "skip", "args": {}, "id": "retry-1"}
    callers = [
        threading.Thread(target=lambda: answers.append(engine.handle_control(request)))
        for _ in range(3)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(5)
    answers.append(engine.handle_control(request))  # a late retry: answered from memory
    other = engine.handle_control({**request, "id": "retry-2"})
    engine.post(Quit())
    loop.join(5)
    assert len(answers) == 4
    assert all(a == answers[0] for a in answers)
    assert answers[0]["ok"]
    assert answers[0]["message"].startswith("Skipped")
    assert other["ok"]  # a new id is a new request: the next break is skipped too
    assert [e.action for e in store.events].count(Action.SKIPPED) == 2


# --- the card logged is the card shown ---------------------------------------------------------


def _card_in(detail: str) -> str:
    (part,) = [p for p in detail.split("; ") if p.startswith("exercise=")]
    return part.removeprefix("exercise=")


def test_the_card_of_the_prompt_is_the_card_of_its_break_in_the_window_and_the_log(rig):
    engine, clock, store, front, wake = rig
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:59:00"))
    (prompt, shown), *_ = front.named("prompt")
    clock.advance(timedelta(seconds=20))
    run_until_idle(engine, Do(StartBreak()))
    (brk, counted_down), *_ = front.named("begin")
    assert brk.kind is prompt.kind is BreakKind.STAND
    assert counted_down == shown  # one card in the window and in the countdown
    prompted, started = store.events[0], store.events[1]
    assert (prompted.action, started.action) == (Action.PROMPTED, Action.STARTED)
    assert _card_in(prompted.detail) == _card_in(started.detail) == shown.id


def test_a_break_taken_without_a_prompt_chooses_its_card_when_it_starts(rig):
    engine, _clock, store, front, _wake = rig
    run_until_idle(engine, Do(TakeBreak(BreakKind.WALK)))
    (brk, card), *_ = front.named("begin")
    assert brk.kind is BreakKind.WALK
    assert card is not None
    assert card.suits(BreakKind.WALK)
    (started,) = store.events
    assert started.detail == f"manual; exercise={card.id}"


def test_a_break_of_another_kind_taken_from_a_prompt_gets_a_card_of_its_own_kind(rig):
    engine, clock, store, front, wake = rig
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:59:00"))
    run_until_idle(engine, Do(TakeBreak(BreakKind.WALK)))
    (_brk, card), *_ = front.named("begin")
    assert card is not None
    assert card.suits(BreakKind.WALK)
    assert _card_in(store.events[-1].detail) == card.id


def test_a_prompt_back_from_a_snooze_shows_a_new_card_and_logs_that_one(rig):
    engine, clock, store, front, wake = rig
    follow_wakeups(engine, clock, wake, at("2026-11-23 09:59:00"))
    run_until_idle(engine, Do(Snooze()))
    follow_wakeups(engine, clock, wake, clock.now() + timedelta(minutes=5))
    run_until_idle(engine, Do(StartBreak()))
    first, second = (card for _p, card in front.named("prompt"))
    assert first != second
    (_brk, counted_down), *_ = front.named("begin")
    assert counted_down == second
    prompted = [e for e in store.events if e.action is Action.PROMPTED]
    assert [_card_in(e.detail) for e in prompted] == [first.id, second.id]
    assert _card_in(store.events[-1].detail) == second.id
