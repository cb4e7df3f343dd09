"""How the break window looks and sounds: colours, fonts, the ttk theme, the end chime.

Imported only by the window process (``prompt_window.py``) and its tests.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import tkinter as tk
import wave
from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk
from typing import Literal

from posturebreak.core.domain import BreakKind

ACCENTS = {BreakKind.STAND: "#1e6fd9", BreakKind.STRETCH: "#7e3ff2", BreakKind.WALK: "#15834f"}
BG = "#ffffff"
CARD = "#f2f4f7"
TEXT = "#1b2230"
MUTED = "#5d6675"

Chime = tuple[subprocess.Popen[bytes], Path]


def mix(colour: str, share: float, other: str = BG) -> str:
    """``colour`` blended toward ``other`` by ``share`` (0 = colour, 1 = other)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def make_fonts(root: tk.Misc) -> dict[str, tkfont.Font]:
    """The window's named fonts, all in the system's default family."""
    base = tkfont.nametofont("TkDefaultFont")
    base.configure(size=11)
    family = base.actual("family")

    def make(
        size: int,
        weight: Literal["normal", "bold"] = "normal",
        slant: Literal["roman", "italic"] = "roman",
    ) -> tkfont.Font:
        return tkfont.Font(root=root, family=family, size=size, weight=weight, slant=slant)

    return {
        "body": make(11),
        "bold": make(11, "bold"),
        "small": make(9),
        "kicker": make(9, "bold"),
        "title": make(20, "bold"),
        "card": make(12, "bold"),
        "tip": make(10, slant="italic"),
        "clock": make(44, "bold"),
    }


def apply_style(root: tk.Misc, accent: str, fonts: dict[str, tkfont.Font]) -> None:
    """A light, flat ttk theme in ``accent``: Primary/Secondary/Quiet buttons, card, bar."""
    style = ttk.Style(root)
    style.theme_use("clam")
    f = fonts
    style.configure(".", background=BG, foreground=TEXT, font=f["body"])
    style.configure("Card.TFrame", background=CARD)
    style.configure("Card.TLabel", background=CARD, foreground=TEXT)
    style.configure("CardTitle.TLabel", background=CARD, foreground=TEXT, font=f["card"])
    style.configure("Tip.TLabel", background=CARD, foreground=MUTED, font=f["tip"])
    style.configure("Muted.TLabel", foreground=MUTED)
    style.configure("Hint.TLabel", foreground=mix(MUTED, 0.3), font=f["small"])
    style.configure("Kicker.TLabel", foreground=accent, font=f["kicker"])
    style.configure("Title.TLabel", font=f["title"])
    style.configure("Clock.TLabel", foreground=accent, font=f["clock"])
    # width is a minimum in characters: Start stays broad, the snooze lengths stay compact.
    for name, bg, fg, border, width in (
        ("Primary", accent, "#ffffff", accent, -11),
        ("Secondary", "#eceff3", TEXT, "#d3d8df", -5),
        ("Quiet", BG, MUTED, BG, -5),
    ):
        style.configure(
            f"{name}.TButton",
            background=bg,
            foreground=fg,
            bordercolor=border,
            lightcolor=bg,
            darkcolor=bg,
            focuscolor=bg,
            padding=(16, 9),
            width=width,
            font=f["bold"] if name == "Primary" else f["body"],
        )
        style.map(
            f"{name}.TButton",
            background=[
                ("disabled", "#f4f5f7"),
                ("pressed", mix(bg, 0.2, "#000000")),
                ("active", mix(bg, 0.12, "#000000" if name == "Primary" else CARD)),
            ],
            foreground=[("disabled", "#a5acb8")],
            lightcolor=[("pressed", mix(bg, 0.2, "#000000"))],
            darkcolor=[("pressed", mix(bg, 0.2, "#000000"))],
            bordercolor=[("disabled", "#e3e6ea")],
        )
    style.configure(
        "Accent.Horizontal.TProgressbar",
        background=accent,
        troughcolor="#e6e9ee",
        bordercolor="#e6e9ee",
        lightcolor=accent,
        darkcolor=accent,
        thickness=8,
        borderwidth=0,
    )


def chime_wav(rate: int = 22050) -> bytes:
    """A soft two-note "ding" as a 16-bit mono WAV: sine partials with a gentle decay."""
    frames = bytearray()
    length = 0.9
    for i in range(int(rate * length)):
        t = i / rate
        attack = min(1.0, t / 0.01)  # a 10 ms fade-in avoids the click of a hard start
        tone = math.sin(2 * math.pi * 880 * t) + 0.35 * math.sin(2 * math.pi * 1320 * t)
        if t > 0.18:
            tone += 0.8 * math.sin(2 * math.pi * 1175 * t) * math.exp(-4.5 * (t - 0.18))
        frames += struct.pack("<h", int(9000 * attack * math.exp(-4.0 * t) * tone / 1.6))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def play_chime() -> Chime | None:
    """Start playing the chime with whatever player exists; ``None`` when there is none.

    Returns the player process and its temp file, for ``finish_chime`` to clean up.
    """
    data = chime_wav()
    if sys.platform == "win32":
        import winsound

        winsound.PlaySound(data, winsound.SND_MEMORY)
        return None
    player = next((p for p in ("paplay", "pw-play", "aplay", "afplay") if shutil.which(p)), None)
    if player is None:
        return None
    fd, name = tempfile.mkstemp(prefix="posturebreak-chime-", suffix=".wav")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    args = [player, "-q", name] if player == "aplay" else [player, name]
    try:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        Path(name).unlink(missing_ok=True)
        return None
    return proc, Path(name)


def finish_chime(chime: Chime | None) -> None:
    """Let a started chime finish (at most 3 s), then remove its temp file."""
    if chime is None:
        return
    proc, path = chime
    try:
        proc.wait(3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    path.unlink(missing_ok=True)
