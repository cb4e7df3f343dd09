"""The one serial loop that owns the state: ticks, answers and control requests in, effects out.

Every other thread (scheduler, tray, break window reader, control server) only puts a
message on the engine's queue. The engine runs the pure policy and carries out its effects
through the ports, so the order of events in the log is the order they happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from posturebreak.clock import Clock
from posturebreak.control import protocol
from posturebreak.core import policy
from posturebreak.core.cards import CardChooser
from posturebreak.core.commands import Command
from posturebreak.core.domain import BreakKind, Event
from posturebreak.core.effects import (
    ArmWakeup,
    BeginBreak,
    ClosePrompt,
    Effect,
    EndBreak,
    Notify,
    Record,
    Rejected,
    ShowPrompt,
    StatusView,
    UpdateStatus,
)
from posturebreak.core.exercises import Exercise, ExerciseLibrary
from posturebreak.core.policy_state import Context, Observation, PolicyState, initial_state
from posturebreak.core.today import TodayCounter
from posturebreak.messages import Answers, Do, Inbox, Message, Query, Quit, Tell, Tick
from posturebreak.storage.durability import Durability, Saved

log = logging.getLogger("posturebreak.engine")

# A wall clock that moved by more than this between two steps was changed, not just late.
JUMP_THRESHOLD_S = 2.0
# How long the control server waits for the engine's answer before telling the client it is
# still on its way (the client then asks again with the same request id).
ANSWER_WAIT_S = 10.0


class LogPort(Protocol):
    """Where the engine's events go: the log writer. Called from the engine thread only.

    ``submit`` returns at once (the engine never waits on the disk); ``done``, when given, is
    called on the writer's thread once the events are durable, or known not to be.
    """

    def submit(self, events: Sequence[Event], done: Callable[[Saved], None] | None = None) -> None:
        """Save ``events`` in order, after everything submitted before."""
        ...


class WakeupPort(Protocol):
    """Wakes the engine at an instant. ``arm`` is called from the engine thread only."""

    def arm(self, at: datetime) -> None:
        """Replace the pending wake-up with one at ``at``."""
        ...


class PresencePort(Protocol):
    """Tells whether the person is at the desk. Called from the engine thread only."""

    def idle(self) -> timedelta | None:
        """Time since the last keyboard or mouse input, or ``None`` when unknown."""
        ...

    def hold(self) -> str:
        """Why prompts should wait right now (fullscreen, meeting, ...), or ``""``."""
        ...

    def locked(self) -> bool:
        """Whether the screen was locked at the last ``idle()`` (away, even under a hold)."""
        ...


class FrontEnd(Protocol):
    """What the person sees.

    Called from the engine thread only; implementations hand the work to their own toolkit
    thread or process and return at once.
    """

    def show_prompt(self, prompt: ShowPrompt, card: Exercise | None) -> None:
        """Open the break prompt."""
        ...

    def close_prompt(self, reason: str) -> None:
        """Close the prompt if it is open."""
        ...

    def begin_break(self, brk: BeginBreak, card: Exercise | None) -> None:
        """Show the running break (countdown)."""
        ...

    def end_break(self, end: EndBreak) -> None:
        """The break is over."""
        ...

    def show_status(self, view: StatusView) -> None:
        """Redraw the tray / status line."""
        ...

    def notify(self, note: Notify) -> None:
        """Show a heads-up notification; never raises."""
        ...


class Engine:
    """Owns the policy state and the log; runs on one thread via ``run()``."""

    def __init__(
        self,
        ctx: Context,
        clock: Clock,
        store: LogPort,
        front: FrontEnd,
        wakeup: WakeupPort | None = None,
        *,
        presence: PresencePort | None = None,
        today: TodayCounter | None = None,
        library: ExerciseLibrary | None = None,
        shown: Mapping[BreakKind, list[str]] | None = None,
        on_quit: Callable[[], None] | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.ctx = ctx
        self._clock = clock
        self._store = store
        self._front = front
        self._wakeup = wakeup
        self._batch: list[Event] = []  # the Record effects of the step being carried out
        self._answers = Answers()
        self._presence = presence
        self._today = today if today is not None else TodayCounter(ctx.tz)
        self._cards = CardChooser(library, shown)
        self._on_quit = on_quit
        self._inbox = inbox if inbox is not None else Inbox()
        self._state: PolicyState = initial_state(clock.now())
        self._offsets = self._read_offsets()
        self.view: StatusView | None = None

    # --- called from any thread -----------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When the next thing the person sees is due (presence sampling paces itself by it)."""
        view = self.view
        return view.next_at if view is not None else None

    def post(self, msg: Message) -> None:
        """Queue a message for the engine thread (thread-safe)."""
        self._inbox.post(msg)

    def wake(self, reason: str = "timer") -> None:
        """Ask for a tick (scheduler, idle watch and clock-jump callbacks use this)."""
        self.post(Tick(reason))

    def handle_control(self, request: Mapping[str, object]) -> Mapping[str, object]:
        """Serve one control request (called from the control server's threads).

        A request with an ``id`` seen before is not carried out again: it gets the first
        one's answer (waiting for it if that is still on its way), so a client that retries
        after a timeout never skips two breaks.
        """
        try:
            req = protocol.parse_request(request, self.ctx, self._clock.now())
        except protocol.RequestError as exc:
            return {"ok": False, "error": str(exc)}
        request_id = request.get("id")
        reply, first = self._answers.slot(request_id if isinstance(request_id, str) else None)
        if first:
            if req is protocol.STATUS:
                self.post(Query(reply))
            elif req is protocol.QUIT:
                self.post(Quit(reply))
            elif not isinstance(req, protocol.Special):
                self.post(Do(req, reply))
        return reply.wait(ANSWER_WAIT_S)

    # --- the engine thread ----------------------------------------------------------------

    def run(self) -> None:
        """Process messages until ``Quit``. The first step happens at once."""
        self._step(None)
        self._flush()
        while True:
            msg = self._inbox.take()
            if isinstance(msg, Quit):
                self._quit(msg)
                if self._on_quit is not None:
                    self._on_quit()
                return
            self._handle(msg)

    def run_pending(self) -> None:
        """Step once, process the messages already queued, and return.

        For driving the engine step by step (tests, tools): unlike :meth:`run` it does not
        wait for ``Quit``, so an open prompt stays open for the next call.
        """
        self._step(None)
        self._flush()
        while True:
            msg = self._inbox.take_waiting()
            if msg is None:
                return
            if isinstance(msg, Quit):
                self._quit(msg)
                return
            self._handle(msg)

    def _quit(self, msg: Quit) -> None:
        """Close what is open (one outcome for each prompt and break), then answer."""
        self._state, fx = policy.stop(self._state, self.ctx, self._clock.now())
        self._carry_all(fx)
        reply = msg.reply
        if reply is None:
            self._flush()
            return

        def answer(saved: Saved) -> None:
            reply.set({"ok": True, "message": "posturebreak is quitting." + _saved_note(saved)})

        self._flush(answer)

    def _handle(self, msg: Tick | Do | Query | Tell) -> None:
        """One message of the loop (all but ``Quit``)."""
        if isinstance(msg, Tell):
            self._front.notify(msg.note)
            return
        if isinstance(msg, Query):
            self._step(None)
            self._flush()
            msg.reply.set({"ok": True, "status": self._status_json()})
            return
        command = msg.command if isinstance(msg, Do) else None
        fx = self._step(command)
        if not isinstance(msg, Do) or msg.reply is None:
            self._flush()
            return
        reply = msg.reply
        rejected = [e.reason for e in fx if isinstance(e, Rejected)]
        if rejected:
            self._flush()
            reply.set({"ok": False, "error": rejected[0]})
            return
        answer: dict[str, object] = {
            "ok": True,
            "message": protocol.describe(command, self.ctx, self.view),
            "status": self._status_json(),
        }

        def acknowledge(saved: Saved) -> None:
            # Only now, with the events durable (or known not to be), does the caller hear it.
            reply.set(
                {
                    **answer,
                    "message": f"{answer['message']}{_saved_note(saved)}",
                    "saved": saved.where.value,
                }
            )

        self._flush(acknowledge)

    def _flush(self, done: Callable[[Saved], None] | None = None) -> None:
        """Hand the step's events to the writer; ``done`` hears when they are durable."""
        batch, self._batch = self._batch, []
        if batch or done is not None:
            self._store.submit(batch, done)

    def _status_json(self) -> dict[str, object]:
        if self.view is None:  # only before the first step
            return {}
        status = protocol.status_json(self.view)
        status["presence"] = getattr(self._presence, "notice", "")
        return status

    def _read_offsets(self) -> tuple[float, float]:
        wall = self._clock.now().timestamp()
        boot = self._clock.boottime()
        return wall - boot, boot - self._clock.monotonic()

    def _observe(self) -> Observation:
        now = self._clock.now()
        wall_boot, boot_mono = self._read_offsets()
        jump_s = wall_boot - self._offsets[0]
        asleep_s = max(0.0, boot_mono - self._offsets[1])
        self._offsets = (wall_boot, boot_mono)
        jump = timedelta(seconds=jump_s) if abs(jump_s) > JUMP_THRESHOLD_S else timedelta(0)
        if jump:
            log.info("wall clock moved by %+.0f s", jump_s)
        presence = self._presence
        idle = presence.idle() if presence is not None else None
        hold = presence.hold() if presence is not None else ""
        locked = presence.locked() if presence is not None else False
        return Observation(
            now=now,
            idle=idle,
            asleep=timedelta(seconds=asleep_s),
            jump=jump,
            hold=hold,
            locked=locked,
        )

    def _step(self, command: Command | None) -> list[Effect]:
        obs = self._observe()
        self._state, fx = policy.step(self._state, self.ctx, obs, command)
        self._carry_all(fx)
        return fx

    def _carry_all(self, fx: list[Effect]) -> None:
        cards = self._cards.choose(fx)
        for i, effect in enumerate(fx):
            self._carry_out(effect, cards.get(i))

    def _carry_out(self, effect: Effect, card: Exercise | None) -> None:
        if isinstance(effect, Record):
            self._batch.append(effect.event)
            self._today.add(effect.event)
        elif isinstance(effect, ShowPrompt):
            self._front.show_prompt(effect, card)
        elif isinstance(effect, ClosePrompt):
            self._front.close_prompt(effect.reason)
        elif isinstance(effect, BeginBreak):
            self._front.begin_break(effect, card)
        elif isinstance(effect, EndBreak):
            self._front.end_break(effect)
        elif isinstance(effect, Notify):
            self._front.notify(effect)
        elif isinstance(effect, ArmWakeup):
            if self._wakeup is not None:
                self._wakeup.arm(effect.at)
        elif isinstance(effect, UpdateStatus):
            taken, prompted = self._today.counts(effect.view.now)
            self.view = replace(effect.view, taken_today=taken, prompted_today=prompted)
            self._front.show_status(self.view)
        # Rejected is answered to the requester by run().


def _saved_note(saved: Saved) -> str:
    """What the reply adds when the events did not become durable (nothing when they did)."""
    if saved.where is not Durability.UNSAVED or saved.problem is None:
        return ""
    return f" It is not saved yet: {saved.detail}; {saved.problem.remedy()}."
