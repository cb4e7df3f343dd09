"""A driver for the pure policy on simulated time: follows its wake-ups, records its effects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from posturebreak.core.commands import Command
from posturebreak.core.domain import Action, Event
from posturebreak.core.effects import Effect, Notify, Record, Rejected, ShowPrompt
from posturebreak.core.policy import step, stop
from posturebreak.core.policy_state import Context, Observation, PolicyState, initial_state
from posturebreak.core.settings import Settings

BERLIN = ZoneInfo("Europe/Berlin")

Answer = Callable[["Sim", ShowPrompt], Command | None]
# What the world looks like at an instant: Observation fields (idle, hold, locked, ...).
World = Callable[[datetime], dict[str, object]]


@dataclass
class Sim:
    settings: Settings
    now: datetime
    tz: tzinfo = BERLIN
    state: PolicyState = field(init=False)
    events: list[Event] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    ticks: int = 0
    world: World | None = None

    def __post_init__(self) -> None:
        self.ctx = Context(self.settings, self.tz)
        self.state = initial_state(self.now)
        self.tick()

    def _run(self, obs: Observation, cmd: Command | None) -> list[Effect]:
        self.state, fx = step(self.state, self.ctx, obs, cmd)
        self.effects.extend(fx)
        self.events.extend(e.event for e in fx if isinstance(e, Record))
        self.ticks += 1
        return fx

    def _observe(self, obs: dict[str, object]) -> Observation:
        seen = dict(self.world(self.now)) if self.world is not None and not obs else obs
        return Observation(self.now, **seen)  # type: ignore[arg-type]

    def tick(self, **obs: object) -> list[Effect]:
        """One step at ``now``: what ``obs`` says, else what ``world`` shows."""
        return self._run(self._observe(obs), None)

    def do(self, cmd: Command, **obs: object) -> list[Effect]:
        return self._run(self._observe(obs), cmd)

    def stop(self) -> list[Effect]:
        """The app quits at ``now``."""
        self.state, fx = stop(self.state, self.ctx, self.now)
        self.effects.extend(fx)
        self.events.extend(e.event for e in fx if isinstance(e, Record))
        return fx

    @property
    def wake(self) -> datetime | None:
        return self.state.expected_wake

    def run_until(self, end: datetime, answer: Answer | None = None, limit: int = 100_000) -> None:
        """Follow the policy's wake-ups up to ``end``; ``answer`` replies to each prompt."""
        for _ in range(limit):
            wake = self.wake
            if wake is None or wake > end:
                self.now = max(self.now, end)
                return
            assert wake > self.now, f"wake-up {wake} not after now {self.now}"
            self.now = wake
            fx = self.tick()
            for e in fx:
                if isinstance(e, ShowPrompt) and answer is not None:
                    cmd = answer(self, e)
                    if cmd is not None:
                        self.do(cmd)
        raise AssertionError("policy did not settle: too many wake-ups")

    def local(self, e: Event) -> datetime:
        return e.at.astimezone(self.tz)

    def of(self, action: Action) -> list[Event]:
        return [e for e in self.events if e.action is action]

    def notices(self) -> list[Notify]:
        return [e for e in self.effects if isinstance(e, Notify)]

    def rejections(self) -> list[Rejected]:
        return [e for e in self.effects if isinstance(e, Rejected)]


def at(text: str, tz: tzinfo = BERLIN) -> datetime:
    """A local wall-clock instant, e.g. at("2026-11-23 09:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def check_prompt_outcomes(events: list[Event]) -> None:
    """Each prompt ends in exactly one outcome before anything else is prompted."""
    from posturebreak.core.domain import PROMPT_OUTCOMES

    open_prompt: Event | None = None
    for e in events:
        if e.action is Action.PROMPTED:
            assert open_prompt is None, f"prompt {e} opened while {open_prompt} was open"
            open_prompt = e
        elif e.action in PROMPT_OUTCOMES:
            if open_prompt is None:
                assert e.detail.split("; ")[0] in {"manual", "next", "away"} or (
                    e.action is Action.NATURAL
                ), f"outcome {e} with no open prompt"
            open_prompt = None
