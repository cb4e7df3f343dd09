"""DesktopFrontEnd with recording fakes: every engine call, window answer and menu action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posturebreak.core.commands import FinishBreak, PauseFor, Skip, Snooze, StartBreak, TakeBreak
from posturebreak.core.domain import BreakKind, Choice, Mode
from posturebreak.core.effects import BeginBreak, EndBreak, Notify, ShowPrompt, StatusView
from posturebreak.core.exercises import Exercise, ExerciseLibrary
from posturebreak.core.settings import Settings
from posturebreak.frontends.desktop.frontend import DesktopFrontEnd
from posturebreak.frontends.desktop.menu import AppAction, MenuItem
from posturebreak.frontends.desktop.prompt import WindowAnswer, WindowSpec
from posturebreak.messages import Do, Quit
from posturebreak.paths import resolve

NOW = datetime(2024, 5, 6, 10, 0, tzinfo=timezone.utc)
DISPLAY_ENV = {"DISPLAY": ":99"}
CARD = Exercise(
    id="walk-tall",
    title="Walk tall",
    kinds=frozenset({BreakKind.WALK}),
    area="legs",
    steps=("Stand tall.", "Walk on."),
    tip="Bring water.",
    picture="walk-tall.png",
)


@dataclass
class FakeLauncher:
    shown: list[WindowSpec] = field(default_factory=list)
    closes: int = 0
    open: bool = False

    def show(self, spec: WindowSpec) -> None:
        self.shown.append(spec)
        self.open = True

    def close(self) -> None:
        self.closes += 1
        self.open = False

    def is_open(self) -> bool:
        return self.open


@dataclass
class Recorder:
    items: list[object] = field(default_factory=list)

    def __call__(self, item: object = None) -> None:
        self.items.append(item)


@dataclass
class FakeNotifier:
    notes: list[tuple[str, str]] = field(default_factory=list)

    def notify(self, title: str, message: str) -> None:
        self.notes.append((title, message))


@dataclass
class FakeTray:
    views: list[StatusView] = field(default_factory=list)
    refreshes: int = 0

    def update(self, view: StatusView) -> None:
        self.views.append(view)

    def refresh_menu(self) -> None:
        self.refreshes += 1


@dataclass
class FakeControls:
    shown: list[tuple[object, ...]] = field(default_factory=list)

    def show(self, entries: tuple[object, ...]) -> None:
        self.shown.append(entries)


@dataclass
class Rig:
    front: DesktopFrontEnd
    posted: Recorder
    launcher: FakeLauncher
    notifier: FakeNotifier
    tray: FakeTray
    week: Recorder
    settings_opened: Recorder
    controls: FakeControls


def make_rig(tmp_path: Path, *, env: dict[str, str] | None = None, with_window: bool = True) -> Rig:
    picture_dir = tmp_path / "pictures"
    picture_dir.mkdir(exist_ok=True)
    (picture_dir / CARD.picture).write_bytes(b"png")
    rig = Rig(
        front=None,  # type: ignore[arg-type]
        posted=Recorder(),
        launcher=FakeLauncher(),
        notifier=FakeNotifier(),
        tray=FakeTray(),
        week=Recorder(),
        settings_opened=Recorder(),
        controls=FakeControls(),
    )
    environ = {**DISPLAY_ENV, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    rig.front = DesktopFrontEnd(
        rig.posted,
        settings=Settings(),
        paths=resolve({"POSTUREBREAK_HOME": str(tmp_path)}),
        library=ExerciseLibrary((CARD,), picture_dir=picture_dir),
        env=environ if env is None else env,
        tray=rig.tray,
        launcher=rig.launcher if with_window else None,  # type: ignore[arg-type]
        notifier=rig.notifier,
        open_week=rig.week,
        open_settings=rig.settings_opened,
        controls=rig.controls,
    )
    return rig


@pytest.fixture
def rig(tmp_path, monkeypatch) -> Rig:
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))
    return make_rig(tmp_path)


def prompt(kind: BreakKind = BreakKind.WALK) -> ShowPrompt:
    return ShowPrompt(
        kind=kind,
        duration=timedelta(minutes=5),
        snooze_choices=(timedelta(minutes=5), timedelta(minutes=10)),
        snoozes_left=2,
        deadline=NOW + timedelta(minutes=5),
    )


def begin(kind: BreakKind = BreakKind.WALK) -> BeginBreak:
    return BeginBreak(kind, timedelta(minutes=5), NOW + timedelta(minutes=5))


def view(mode: Mode = Mode.WORKING) -> StatusView:
    return StatusView(
        mode=mode,
        now=NOW,
        next_kind=BreakKind.WALK,
        next_at=NOW + timedelta(minutes=12),
        ring=0.5,
        snooze_choices=(timedelta(minutes=5),),
        snoozes_left=3,
    )


# --- engine calls ---------------------------------------------------------------------


def test_a_prompt_opens_the_window_with_the_card_picture_and_snooze_choices(rig):
    rig.front.show_prompt(prompt(), CARD)
    (spec,) = rig.launcher.shown
    assert spec.phase == "prompt"
    assert spec.kind is BreakKind.WALK
    assert spec.title == "Time to walk"
    assert spec.exercise_title == "Walk tall"
    assert spec.exercise_steps == CARD.steps
    assert spec.picture is not None
    assert spec.picture.name == "walk-tall.png"
    assert spec.snooze_choices == (timedelta(minutes=5), timedelta(minutes=10))
    assert spec.snoozes_left == 2
    assert rig.notifier.notes == []


def test_a_card_whose_picture_is_missing_is_shown_without_one(rig, tmp_path):
    (tmp_path / "pictures" / CARD.picture).unlink()
    rig.front.show_prompt(prompt(), CARD)
    assert rig.launcher.shown[0].picture is None


@pytest.mark.parametrize(
    ("answer", "command"),
    [
        (WindowAnswer(Choice.START), StartBreak()),
        (WindowAnswer(Choice.SNOOZE, snooze=timedelta(minutes=10)), Snooze(timedelta(minutes=10))),
        (WindowAnswer(Choice.SKIP), Skip()),
        (
            WindowAnswer(Choice.DONE, moved=timedelta(minutes=5)),
            FinishBreak(timedelta(minutes=5), completed=True),
        ),
        (
            WindowAnswer(Choice.STOP, moved=timedelta(seconds=40)),
            FinishBreak(timedelta(seconds=40), completed=False),
        ),
    ],
)
def test_window_answers_become_engine_commands(rig, answer, command):
    rig.front.on_window_answer(answer)
    assert rig.posted.items == [Do(command)]


def test_start_in_the_window_keeps_that_window_for_the_countdown(rig):
    rig.front.show_prompt(prompt(), CARD)
    rig.front.on_window_answer(WindowAnswer(Choice.START))
    # What the engine does next for StartBreak: ClosePrompt("answered"), then BeginBreak.
    rig.front.close_prompt("answered")
    rig.front.begin_break(begin(), CARD)
    assert rig.launcher.closes == 0
    assert len(rig.launcher.shown) == 1


def test_a_break_taken_from_the_tray_opens_the_countdown(rig):
    rig.front.begin_break(begin(BreakKind.STRETCH), None)
    (spec,) = rig.launcher.shown
    assert spec.phase == "break"
    assert spec.kind is BreakKind.STRETCH
    assert spec.picture is None


def test_taking_a_break_from_the_tray_while_prompted_replaces_the_question(rig):
    rig.front.show_prompt(prompt(), CARD)
    rig.front.close_prompt("answered")
    rig.front.begin_break(begin(), CARD)
    assert rig.launcher.closes == 1
    assert [s.phase for s in rig.launcher.shown] == ["prompt", "break"]


def test_a_window_start_whose_window_died_reopens_the_countdown(rig):
    rig.front.show_prompt(prompt(), CARD)
    rig.front.on_window_answer(WindowAnswer(Choice.START))
    rig.launcher.open = False
    rig.front.begin_break(begin(), CARD)
    assert [s.phase for s in rig.launcher.shown] == ["prompt", "break"]


def test_a_timed_out_prompt_closes_the_window(rig):
    rig.front.show_prompt(prompt(), CARD)
    rig.front.close_prompt("timeout")
    assert rig.launcher.closes == 1


def test_a_break_that_ran_its_time_lets_the_window_finish_itself(rig):
    rig.front.begin_break(begin(), CARD)
    rig.front.end_break(EndBreak(BreakKind.WALK, completed=True))
    assert rig.launcher.closes == 0


def test_a_break_ended_from_the_tray_closes_the_countdown(rig):
    rig.front.begin_break(begin(), CARD)
    rig.front.end_break(EndBreak(BreakKind.WALK, completed=False))
    assert rig.launcher.closes == 1


def test_status_goes_to_the_tray_and_notices_to_the_notifier(rig):
    rig.front.show_status(view())
    rig.front.notify(Notify("Walk in 30 s", "Finish your sentence."))
    assert rig.tray.views == [view()]
    assert rig.notifier.notes == [("Walk in 30 s", "Finish your sentence.")]


# --- no window ------------------------------------------------------------------------


def test_without_a_display_a_prompt_becomes_a_notification_with_instructions(tmp_path):
    rig = make_rig(tmp_path, env={})
    assert not rig.front.has_window
    rig.front.show_prompt(prompt(), CARD)
    rig.front.close_prompt("timeout")
    rig.front.begin_break(begin(), CARD)
    rig.front.end_break(EndBreak(BreakKind.WALK, completed=True))
    assert rig.launcher.shown == []
    assert rig.launcher.closes == 0
    (title, message), (break_title, _), (done, _) = rig.notifier.notes
    assert title == "Walk break due"
    assert "tray menu" in message
    assert "`posturebreak break walk`" in message
    assert break_title == "Walk break: 5 min"
    assert done == "Walk break done"


def test_without_a_launcher_prompts_are_notifications_too(tmp_path):
    rig = make_rig(tmp_path, with_window=False)
    rig.front.show_prompt(prompt(BreakKind.STAND), None)
    assert rig.notifier.notes[0][0] == "Stand break due"


# --- menu actions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [TakeBreak(BreakKind.WALK), Skip(), Snooze(timedelta(minutes=5)), PauseFor(timedelta(hours=1))],
)
def test_menu_commands_go_to_the_engine(rig, command):
    rig.front.dispatch(command)
    assert rig.posted.items == [Do(command)]


def test_menu_quit_week_and_settings(rig):
    rig.front.dispatch(AppAction.QUIT)
    rig.front.dispatch(AppAction.SHOW_WEEK)
    rig.front.dispatch(AppAction.OPEN_SETTINGS)
    assert rig.posted.items == [Quit()]
    assert len(rig.week.items) == 1
    assert len(rig.settings_opened.items) == 1


def test_toggling_autostart_writes_and_removes_the_login_entry(rig, tmp_path):
    entry = tmp_path / "cfg" / "autostart" / "posturebreak.desktop"
    rig.front.dispatch(AppAction.TOGGLE_AUTOSTART)
    assert entry.is_file()
    assert rig.front.autostart_enabled()
    rig.front.dispatch(AppAction.TOGGLE_AUTOSTART)
    assert not entry.exists()
    assert rig.tray.refreshes == 2
    assert rig.notifier.notes == []


def test_an_autostart_failure_is_a_notification_not_a_crash(rig, tmp_path):
    # A file where the autostart directory should be: the entry cannot be written.
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "autostart").write_text("not a directory")
    rig.front.dispatch(AppAction.TOGGLE_AUTOSTART)
    ((title, message),) = rig.notifier.notes
    assert title == "Start at login was not changed"
    assert message


def test_show_controls_opens_the_menu_as_a_window(rig):
    rig.front.dispatch(AppAction.SHOW_CONTROLS)
    assert rig.controls.shown == []  # nothing to show before the first status
    rig.front.show_status(view(Mode.PROMPTING))
    rig.front.dispatch(AppAction.SHOW_CONTROLS)
    (entries,) = rig.controls.shown
    labels = [e.label for e in entries if isinstance(e, MenuItem)]
    assert "Quit" in labels
    assert "Skip this break" in labels
