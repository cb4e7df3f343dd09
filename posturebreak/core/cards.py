"""Which exercise card goes with which prompt and break, and the rotation the log remembers.

The card is chosen once, when a prompt opens, and that same card is shown in the prompt, in
the countdown of the break started from it, in the console, and named in the log (the
``PROMPTED`` and ``STARTED`` events). A break started without a prompt chooses its card
when it starts. A prompt coming back after a snooze is a new prompt: it shows the next card
of the rotation, and its own ``PROMPTED`` event names it. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.effects import BeginBreak, ClosePrompt, Effect, EndBreak, Record, ShowPrompt
from posturebreak.core.exercises import Exercise, ExerciseLibrary, next_exercise


class CardChooser:
    """Chooses the cards for the effects of each step (engine thread only)."""

    def __init__(
        self,
        library: ExerciseLibrary | None,
        shown: Mapping[BreakKind, list[str]] | None = None,
    ) -> None:
        self._library = library
        self._shown: dict[BreakKind, list[str]] = {
            k: list((shown or {}).get(k, [])) for k in BreakKind
        }
        # The card of the open prompt or running break.
        self.current: Exercise | None = None

    def choose(self, fx: list[Effect]) -> dict[int, Exercise]:
        """The card for each prompt and break in ``fx`` (by position), noted in its event.

        A prompt gets the next card of the rotation; a break started from it keeps that
        card if it suits the break's kind; any other break gets the next card of its kind.
        """
        cards: dict[int, Exercise] = {}
        if self._library is None:
            return cards
        answered: Exercise | None = None
        for i, effect in enumerate(fx):
            if isinstance(effect, ClosePrompt):
                answered, self.current = self.current, None
            elif isinstance(effect, EndBreak):
                self.current = None
            elif isinstance(effect, ShowPrompt | BeginBreak):
                if isinstance(effect, BeginBreak) and answered and answered.suits(effect.kind):
                    card = answered
                else:
                    card = next_exercise(self._library, effect.kind, self._shown[effect.kind])
                    self._shown[effect.kind].append(card.id)
                self.current = cards[i] = card
                _note_card(fx, i, card)
        return cards


def _note_card(fx: list[Effect], at: int, card: Exercise) -> None:
    """Name ``card`` in the PROMPTED or STARTED event just before position ``at``."""
    want = Action.PROMPTED if isinstance(fx[at], ShowPrompt) else Action.STARTED
    for j in range(at - 1, -1, -1):
        prev = fx[j]
        if isinstance(prev, Record) and prev.event.action is want:
            detail = "; ".join(p for p in (prev.event.detail, f"exercise={card.id}") if p)
            fx[j] = Record(replace(prev.event, detail=detail))
            return


def remembered_exercises(events: list[Event]) -> dict[BreakKind, list[str]]:
    """The exercise ids shown so far per kind, oldest first, from the log's details."""
    shown: dict[BreakKind, list[str]] = {k: [] for k in BreakKind}
    for e in events:
        if e.kind is None or e.action not in {Action.PROMPTED, Action.STARTED}:
            continue
        for part in e.detail.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "exercise" and value:
                shown[e.kind].append(value)
    return shown
