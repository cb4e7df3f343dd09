"""The break window: a small Tk program run in its own process by ``PromptLauncher``.

It reads one ``WindowSpec`` as a JSON line on stdin, asks Start / Snooze / Skip, runs the
countdown, and writes each answer as a JSON line on stdout. It never decides that a prompt
was missed: the engine closes it (SIGTERM) when the prompt times out.

Exit status: 0 normally, 1 when no window can be opened, 2 for a bad spec on stdin.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
import tkinter as tk
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from tkinter import ttk
from types import FrameType
from typing import TYPE_CHECKING

from posturebreak.core.domain import Choice, humanize
from posturebreak.frontends.desktop.prompt import (
    LAYOUT_ENV,
    WindowAnswer,
    WindowSpec,
    answer_to_json,
    spec_from_json,
)
from posturebreak.frontends.desktop.prompt_look import (
    ACCENTS,
    BG,
    Chime,
    apply_style,
    finish_chime,
    make_fonts,
    play_chime,
)

if TYPE_CHECKING:
    from PIL import ImageTk

# Done pressed this close to the end counts as a finished break, not an early stop.
DONE_SHARE = 0.95
TICK_MS = 200
PICTURE_SIZE = (240, 180)
WRAP = 340


def _clock(seconds: float) -> str:
    whole = max(0, math.ceil(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


class BreakWindow:
    """The window's behaviour. Everything runs on the Tk main thread."""

    def __init__(
        self,
        root: tk.Tk,
        spec: WindowSpec,
        emit: Callable[[WindowAnswer], None],
        layout_file: Path | None = None,
    ) -> None:
        self.root = root
        self.spec = spec
        self._emit = emit
        self._layout_file = layout_file
        self._accent = ACCENTS[spec.kind]
        self._phase = "prompt"
        self._finished = False
        self._close_requested = False
        self._started = 0.0
        self._buttons: dict[str, ttk.Button] = {}
        self._picture: ImageTk.PhotoImage | None = None
        self.chime: Chime | None = None
        # Held for the window's life: Tk deletes a named font when its Python object dies.
        self._fonts = make_fonts(root)
        apply_style(root, self._accent, self._fonts)
        self._content = ttk.Frame(root)
        tk.Frame(root, height=6, background=self._accent).pack(fill="x")
        self._content.pack(fill="both", expand=True)
        root.title(f"posturebreak — {spec.title}")
        root.configure(background=BG)
        root.resizable(width=False, height=False)
        root.protocol("WM_DELETE_WINDOW", self._on_close)
        for key in ("<Return>", "<KP_Enter>"):
            root.bind(key, lambda _e: self._on_enter())
        root.bind("<Escape>", lambda _e: self._on_escape())
        for key in ("<KeyPress-s>", "<KeyPress-S>"):
            root.bind(key, lambda _e: self._on_snooze_key())
        if spec.phase == "break":
            self._start_countdown()
        else:
            self._build_prompt()
        self._place()
        root.after(TICK_MS, self._tick)

    def request_close(self) -> None:
        """Close without an answer (SIGTERM: the engine has decided). Signal-safe."""
        self._close_requested = True

    # -- look -------------------------------------------------------------------------

    def _place(self) -> None:
        """Centre the window on the screen (geometry settles before mapping)."""
        self.root.update_idletasks()
        width, height = self.root.winfo_reqwidth(), self.root.winfo_reqheight()
        x = max(0, (self.root.winfo_screenwidth() - width) // 2)
        y = max(0, (self.root.winfo_screenheight() - height) // 2)
        self.root.geometry(f"+{x}+{y}")

    # -- the two views ----------------------------------------------------------------

    def _fresh_body(self) -> ttk.Frame:
        for child in self._content.winfo_children():
            child.destroy()
        self._buttons.clear()
        body = ttk.Frame(self._content, padding=(28, 20, 28, 22))
        body.pack(fill="both", expand=True)
        return body

    def _header(self, body: ttk.Frame, kicker: str, title: str, subtitle: str) -> None:
        ttk.Label(body, text=kicker.upper(), style="Kicker.TLabel").pack(anchor="w")
        ttk.Label(body, text=title, style="Title.TLabel").pack(anchor="w", pady=(2, 0))
        if subtitle:
            ttk.Label(body, text=subtitle, style="Muted.TLabel", wraplength=560).pack(
                anchor="w", pady=(4, 0)
            )

    def _card(self, body: ttk.Frame) -> None:
        spec = self.spec
        card = ttk.Frame(body, style="Card.TFrame", padding=16)
        card.pack(fill="x", pady=(16, 18))
        picture = self._load_picture()
        if picture is not None:
            ttk.Label(card, image=picture, style="Card.TLabel").pack(side="left", anchor="n")
        text = ttk.Frame(card, style="Card.TFrame", padding=(16 if picture else 0, 0, 0, 0))
        text.pack(side="left", fill="both", expand=True, anchor="n")
        if spec.exercise_title:
            ttk.Label(text, text=spec.exercise_title, style="CardTitle.TLabel").pack(anchor="w")
        for number, step in enumerate(spec.exercise_steps, start=1):
            ttk.Label(text, text=f"{number}.  {step}", style="Card.TLabel", wraplength=WRAP).pack(
                anchor="w", pady=(6, 0)
            )
        if spec.exercise_tip:
            ttk.Label(
                text, text=f"Tip: {spec.exercise_tip}", style="Tip.TLabel", wraplength=WRAP
            ).pack(anchor="w", pady=(10, 0))

    def _load_picture(self) -> ImageTk.PhotoImage | None:
        if self._picture is not None or self.spec.picture is None:
            return self._picture
        try:
            from PIL import Image, ImageTk

            with Image.open(self.spec.picture) as img:
                img.thumbnail(PICTURE_SIZE, Image.Resampling.LANCZOS)
                self._picture = ImageTk.PhotoImage(img.convert("RGBA"), master=self.root)
        except (OSError, ValueError, ImportError) as exc:
            # A missing picture must not cost the user their break; the text still guides.
            print(f"posturebreak: no exercise picture ({exc})", file=sys.stderr)
        return self._picture

    def _button(self, parent: ttk.Frame, name: str, text: str, style: str) -> ttk.Button:
        button = ttk.Button(parent, text=text, style=f"{style}.TButton", takefocus=False)
        self._buttons[name] = button
        return button

    def _build_prompt(self) -> None:
        spec = self.spec
        body = self._fresh_body()
        kicker = f"{spec.kind.label} break · {humanize(spec.duration)}"
        self._header(body, kicker, spec.title, spec.subtitle)
        self._card(body)
        row = ttk.Frame(body)
        row.pack(fill="x")
        start = self._button(row, "start", "Start break", "Primary")
        start.configure(command=self._on_start)
        start.pack(side="left")
        can_snooze = spec.snoozes_left > 0
        for index, span in enumerate(spec.snooze_choices):
            label = f"Snooze {humanize(span)}" if index == 0 else humanize(span)
            name = "snooze" if index == 0 else f"snooze_{round(span.total_seconds())}"
            button = self._button(row, name, label, "Secondary")
            button.configure(command=self._snooze_command(span))
            button.pack(side="left", padx=(12 if index == 0 else 6, 0))
            if not can_snooze:
                button.state(["disabled"])
        skip = self._button(row, "skip", "Skip", "Quiet")
        skip.configure(command=self._on_skip)
        skip.pack(side="right")
        hints = ["Enter start"]
        if spec.snooze_choices and can_snooze:
            hints.append(f"S snooze {humanize(spec.snooze_choices[0])}")
        hints.append("Esc skip")
        note = "   ·   ".join(hints)
        if spec.snooze_choices and not can_snooze:
            note = "No snoozes left   ·   " + note
        ttk.Label(body, text=note, style="Hint.TLabel").pack(anchor="w", pady=(14, 0))
        self._watch_layout()

    def _start_countdown(self) -> None:
        spec = self.spec
        self._phase = "break"
        self._started = time.monotonic()
        body = self._fresh_body()
        title = spec.title if spec.phase == "break" else f"{spec.kind.label} break"
        self.root.title(f"posturebreak — {title}")
        self._header(body, f"On a break · {humanize(spec.duration)}", title, "")
        self._clock = ttk.Label(
            body, text=_clock(spec.duration.total_seconds()), style="Clock.TLabel"
        )
        self._clock.pack(anchor="w", pady=(6, 0))
        self._bar = ttk.Progressbar(
            body, style="Accent.Horizontal.TProgressbar", maximum=1000, length=560
        )
        self._bar.pack(fill="x", pady=(4, 0))
        self._card(body)
        row = ttk.Frame(body)
        row.pack(fill="x")
        done = self._button(row, "done", "Done", "Primary")
        done.configure(command=self._on_done)
        done.pack(side="right")
        ttk.Label(row, text="Enter done", style="Hint.TLabel").pack(side="left")
        self._watch_layout()

    # -- answers ----------------------------------------------------------------------

    def _final(self, answer: WindowAnswer | None) -> None:
        if self._finished:
            return
        self._finished = True
        if answer is not None:
            self._emit(answer)
        self.root.destroy()

    def _moved(self) -> timedelta:
        return timedelta(seconds=time.monotonic() - self._started)

    def _on_start(self) -> None:
        if self._phase == "prompt" and not self._finished:
            self._emit(WindowAnswer(Choice.START))
            self._start_countdown()
            self._place()

    def _snooze_command(self, span: timedelta) -> Callable[[], None]:
        return lambda: self._answer_snooze(span)

    def _answer_snooze(self, span: timedelta) -> None:
        if self._phase == "prompt" and self.spec.snoozes_left > 0:
            self._final(WindowAnswer(Choice.SNOOZE, snooze=span))

    def _on_skip(self) -> None:
        if self._phase == "prompt":
            self._final(WindowAnswer(Choice.SKIP))

    def _on_done(self) -> None:
        moved = self._moved()
        finished = moved >= self.spec.duration * DONE_SHARE
        self._final(WindowAnswer(Choice.DONE if finished else Choice.STOP, moved=moved))

    def _on_enter(self) -> None:
        if self._phase == "prompt":
            self._on_start()
        else:
            self._on_done()

    def _on_escape(self) -> None:
        if self._phase == "prompt":
            self._on_skip()

    def _on_snooze_key(self) -> None:
        if self.spec.snooze_choices:
            self._answer_snooze(self.spec.snooze_choices[0])

    def _on_close(self) -> None:
        # Closing the question is a deliberate "not now"; closing the countdown ends it early.
        if self._phase == "prompt":
            self._on_skip()
        else:
            self._final(WindowAnswer(Choice.STOP, moved=self._moved()))

    def _tick(self) -> None:
        # The tick also lets Python run signal handlers: Tk's loop would otherwise sleep.
        if self._finished:
            return
        if self._close_requested:
            self._final(None)
            return
        if self._phase == "break":
            elapsed = time.monotonic() - self._started
            total = self.spec.duration.total_seconds()
            self._clock.configure(text=_clock(total - elapsed))
            self._bar.configure(value=min(1000, 1000 * elapsed / total))
            if elapsed >= total:
                if self.spec.sound:
                    self.chime = play_chime()
                self._final(WindowAnswer(Choice.DONE, moved=self._moved()))
                return
        self.root.after(TICK_MS, self._tick)

    # -- test layout ------------------------------------------------------------------

    def _watch_layout(self) -> None:
        if self._layout_file is not None:
            self.root.after(50, self._write_layout, self._layout_file, self._phase)

    def _write_layout(self, layout_file: Path, phase: str) -> None:
        """Write where the buttons are once the view is on screen (for GUI tests)."""
        if self._finished or phase != self._phase:
            return
        if not self.root.winfo_viewable():
            # Polled: Tk's wait_visibility() can hang once update_idletasks() has run.
            self.root.after(50, self._write_layout, layout_file, phase)
            return
        self.root.update_idletasks()

        def centre(w: tk.Misc) -> list[int]:
            return [w.winfo_rootx() + w.winfo_width() // 2, w.winfo_rooty() + w.winfo_height() // 2]

        root = self.root
        frame = [root.winfo_rootx(), root.winfo_rooty(), root.winfo_width(), root.winfo_height()]
        layout = {
            "phase": phase,
            "buttons": {name: centre(b) for name, b in self._buttons.items()},
            "window": frame,
        }
        # Written aside and renamed, so a test polling for it never reads half a file.
        partial = layout_file.with_name(layout_file.name + ".part")
        partial.write_text(json.dumps(layout), encoding="utf-8")
        partial.replace(layout_file)


def _keep_focus_elsewhere(root: tk.Tk) -> None:
    """Ask the window manager not to focus the window on map (EWMH ``_NET_WM_USER_TIME`` 0).

    Focus-stealing prevention in mutter, KWin, xfwm4 and Openbox honours it; without a window
    manager nothing gives the window focus anyway. Best effort: python-xlib is optional here.
    """
    if root.tk.call("tk", "windowingsystem") != "x11":
        return
    try:
        from Xlib import Xatom, display

        root.winfo_pointerxy()  # a round trip: Tk's wrapper window now exists on the server
        xdisplay = display.Display(root.winfo_screen())
        try:
            # Tk's wrapper (the parent of the toplevel) is the window the WM manages.
            inner = xdisplay.create_resource_object("window", root.winfo_id())
            tree = inner.query_tree()
            window = tree.parent
            if window == tree.root:
                raise RuntimeError("Tk has not made its wrapper window yet")
            atom = xdisplay.intern_atom("_NET_WM_USER_TIME")
            window.change_property(atom, Xatom.CARDINAL, 32, [0])
            xdisplay.sync()  # a round trip, so an X error shows up here, not never
        finally:
            xdisplay.close()
    except Exception as exc:  # noqa: BLE001  any Xlib failure only costs this nicety
        print(f"posturebreak: could not set _NET_WM_USER_TIME ({exc})", file=sys.stderr)


def _write_answer(answer: WindowAnswer) -> None:
    try:
        sys.stdout.write(answer_to_json(answer) + "\n")
        sys.stdout.flush()
    except OSError:
        pass  # the app went away; nobody is left to tell


def main() -> int:
    """Run the window: spec on stdin, answers on stdout. Returns the exit status."""
    line = sys.stdin.readline()
    if not line.strip():
        print("posturebreak: no window spec on stdin (expected one JSON line)", file=sys.stderr)
        return 2
    try:
        spec = spec_from_json(line)
    except ValueError as exc:
        print(f"posturebreak: {exc}", file=sys.stderr)
        return 2
    try:
        root = tk.Tk(className="posturebreak")
    except tk.TclError as exc:
        print(f"posturebreak: cannot open the break window ({exc})", file=sys.stderr)
        return 1
    root.withdraw()
    root.attributes("-topmost", True)  # noqa: FBT003  Tk's own option syntax
    layout = os.environ.get(LAYOUT_ENV)
    window = BreakWindow(root, spec, _write_answer, Path(layout) if layout else None)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        window.request_close()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    root.update_idletasks()
    _keep_focus_elsewhere(root)
    root.deiconify()
    root.mainloop()
    finish_chime(window.chime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
