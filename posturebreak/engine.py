"""The one serial loop that owns the state: ticks, answers and control requests in, effects out.

Every other thread (scheduler, tray, break window reader, control server) only puts a
message on the engine's queue. The engine runs the pure policy and carries out its effects
through the ports, so the order of events in the log is the order they happened.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from posturebreak import policy, protocol
from posturebreak.cards import CardChooser
from posturebreak.clock import Clock
from posturebreak.commands import Command
from posturebreak.domain import BreakKind, Event
from posturebreak.effects import (
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
from posturebreak.exercises import Exercise, ExerciseLibrary
from posturebreak.policy_state import Context, Observation, PolicyState, initial_state
from posturebreak.store import LogReplaced
from posturebreak.today import TodayCounter

log = logging.getLogger("posturebreak.engine")

# A wall clock that moved by more than this between two steps was changed, not just late.
JUMP_THRESHOLD_S = 2.0


class StorePort(Protocol):
    """The event log. Called from the engine thread only."""

    def append(self, event: Event) -> LogReplaced | None:
        """Write one event as one committed transaction; say if the log file was replaced."""
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


@dataclass(frozen=True)
class Tick:
    """Time to look at the clock (``reason`` is for the diagnostic log)."""

    reason: str = "timer"


@dataclass
class Reply:
    """A one-shot answer slot for a request made from another thread."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Mapping[str, object] = field(default_factory=dict)

    def set(self, value: Mapping[str, object]) -> None:
        """Answer (engine thread)."""
        self.value = value
        self.done.set()

    def wait(self, timeout: float) -> Mapping[str, object]:
        """Wait for the answer (requesting thread)."""
        if not self.done.wait(timeout):
            return {"ok": False, "error": "the app did not answer in time"}
        return self.value


@dataclass(frozen=True)
class Do:
    """Apply a person's command; ``reply`` (if any) receives the outcome."""

    command: Command
    reply: Reply | None = None


@dataclass(frozen=True)
class Query:
    """Ask for the status."""

    reply: Reply


@dataclass(frozen=True)
class Quit:
    """Stop the loop; an open prompt or a running break is closed with its outcome first."""

    reply: Reply | None = None


Message = Tick | Do | Query | Quit


