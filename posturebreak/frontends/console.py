"""The terminal front end: ``posturebreak run --console`` (and the fallback with no display).

Prompts ring the terminal bell and print one line; single keys answer them (Enter = start,
s = snooze, k = skip; during a break d = done). Keys are read on a daemon thread and only
ever posted to the engine's queue.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TextIO

from posturebreak.core.commands import Command, FinishBreak, Skip, Snooze, StartBreak
from posturebreak.core.domain import BreakKind, Mode, humanize
from posturebreak.core.effects import BeginBreak, EndBreak, Notify, ShowPrompt, StatusView
from posturebreak.core.exercises import Exercise
from posturebreak.frontends.welcome import Welcome
from posturebreak.messages import Do, Message, Quit

# Carriage return, blanks over the countdown's "  m:ss left  ", carriage return.
_CLEAR_LINE = "\r" + " " * 20 + "\r"
# Modes whose news already has its own line (heads-up, prompt, countdown).
_OWN_LINES = frozenset({Mode.NOTICE, Mode.PROMPTING, Mode.ON_BREAK})

HELP = "Keys: Enter = start  s = snooze  k = skip  d = done (during a break)  q = quit"


class ConsoleFrontEnd:
    """Implements ``engine.FrontEnd`` on a text terminal.

    The engine thread calls the ``FrontEnd`` methods; the key reader and the countdown run
    on their own daemon threads and only post messages.
    """

    def __init__(
        self,
        post: Callable[[Message], None],
        out: TextIO,
        inp: TextIO,
        welcome: Welcome | None = None,
    ) -> None:
        self._post = post
        self._welcome = welcome
        self._out = out
        self._in = inp
        self._lock = threading.Lock()
        self._break_started = 0.0
        self._break_end = 0.0
        self._on_break = threading.Event()
        self._stopped = threading.Event()
        self._last_status: tuple[Mode, BreakKind | None, BreakKind | None] | None = None
        # Whether the countdown's line is on screen without its newline: any other line must
        # clear it first, or the two run together.
        self._countdown_shown = False

    # --- FrontEnd (engine thread) ---------------------------------------------------------

    def show_prompt(self, prompt: ShowPrompt, card: Exercise | None) -> None:
        """Ring the bell and print the prompt with its keys."""
        snooze = humanize(prompt.snooze_choices[0]) if prompt.snooze_choices else ""
        keys = ["Enter = start"]
        if prompt.snoozes_left > 0 and snooze:
            keys.append(f"s = snooze {snooze}")
        keys.append("k = skip")
        self._say(
            f"\a\n>>> Time to {prompt.kind.value} ({humanize(prompt.duration)}).  "
            + "  ".join(keys)
        )
        if prompt.note:
            self._say(f"    {prompt.note}")
        if card is not None:
            self._card(card)

    def close_prompt(self, reason: str) -> None:
        """Say why the prompt went away, when it was not the person's own answer."""
        if reason == "timeout":
            self._say("    (no answer: the break was logged as missed)")
        elif reason == "away":
            self._say("    (you were away: counted as a natural break)")

    def begin_break(self, brk: BeginBreak, card: Exercise | None) -> None:
        """Start the countdown line."""
        seconds = brk.duration.total_seconds()
        with self._lock:
            self._break_started = time.monotonic()
            self._break_end = self._break_started + seconds
        self._say(f"--- {brk.kind.label} break: {humanize(brk.duration)}. Press d when done.")
        if card is not None:
            self._card(card)
        self._on_break.set()
        threading.Thread(target=self._countdown, name="console-countdown", daemon=True).start()

    def end_break(self, end: EndBreak) -> None:
        """Stop the countdown and say well done."""
        self._on_break.clear()
        msg = "Done! Nice one." if end.completed else "Break ended early. Every bit counts."
        self._say(f"--- {end.kind.label}: {msg}")

    def show_status(self, view: StatusView) -> None:
        """Print the headline when it changes in a way worth a line.

        Not for the modes that already have their own lines: the heads-up, the prompt and the
        running break's countdown say it (a second line would repeat them).
        """
        if self._welcome is not None:
            self._welcome.greet(view)
        key = (view.mode, view.next_kind, view.active_kind)
        if key == self._last_status:
            return
        self._last_status = key
        if view.mode not in _OWN_LINES:
            self._say(f"[{view.now.astimezone():%H:%M}] {view.headline()}")

    def notify(self, note: Notify) -> None:
        """Print the heads-up."""
        self._say(f"    {note.message}")

    # --- threads --------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        with self._lock:
            if self._countdown_shown:
                self._out.write(_CLEAR_LINE)
                self._countdown_shown = False
            self._out.write(text + "\n")
            self._out.flush()

    def _card(self, card: Exercise) -> None:
        lines = [f"    {card.title}"] + [f"      {i}. {s}" for i, s in enumerate(card.steps, 1)]
        if card.tip:
            lines.append(f"      Tip: {card.tip}")
        self._say("\n".join(lines))

    def _countdown(self) -> None:
        while self._on_break.is_set() and not self._stopped.is_set():
            left = max(0.0, self._break_end - time.monotonic())
            with self._lock:
                if not self._on_break.is_set():
                    return  # the break ended while we waited for the lock: draw nothing
                self._out.write(f"\r    {int(left) // 60}:{int(left) % 60:02d} left  ")
                self._countdown_shown = True
                self._out.flush()
            if left <= 0:
                return
            self._stopped.wait(1.0)

    def _moved(self) -> timedelta:
        with self._lock:
            return timedelta(seconds=time.monotonic() - self._break_started)

    def handle_key(self, key: str) -> bool:
        """Act on one key; ``False`` when the person asked to quit."""
        key = key.strip().lower()
        if key == "q":
            self._post(Quit())
            return False
        if self._on_break.is_set():
            if key in {"d", ""}:
                with self._lock:
                    complete = time.monotonic() >= self._break_end - 1
                self._post(Do(FinishBreak(self._moved(), completed=complete)))
            return True
        actions: dict[str, Command] = {"": StartBreak(), "s": Snooze(), "k": Skip()}
        command = actions.get(key)
        if command is not None:
            self._post(Do(command))
        elif key in {"h", "?"}:
            self._say(HELP)
        return True

    def read_keys(self) -> None:
        """Read keys until end of input or ``q`` (runs on its own daemon thread)."""
        for key in _keys(self._in):
            if not self.handle_key(key):
                return
        # End of input (stdin closed): keep running; control still works.

    def stop(self) -> None:
        """Stop the countdown thread."""
        self._stopped.set()


def _keys(stream: TextIO) -> Iterator[str]:
    """Single keys from a terminal (cbreak mode), else whole lines."""
    if stream.isatty() and sys.platform != "win32":
        yield from _tty_keys(stream)
        return
    for line in stream:
        yield line.rstrip("\r\n")


def _tty_keys(stream: TextIO) -> Iterator[str]:
    import termios
    import tty

    fd = stream.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while True:
            ch = stream.read(1)
            if not ch:
                return
            yield "" if ch in "\r\n" else ch
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
