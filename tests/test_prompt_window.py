"""The break window: its stdin/stdout protocol, and the real Tk window clicked with xdotool."""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from posturebreak.core.domain import BreakKind, Choice
from posturebreak.frontends.desktop.prompt import (
    PromptLauncher,
    SpecError,
    WindowAnswer,
    WindowSpec,
    answer_from_json,
    answer_to_json,
    spec_from_json,
    spec_to_json,
    window_available,
)

REPO = Path(__file__).resolve().parents[1]
WALK_GREEN = (0x15, 0x83, 0x4F)


def make_spec(picture: Path | None = None, **changes: object) -> WindowSpec:
    spec = WindowSpec(
        phase="prompt",
        kind=BreakKind.WALK,
        duration=timedelta(minutes=5),
        title="Time to walk",
        subtitle="Today's walk: 7 min — 1 more than last week",
        exercise_title="Walk tall",
        exercise_steps=(
            "Stand tall with your head up and your eyes forward.",
            "Keep your shoulders relaxed and down.",
            "Take comfortable steps; walk as far as feels good today.",
        ),
        exercise_tip="Take your water bottle and refill it.",
        picture=picture,
        snooze_choices=(timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15)),
        snoozes_left=2,
        sound=False,
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


# -- the protocol (no display) ---------------------------------------------------------


def test_spec_survives_the_trip_through_json():
    spec = make_spec(picture=Path("/x/walk.png"), phase="break", snoozes_left=0)
    assert spec_from_json(spec_to_json(spec)) == spec


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"phase": "later"}', "phase 'later'"),
    ],
)
def test_a_malformed_spec_is_named(text, complaint):
    with pytest.raises(SpecError, match=complaint):
        spec_from_json(text)


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("kind", "jog", "unknown break kind 'jog'"),
        ("duration_s", -5, "'duration_s' must be a positive number"),
        ("snoozes_left", True, "'snoozes_left' is missing or not a integer"),
        ("snooze_s", [300, 0], "'snooze_s' must be a positive number"),
        ("exercise_steps", ["ok", 3], "list of strings"),
        ("title", None, "'title' is missing"),
    ],
)
def test_a_bad_field_is_named(key, value, complaint):
    data = json.loads(spec_to_json(make_spec()))
    data[key] = value
    with pytest.raises(ValueError, match=complaint):
        spec_from_json(json.dumps(data))


def test_answers_survive_the_trip_through_json():
    answers = [
        WindowAnswer(Choice.START),
        WindowAnswer(Choice.SNOOZE, snooze=timedelta(minutes=10)),
        WindowAnswer(Choice.SKIP),
        WindowAnswer(Choice.DONE, moved=timedelta(seconds=61.5)),
        WindowAnswer(Choice.STOP, moved=timedelta(seconds=3)),
    ]
    assert [answer_from_json(answer_to_json(a)) for a in answers] == answers


@pytest.mark.parametrize("line", ['{"choice": "dance"}', '{"choice": "snooze"}', '"start"'])
def test_a_junk_answer_line_is_refused(line):
    with pytest.raises(ValueError, match=r"."):
        answer_from_json(line)