class Engine:
    """Owns the policy state and the log; runs on one thread via ``run()``."""

    def __init__(
        self,
        ctx: Context,
        clock: Clock,
        store: StorePort,
        front: FrontEnd,
        wakeup: WakeupPort | None = None,
        *,
        presence: PresencePort | None = None,
        today: TodayCounter | None = None,
        library: ExerciseLibrary | None = None,
        shown: Mapping[BreakKind, list[str]] | None = None,
        on_quit: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self._clock = clock
        self._store = store
        self._front = front
        self._wakeup = wakeup
        self._pending_wake: datetime | None = None
        # Events the log could not take yet (disk full, locked): kept in order and retried
        # before the next write, so reminders go on and nothing is silently dropped.
        self._unsaved: list[Event] = []
        self._presence = presence
        self._today = today if today is not None else TodayCounter(ctx.tz)
        self._cards = CardChooser(library, shown)
        self._on_quit = on_quit
        self._queue: queue.Queue[Message] = queue.Queue()
        self._state: PolicyState = initial_state(clock.now())
        self._offsets = self._read_offsets()
        self.view: StatusView | None = None

    def attach_wakeup(self, wakeup: WakeupPort) -> None:
        """Connect the scheduler (built after the engine, since it calls ``wake``)."""
        self._wakeup = wakeup
        if self._pending_wake is not None:
            wakeup.arm(self._pending_wake)

    def attach_presence(self, presence: PresencePort) -> None:
        """Connect the presence port; engine thread, before :meth:`run`.

        The desktop builds it once the tray icon is up: its display and bus connections
        would otherwise delay the icon.
        """
        self._presence = presence

    # --- called from any thread -----------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When the next thing the person sees is due (presence sampling paces itself by it)."""
        view = self.view
        return view.next_at if view is not None else None

    def post(self, msg: Message) -> None:
        """Queue a message for the engine thread (thread-safe)."""
        self._queue.put(msg)

    def wake(self, reason: str = "timer") -> None:
        """Ask for a tick (scheduler, idle watch and clock-jump callbacks use this)."""
        self.post(Tick(reason))

    def handle_control(self, request: Mapping[str, object]) -> Mapping[str, object]:
        """Serve one control request (called from the control server's thread)."""
        try:
            req = protocol.parse_request(request, self.ctx, self._clock.now())
        except protocol.RequestError as exc:
            return {"ok": False, "error": str(exc)}
        reply = Reply()
        if req is protocol.STATUS:
            self.post(Query(reply))
        elif req is protocol.QUIT:
            self.post(Quit(reply))
        elif not isinstance(req, protocol.Special):
            self.post(Do(req, reply))
        # Shorter than the client's own 5 s, so a slow engine says so itself.
        return reply.wait(4.0)

    # --- the engine thread ----------------------------------------------------------------

    def run(self) -> None:
        """Process messages until ``Quit``. The first step happens at once."""
        self._step(None)
        while True:
            msg = self._queue.get()
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
        while True:
            try:
                msg = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(msg, Quit):
                self._quit(msg)
                return
            self._handle(msg)

    def _quit(self, msg: Quit) -> None:
        """Close what is open (one outcome for each prompt and break), then answer."""
        self._state, fx = policy.stop(self._state, self.ctx, self._clock.now())
        self._carry_all(fx)
        if msg.reply is not None:
            msg.reply.set({"ok": True, "message": "posturebreak is quitting."})

    def _handle(self, msg: Tick | Do | Query) -> None:
        """One message of the loop (all but ``Quit``)."""
        if isinstance(msg, Query):
            self._step(None)
            msg.reply.set({"ok": True, "status": self._status_json()})
            return
        command = msg.command if isinstance(msg, Do) else None
        fx = self._step(command)
        if isinstance(msg, Do) and msg.reply is not None:
            rejected = [e.reason for e in fx if isinstance(e, Rejected)]
            if rejected:
                msg.reply.set({"ok": False, "error": rejected[0]})
            else:
                msg.reply.set(
                    {
                        "ok": True,
                        "message": protocol.describe(command, self.ctx, self.view),
                        "status": self._status_json(),
                    }
                )

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

    def _save(self, event: Event) -> None:
        self._unsaved.append(event)
        was_failing = len(self._unsaved) > 1
        while self._unsaved:
            try:
                replaced = self._store.append(self._unsaved[0])
            except Exception as exc:  # noqa: BLE001  a log failure must never stop reminders
                if not was_failing:
                    log.warning("cannot write to the log: %s", exc)
                    self._front.notify(_unsaved_note(len(self._unsaved)))
                return
            self._unsaved.pop(0)
            if replaced is not None:
                self._front.notify(Notify("posturebreak reopened its log", replaced.message()))
        if was_failing:
            log.info("the log is writable again; saved the waiting events")

    def _carry_out(self, effect: Effect, card: Exercise | None) -> None:
        if isinstance(effect, Record):
            self._save(effect.event)
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
            self._pending_wake = effect.at
            if self._wakeup is not None:
                self._wakeup.arm(effect.at)
        elif isinstance(effect, UpdateStatus):
            taken, prompted = self._today.counts(effect.view.now)
            self.view = replace(effect.view, taken_today=taken, prompted_today=prompted)
            self._front.show_status(self.view)
        # Rejected is answered to the requester by run().


def _unsaved_note(count: int) -> Notify:
    return Notify(
        "posturebreak cannot write its log",
        f"{count} event(s) are waiting to be saved; reminders go on. Free some disk space.",
    )
