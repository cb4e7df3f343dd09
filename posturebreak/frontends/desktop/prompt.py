"""Launches the break window in its own process and turns its answers into ``WindowAnswer``.

Tk and pystray must never share a main loop, so the window (``prompt_window.py``) runs as
``python -m posturebreak.frontends.desktop.prompt_window``. The launcher sends it one JSON line (the
``WindowSpec``) on stdin and reads its answers, one JSON line each, on a reader thread.

This module is imported by the tray front end and must stay free of tkinter.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Literal

from posturebreak.core.domain import BreakKind, Choice

log = logging.getLogger(__name__)

WINDOW_MODULE = "posturebreak.frontends.desktop.prompt_window"
LAYOUT_ENV = "POSTUREBREAK_TEST_LAYOUT"
_TERMINATE_GRACE_S = 2.0

Phase = Literal["prompt", "break"]


class SpecError(ValueError):
    """The window spec on stdin is not one the window can show."""


@dataclass(frozen=True)
class WindowSpec:
    """Everything the break window shows.

    ``phase`` "break" skips the question and goes straight to the countdown (a break
    started from the tray). ``picture`` is a 480x360 image shown at half size.
    """

    phase: Phase
    kind: BreakKind
    duration: timedelta
    title: str
    subtitle: str
    exercise_title: str
    exercise_steps: tuple[str, ...]
    exercise_tip: str
    picture: Path | None
    snooze_choices: tuple[timedelta, ...]
    snoozes_left: int
    sound: bool


@dataclass(frozen=True)
class WindowAnswer:
    """One answer from the window.

    ``snooze`` comes with SNOOZE; ``moved`` (real time spent in the break) with DONE and STOP.
    """

    choice: Choice
    snooze: timedelta | None = None
    moved: timedelta | None = None


def spec_to_json(spec: WindowSpec) -> str:
    """``spec`` as one line of JSON (the window's stdin protocol)."""
    return json.dumps(
        {
            "phase": spec.phase,
            "kind": spec.kind.value,
            "duration_s": spec.duration.total_seconds(),
            "title": spec.title,
            "subtitle": spec.subtitle,
            "exercise_title": spec.exercise_title,
            "exercise_steps": list(spec.exercise_steps),
            "exercise_tip": spec.exercise_tip,
            "picture": None if spec.picture is None else str(spec.picture),
            "snooze_s": [c.total_seconds() for c in spec.snooze_choices],
            "snoozes_left": spec.snoozes_left,
            "sound": spec.sound,
        },
        ensure_ascii=False,
    )


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:  # noqa: ANN401  JSON values are untyped until checked here
    value = data.get(key)
    # bool is an int in Python; a count or a length given as true/false is a mistake.
    if (
        value is None
        or isinstance(value, bool) is not (kind is bool)
        or not isinstance(value, kind)
    ):
        raise SpecError(f"bad window spec: {key!r} is missing or not a {_type_name(kind)}")
    return value


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return "number"
    return {str: "string", bool: "boolean", int: "integer", list: "list"}.get(kind, kind.__name__)


def _seconds(value: object, key: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise SpecError(f"bad window spec: {key!r} must be a positive number of seconds")
    return timedelta(seconds=value)


def spec_from_json(text: str) -> WindowSpec:
    """Parse the window's stdin line; ``ValueError`` says what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"bad window spec: not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise SpecError("bad window spec: expected a JSON object")
    phase = _field(data, "phase", str)
    if phase not in ("prompt", "break"):
        raise SpecError(f"bad window spec: phase {phase!r} (expected 'prompt' or 'break')")
    kind = BreakKind.parse(_field(data, "kind", str))
    steps = _field(data, "exercise_steps", list)
    if not all(isinstance(s, str) for s in steps):
        raise SpecError("bad window spec: 'exercise_steps' must be a list of strings")
    picture = data.get("picture")
    if picture is not None and not isinstance(picture, str):
        raise SpecError("bad window spec: 'picture' must be a path or null")
    snoozes = _field(data, "snooze_s", list)
    snoozes_left = _field(data, "snoozes_left", int)
    if snoozes_left < 0:
        raise SpecError("bad window spec: 'snoozes_left' must not be negative")
    return WindowSpec(
        phase="prompt" if phase == "prompt" else "break",
        kind=kind,
        duration=_seconds(data.get("duration_s"), "duration_s"),
        title=_field(data, "title", str),
        subtitle=_field(data, "subtitle", str),
        exercise_title=_field(data, "exercise_title", str),
        exercise_steps=tuple(steps),
        exercise_tip=_field(data, "exercise_tip", str),
        picture=None if picture is None else Path(picture),
        snooze_choices=tuple(_seconds(s, "snooze_s") for s in snoozes),
        snoozes_left=snoozes_left,
        sound=_field(data, "sound", bool),
    )


def answer_to_json(answer: WindowAnswer) -> str:
    """``answer`` as one line of JSON (the window's stdout protocol)."""
    data: dict[str, object] = {"choice": answer.choice.value}
    if answer.snooze is not None:
        data["snooze_s"] = round(answer.snooze.total_seconds(), 3)
    if answer.moved is not None:
        data["moved_s"] = round(answer.moved.total_seconds(), 3)
    return json.dumps(data)


def answer_from_json(text: str) -> WindowAnswer:
    """Parse one answer line from the window; ``ValueError`` when it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise SpecError(f"not an answer: {text!r}")
    choice = Choice(data.get("choice"))
    snooze = data.get("snooze_s")
    moved = data.get("moved_s")
    if choice is Choice.SNOOZE and not isinstance(snooze, (int, float)):
        raise ValueError(f"snooze answer without a length: {text!r}")
    if choice in (Choice.DONE, Choice.STOP) and not isinstance(moved, (int, float)):
        raise ValueError(f"{choice.value} answer without the time moved: {text!r}")
    return WindowAnswer(
        choice=choice,
        snooze=timedelta(seconds=snooze) if isinstance(snooze, (int, float)) else None,
        moved=timedelta(seconds=max(0.0, moved)) if isinstance(moved, (int, float)) else None,
    )


def window_available(env: Mapping[str, str] | None = None) -> bool:
    """Whether a break window can be shown: a display exists and tkinter imports."""
    env = os.environ if env is None else env
    if not (
        sys.platform in ("win32", "darwin") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    ):
        return False
    import importlib.util

    # find_spec, not import: loading _tkinter maps Tcl/Tk and libX11 (megabytes) into the
    # long-running app, while only the window's own process needs them.
    return all(importlib.util.find_spec(name) is not None for name in ("_tkinter", "tkinter"))


class PromptLauncher:
    """Starts, answers for and closes the break window process.

    ``show`` and ``close`` are called from one thread (the engine's or the front end's).
    ``on_answer`` is called from the launcher's reader thread (it must only enqueue).
    Answers from a window that was closed through ``close`` or ``show`` are dropped: the
    caller already decided that window's fate.
    """

    def __init__(
        self,
        on_answer: Callable[[WindowAnswer], None],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._on_answer = on_answer
        self._env = dict(os.environ if env is None else env)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def show(self, spec: WindowSpec) -> None:
        """Open the window for ``spec``, closing any window still open first."""
        self.close()
        proc = subprocess.Popen(
            [sys.executable, "-m", WINDOW_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self._child_env(),
            text=True,
            encoding="utf-8",
        )
        reader = threading.Thread(
            target=self._read_answers,
            args=(proc,),
            name="posturebreak-prompt-reader",
            daemon=True,
        )
        with self._lock:
            self._proc = proc
            self._reader = reader
        reader.start()
        stdin = proc.stdin
        if stdin is None:  # pragma: no cover - Popen(stdin=PIPE) always gives one
            return
        try:
            stdin.write(spec_to_json(spec) + "\n")
            stdin.close()
        except OSError as exc:  # the window died at once; its stderr says why
            log.warning("break window did not take its spec: %s", exc)

    def close(self) -> None:
        """Terminate the window process (SIGTERM, then kill after 2 s). Idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
            reader, self._reader = self._reader, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(_TERMINATE_GRACE_S)
            except subprocess.TimeoutExpired:
                log.warning("break window ignored SIGTERM; killing it")
                proc.kill()
                proc.wait()
        if reader is not None and reader is not threading.current_thread():
            reader.join(_TERMINATE_GRACE_S)

    def is_open(self) -> bool:
        """Whether the window process is running."""
        with self._lock:
            proc = self._proc
        return proc is not None and proc.poll() is None

    def _child_env(self) -> dict[str, str]:
        # The window runs ``-m posturebreak...``: make sure it finds this very package even
        # when it is run from a source checkout rather than installed.
        env = dict(self._env)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        return env

    def _read_answers(self, proc: subprocess.Popen[str]) -> None:
        stream: IO[str] | None = proc.stdout
        if stream is None:  # pragma: no cover - Popen(stdout=PIPE) always gives one
            return
        with stream:
            for line in stream:
                if not line.strip():
                    continue
                try:
                    answer = answer_from_json(line)
                except ValueError:
                    log.warning("ignoring a line from the break window: %r", line)
                    continue
                with self._lock:
                    current = self._proc is proc
                if current:
                    self._on_answer(answer)
        proc.wait()
        if proc.returncode not in (0, -15):
            log.warning("break window exited with status %s", proc.returncode)