def run_window(stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DISPLAY", None)  # a bad spec must be refused before any window is tried
    return subprocess.run(
        [sys.executable, "-m", "posturebreak.frontends.desktop.prompt_window"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("stdin", "complaint"),
    [("", "no window spec on stdin"), ('{"phase": "prompt"}\n', "'kind' is missing")],
)
def test_the_window_refuses_a_bad_spec_with_one_line_and_status_2(stdin, complaint):
    result = run_window(stdin)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_chime_is_a_short_soft_wav():
    from posturebreak.frontends.desktop.prompt_look import chime_wav

    with wave.open(io.BytesIO(chime_wav())) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        seconds = wav.getnframes() / wav.getframerate()
        samples = memoryview(wav.readframes(wav.getnframes())).cast("h")
    assert 0.3 < seconds < 1.5
    peak = max(abs(s) for s in samples)
    assert 1000 < peak < 0.4 * 32767  # audible, but well below full scale
    assert abs(samples[0]) < 200  # fades in: no click at the start
    assert max(abs(s) for s in samples[-100:]) < 0.1 * peak  # and dies away


def test_no_window_without_a_display():
    if sys.platform in ("win32", "darwin"):
        pytest.skip("these platforms always have a display")
    assert not window_available({})
    assert window_available({"DISPLAY": ":0"})
    assert window_available({"WAYLAND_DISPLAY": "wayland-0"})


def test_the_launcher_module_does_not_load_tkinter():
    code = "import sys, posturebreak.frontends.desktop.prompt; print('tkinter' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_closing_a_launcher_that_never_showed_is_harmless():
    launcher = PromptLauncher(lambda _a: None, env={})
    launcher.close()
    launcher.close()
    assert not launcher.is_open()


# -- the real window -------------------------------------------------------------------


class Window:
    """A launched break window and what it answered."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.layout_file = tmp_path / "layout.json"
        self.answers: queue.Queue[WindowAnswer] = queue.Queue()
        env = {
            **os.environ,
            "POSTUREBREAK_HOME": str(tmp_path),
            "POSTUREBREAK_TEST_LAYOUT": str(self.layout_file),
        }
        self.launcher = PromptLauncher(self.answers.put, env=env)

    def show(self, spec: WindowSpec) -> dict[str, object]:
        self.layout_file.unlink(missing_ok=True)
        self.launcher.show(spec)
        return self.layout("break" if spec.phase == "break" else "prompt")

    def layout(self, phase: str) -> dict[str, object]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.layout_file.exists():
                layout: dict[str, object] = json.loads(self.layout_file.read_text())
                if layout["phase"] == phase:
                    return layout
            assert self.launcher.is_open(), "the window exited before it was shown"
            time.sleep(0.05)
        raise AssertionError(f"the window never laid out its {phase} view")

    def click(self, layout: dict[str, object], button: str) -> None:
        buttons = layout["buttons"]
        assert isinstance(buttons, dict)
        x, y = buttons[button]
        xdotool("mousemove", str(x), str(y), "click", "1")

    def answer(self) -> WindowAnswer:
        try:
            return self.answers.get(timeout=20)
        except queue.Empty:
            raise AssertionError("the window gave no answer") from None

    def wait_closed(self) -> None:
        deadline = time.monotonic() + 20
        while self.launcher.is_open():
            assert time.monotonic() < deadline, "the window stayed open"
            time.sleep(0.05)

    def window_id(self) -> str:
        found = xdotool("search", "--classname", "posturebreak").split()
        assert len(found) == 1, f"expected one posturebreak window, found {found}"
        return found[0]


def press(window: Window, key: str) -> None:
    """Send ``key`` to the window. Not checked: a key that closes the window makes xdotool's
    key-release land on a window that is gone (BadWindow); the answer is what counts."""
    subprocess.run(
        ["xdotool", "key", "--window", window.window_id(), key],
        capture_output=True,
        timeout=10,
        check=False,
    )


def xdotool(*args: str) -> str:
    result = subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, timeout=10, check=False
    )
    assert result.returncode == 0, f"xdotool {' '.join(args)}: {result.stderr.strip()}"
    return result.stdout


@pytest.fixture
def picture(tmp_path) -> Path:
    """The shipped walk picture, or a stand-in (480x360) drawn here when it is not there."""
    from PIL import Image, ImageDraw

    shipped = REPO / "assets" / "exercises" / "walk-tall.png"
    if shipped.exists():
        return shipped
    img = Image.new("RGB", (480, 360), "#e3f1e9")
    draw = ImageDraw.Draw(img)
    draw.ellipse((205, 40, 275, 110), fill="#15834f")
    draw.line((240, 110, 240, 230), fill="#15834f", width=22)
    draw.line((240, 230, 200, 320), fill="#15834f", width=20)
    draw.line((240, 230, 285, 315), fill="#15834f", width=20)
    draw.line((240, 140, 190, 200), fill="#15834f", width=16)
    draw.line((240, 140, 292, 190), fill="#15834f", width=16)
    path = tmp_path / "walk.png"
    img.save(path)
    return path


@pytest.fixture
def window(tmp_path, monkeypatch) -> Iterator[Window]:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool)")
    if not window_available():
        pytest.skip("no display: Xvfb is missing (apt-get install xvfb)")
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))
    win = Window(tmp_path)
    yield win
    win.launcher.close()


@pytest.mark.gui
def test_clicking_snooze_snoozes_by_the_first_choice_and_closes(window, picture):
    layout = window.show(make_spec(picture))
    window.click(layout, "snooze")
    assert window.answer() == WindowAnswer(Choice.SNOOZE, snooze=timedelta(minutes=5))
    window.wait_closed()


@pytest.mark.gui
def test_the_other_snooze_choices_are_buttons_too(window):
    layout = window.show(make_spec())
    window.click(layout, "snooze_900")
    assert window.answer() == WindowAnswer(Choice.SNOOZE, snooze=timedelta(minutes=15))


@pytest.mark.gui
def test_clicking_skip_skips(window):
    layout = window.show(make_spec())
    window.click(layout, "skip")
    assert window.answer() == WindowAnswer(Choice.SKIP)
    window.wait_closed()


@pytest.mark.gui
def test_start_runs_the_countdown_to_done(window):
    layout = window.show(make_spec(duration=timedelta(seconds=1)))
    window.click(layout, "start")
    assert window.answer() == WindowAnswer(Choice.START)
    done = window.answer()
    assert done.choice is Choice.DONE
    assert done.moved is not None
    assert timedelta(seconds=0.9) <= done.moved < timedelta(seconds=10)
    window.wait_closed()


@pytest.mark.gui
def test_done_pressed_early_stops_the_break_with_the_time_moved(window):
    layout = window.show(make_spec(duration=timedelta(minutes=2)))
    window.click(layout, "start")
    assert window.answer().choice is Choice.START
    window.click(window.layout("break"), "done")
    stop = window.answer()
    assert stop.choice is Choice.STOP
    assert stop.moved is not None
    assert stop.moved < timedelta(minutes=1)


def send_wm_delete(window_id: str) -> None:
    """What a window manager's close button does: a WM_DELETE_WINDOW client message."""
    from Xlib import X, display
    from Xlib.protocol import event

    xdisplay = display.Display()
    try:
        win = xdisplay.create_resource_object("window", int(window_id))
        protocols = xdisplay.intern_atom("WM_PROTOCOLS")
        delete = xdisplay.intern_atom("WM_DELETE_WINDOW")
        message = event.ClientMessage(
            window=win, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        win.send_event(message)
        xdisplay.flush()
    finally:
        xdisplay.close()


@pytest.mark.gui
def test_a_break_started_from_the_tray_and_closed_stops(window):
    layout = window.show(make_spec(phase="break", title="Walk break"))
    assert set(layout["buttons"]) == {"done"}  # type: ignore[arg-type]
    send_wm_delete(window.window_id())
    stop = window.answer()
    assert stop.choice is Choice.STOP
    assert stop.moved is not None
    window.wait_closed()


@pytest.mark.gui
def test_closing_the_question_counts_as_skip(window):
    window.show(make_spec())
    send_wm_delete(window.window_id())
    assert window.answer() == WindowAnswer(Choice.SKIP)


@pytest.mark.gui
def test_with_no_snoozes_left_snooze_does_nothing(window):
    layout = window.show(make_spec(snoozes_left=0))
    window.click(layout, "snooze")
    press(window, "s")
    # Skip proves the window was listening all along: its answer is the first one.
    window.click(layout, "skip")
    assert window.answer() == WindowAnswer(Choice.SKIP)
    assert window.answers.empty()


@pytest.mark.gui
def test_enter_starts_and_enter_again_finishes(window):
    window.show(make_spec(duration=timedelta(minutes=2)))
    press(window, "Return")
    assert window.answer() == WindowAnswer(Choice.START)
    window.layout("break")
    press(window, "Return")
    assert window.answer().choice is Choice.STOP


@pytest.mark.gui
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("Escape", WindowAnswer(Choice.SKIP)),
        ("s", WindowAnswer(Choice.SNOOZE, snooze=timedelta(minutes=5))),
    ],
)
def test_keyboard_shortcuts_answer(window, key, expected):
    window.show(make_spec())
    press(window, key)
    assert window.answer() == expected


def x_property(window_id: str, name: str) -> str:
    return subprocess.run(
        ["xprop", "-id", window_id, name], capture_output=True, text=True, timeout=10, check=True
    ).stdout


@pytest.mark.gui
def test_the_window_is_ours_on_top_and_does_not_ask_for_focus(window):
    if shutil.which("xprop") is None:
        pytest.skip("xprop is not installed (apt-get install x11-utils)")
    window.show(make_spec())
    window_id = window.window_id()
    assert '"posturebreak"' in x_property(window_id, "WM_CLASS")
    assert "_NET_WM_STATE_ABOVE" in x_property(window_id, "_NET_WM_STATE")
    assert x_property(window_id, "_NET_WM_USER_TIME").strip().endswith("= 0")
    assert "posturebreak — Time to walk" in x_property(window_id, "_NET_WM_NAME")


@pytest.mark.gui
def test_the_engine_closing_the_window_gives_no_answer(window):
    layout = window.show(make_spec())
    window.launcher.close()
    assert not window.launcher.is_open()
    assert window.answers.empty()
    assert layout["phase"] == "prompt"


@pytest.mark.gui
def test_sigterm_closes_the_window_cleanly_without_an_answer(window):
    layout_file = window.tmp_path / "direct.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "POSTUREBREAK_TEST_LAYOUT": str(layout_file)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "posturebreak.frontends.desktop.prompt_window"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        proc.stdin.write(spec_to_json(make_spec()) + "\n")  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        while not layout_file.exists():
            assert proc.poll() is None, "the window exited before it was shown"
            assert time.monotonic() < deadline, "the window never showed"
            time.sleep(0.05)
        proc.terminate()
        proc.wait(20)
        out = proc.stdout.read()  # type: ignore[union-attr]
        err = proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == 0, err
    assert out == ""


def screenshot(window: Window, layout: dict[str, object], name: str) -> Path:
    """The window's area of the screen as ``name`` (ImageMagick reads any Xvfb depth)."""
    from PIL import Image

    x, y, w, h = layout["window"]  # type: ignore[misc]
    time.sleep(0.3)  # let Tk finish painting before the grab
    path = window.tmp_path / name
    subprocess.run(["import", "-window", "root", str(path)], timeout=30, check=True)
    with Image.open(path) as screen:
        screen.convert("RGB").crop((x, y, x + w, y + h)).save(path)
    if os.environ.get("POSTUREBREAK_UPDATE_DOCS"):
        shutil.copy(path, REPO / "docs" / name)
    return path


def accent_pixels(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
        return sum(
            1
            for p in rgb.get_flattened_data()
            if all(abs(a - b) < 12 for a, b in zip(p, WALK_GREEN, strict=True))
        )


@pytest.mark.gui
def test_screenshots_show_the_prompt_and_the_countdown_in_the_kind_colour(window, picture):
    if shutil.which("import") is None:
        pytest.skip("ImageMagick's import is not installed (apt-get install imagemagick)")
    # As the app shows it: the walk lasts what the walking plan's line says.
    layout = window.show(make_spec(picture, duration=timedelta(minutes=7)))
    prompt_png = screenshot(window, layout, "break-window.png")
    window.click(layout, "start")
    countdown = window.layout("break")
    time.sleep(1.5)  # a moment into the break, so the bar shows progress
    countdown_png = screenshot(window, window.layout("break"), "break-countdown.png")
    # The walk's green paints the top strip, the kicker and the Start/Done buttons.
    assert accent_pixels(prompt_png) > 2000
    assert accent_pixels(countdown_png) > 2000
    assert countdown["buttons"] != layout["buttons"]
