"""The exercise library: shipped cards, their pictures, validation and the rotation."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from posturebreak.core.domain import BreakKind
from posturebreak.core.exercises import (
    Exercise,
    ExerciseLibrary,
    LibraryError,
    Posture,
    next_exercise,
)

REQUIRED_AREAS = {
    "upper_back",
    "neck",
    "chest",
    "shoulders",
    "hips",
    "calves",
    "wrists",
    "eyes",
    "walking",
}
ACCENT = (0xE0, 0x7A, 0x2F)


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path))


@pytest.fixture(scope="module")
def library() -> ExerciseLibrary:
    return ExerciseLibrary.load()


# --- the shipped library -------------------------------------------------------------------


def test_shipped_library_has_enough_cards_for_every_kind(library):
    assert len(library.exercises) >= 16
    for kind in BreakKind:
        assert len(library.for_kind(kind)) >= 4, kind


def test_shipped_library_covers_every_required_body_area(library):
    missing = REQUIRED_AREAS - library.areas
    assert not missing


def test_upper_back_has_several_cards(library):
    upper_back = [ex for ex in library.exercises if ex.area == "upper_back"]
    assert len(upper_back) >= 2


def test_shipped_cards_are_short_and_readable(library):
    for ex in library.exercises:
        assert 2 <= len(ex.steps) <= 4, ex.id
        for step in ex.steps:
            assert len(step) <= 70, (ex.id, step)
            assert step[0].isupper(), (ex.id, step)


# What a person would call a misfit, whatever the data says: an eye or seated card at
# "Time to stand", anything but a walk at "Time to walk".
def _fits(ex: Exercise, kind: BreakKind) -> bool:
    if kind is BreakKind.STAND:
        return ex.posture is Posture.STANDING and ex.area != "eyes"
    if kind is BreakKind.WALK:
        return ex.posture is Posture.WALKING
    return ex.posture is not Posture.WALKING


@pytest.mark.parametrize("kind", list(BreakKind))
def test_every_card_offered_for_a_kind_suits_it(library, kind):
    offered = library.for_kind(kind)
    assert offered
    misfits = [ex.id for ex in offered if not _fits(ex, kind)]
    assert misfits == []


def test_the_eye_break_is_never_offered_for_time_to_stand(library):
    stand = {ex.id for ex in library.for_kind(BreakKind.STAND)}
    assert "eye-break-20-20-20" not in stand
    assert not [ex.id for ex in library.for_kind(BreakKind.STAND) if ex.area == "eyes"]
    # Every stand card's steps are done on your feet, never "sit or stand".
    for ex in library.for_kind(BreakKind.STAND):
        assert "sit or stand" not in " ".join(ex.steps).lower(), ex.id


def test_every_walk_card_reminds_to_take_water(library):
    for ex in library.for_kind(BreakKind.WALK):
        assert "water" in ex.tip.lower(), ex.id


def test_shipped_wording_makes_no_medical_claims(library):
    claims = ("cure", "treat", "heal", "prevent", "guarantee", "diagnos")
    for ex in library.exercises:
        text = " ".join((ex.title, *ex.steps, ex.tip)).lower()
        assert not any(word in text for word in claims), ex.id


def test_get_finds_a_card_and_answers_none_for_an_unknown_id(library):
    first = library.exercises[0]
    assert library.get(first.id) == first
    assert library.get("no-such-exercise") is None


def _accent_and_dark_pixels(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        assert rgb.size == (480, 360), path.name
        accent = dark = 0
        data = rgb.tobytes()
        for r, g, b in zip(data[0::3], data[1::3], data[2::3], strict=True):
            if max(r, g, b) < 90:
                dark += 1
            elif abs(r - ACCENT[0]) + abs(g - ACCENT[1]) + abs(b - ACCENT[2]) < 60:
                accent += 1
    return accent, dark


def test_every_card_has_its_own_drawn_picture(library):
    contents = set()
    for ex in library.exercises:
        path = library.picture_path(ex)
        assert path.is_file(), f"missing picture {path}"
        accent, dark = _accent_and_dark_pixels(path)
        # A line drawing: real slate strokes and an orange accent, not a blank or flat image.
        assert dark > 800, (ex.id, dark)
        assert accent > 150, (ex.id, accent)
        contents.add(path.read_bytes())
    assert len(contents) == len(library.exercises), "two cards share one picture"


def test_contact_sheet_exists_for_the_readme():
    sheet = Path(__file__).resolve().parent.parent / "docs" / "exercises-sheet.png"
    with Image.open(sheet) as img:
        assert img.width >= 4 * 240


def test_importing_the_library_loads_no_imaging_or_gui_toolkit():
    code = (
        "import sys, posturebreak.core.exercises as e\n"
        "e.ExerciseLibrary.load()\n"
        "bad = {'PIL', 'tkinter', 'pystray', 'plyer', 'apscheduler'} & set(sys.modules)\n"
        "print(sorted(bad))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# --- rotation -----------------------------------------------------------------------------


def _run(library: ExerciseLibrary, kind: BreakKind, calls: int, shown=()) -> list[str]:
    history = list(shown)
    for _ in range(calls):
        history.append(next_exercise(library, kind, history).id)
    return history[len(shown) :]


@pytest.mark.parametrize("kind", list(BreakKind))
def test_rotation_shows_every_card_once_per_cycle_in_library_order(library, kind):
    ids = [ex.id for ex in library.for_kind(kind)]
    n = len(ids)
    sequence = _run(library, kind, n * 3)
    for cycle in range(3):
        assert sequence[cycle * n : (cycle + 1) * n] == ids


def test_rotation_ignores_ids_that_are_no_longer_in_the_library(library):
    ids = [ex.id for ex in library.for_kind(BreakKind.WALK)]
    shown = ["removed-card", ids[0], "another-old-one", ids[1]]
    assert next_exercise(library, BreakKind.WALK, shown).id == ids[2]


def test_rotation_continues_where_the_log_left_off(library):
    ids = [ex.id for ex in library.for_kind(BreakKind.STRETCH)]
    first_half = _run(library, BreakKind.STRETCH, 5)
    rest = _run(library, BreakKind.STRETCH, len(ids) - 5, shown=first_half)
    assert sorted(first_half + rest) == sorted(ids)


@pytest.mark.parametrize("kind", list(BreakKind))
def test_rotation_draws_only_cards_that_fit_the_kind(library, kind):
    drawn = _run(library, kind, 3 * len(library.exercises))
    cards = [library.get(i) for i in drawn]
    assert all(ex is not None and _fits(ex, kind) for ex in cards), drawn


def test_rotation_skips_a_card_whose_posture_does_not_fit_even_if_it_lists_the_kind():
    # Built by hand, past the loader that would refuse it: selection checks the fit too.
    seated = Exercise(
        "seated", "A card", frozenset({BreakKind.STAND}), "neck", ("a", "b"), "", "", Posture.SEATED
    )
    standing = replace(seated, id="standing", posture=Posture.STANDING)
    lib = ExerciseLibrary((seated, standing), picture_dir=Path("/nonexistent"))
    assert _run(lib, BreakKind.STAND, 4) == ["standing"] * 4


def test_rotation_with_a_single_card_repeats_it():
    lib = ExerciseLibrary.from_toml(_card("only-one", kinds='["walk"]'))
    assert _run(lib, BreakKind.WALK, 3) == ["only-one"] * 3


def test_rotation_refuses_a_kind_with_no_cards():
    lib = ExerciseLibrary.from_toml(_card("stretchy", kinds='["stretch"]'))
    with pytest.raises(LibraryError, match="walk"):
        next_exercise(lib, BreakKind.WALK, [])


@given(
    history=st.lists(
        st.sampled_from(["a", "b", "c", "d", "gone", "old"]),
        max_size=30,
    )
)
def test_rotation_after_any_history_shows_all_cards_before_repeating(history):
    lib = ExerciseLibrary.from_toml(
        "".join(_card(i, kinds='["stand"]') for i in ("a", "b", "c", "d")),
        picture_dir=Path("/nonexistent"),
    )
    following = _run(lib, BreakKind.STAND, 8, shown=history)
    assert sorted(following[:4]) == ["a", "b", "c", "d"]
    assert sorted(following[4:]) == ["a", "b", "c", "d"]


# --- validation ---------------------------------------------------------------------------


def _card(
    ex_id: str = "neck-roll",
    *,
    kinds: str = '["stretch"]',
    steps: str = '["Sit tall.", "Turn your head slowly."]',
    extra: str = "",
    posture: str | None = None,
) -> str:
    if posture is None:
        posture = "walking" if "walk" in kinds else "standing" if "stand" in kinds else "either"
    return (
        f'[[exercise]]\nid = "{ex_id}"\ntitle = "A card"\nkinds = {kinds}\n'
        f'posture = "{posture}"\narea = "neck"\nsteps = {steps}\n{extra}\n'
    )


def test_from_toml_accepts_a_minimal_card():
    lib = ExerciseLibrary.from_toml(_card(extra='tip = "  Go gently.  "'))
    (ex,) = lib.exercises
    assert ex == Exercise(
        id="neck-roll",
        title="A card",
        kinds=frozenset({BreakKind.STRETCH}),
        area="neck",
        steps=("Sit tall.", "Turn your head slowly."),
        tip="Go gently.",
        picture="neck-roll.png",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[exercise]\nid = 1", "not valid TOML"),
        ("", "no [[exercise]] cards"),
        ('title = "loose"\n', "unexpected top-level key 'title'"),
        (_card() + _card(), "'neck-roll' is used twice"),
        (_card(kinds='["sprint"]'), "unknown break kind 'sprint'"),
        (_card(kinds="[]"), "'kinds' must be a non-empty list"),
        (_card(kinds='"stretch"'), "'kinds' must be a non-empty list"),
        (_card(steps='["Only one."]'), "has 1 steps; a card needs 2 to 4"),
        (_card(steps='["1", "2", "3", "4", "5"]'), "has 5 steps"),
        (_card(steps='["Fine.", "  "]'), "step 2 must be non-empty text"),
        (_card(steps='["Fine.", "' + "x" * 120 + '"]'), "step 2 is longer than"),
        (_card("Bad Id"), "id must be lower-case letters"),
        (_card(extra='tip = ["not", "text"]'), "tip must be text"),
        (_card(extra='colour = "red"'), "unknown field 'colour'"),
        ('[[exercise]]\nid = "x"\nkinds = ["walk"]\narea = "legs"\nsteps = ["a", "b"]\n', "title"),
        ('[[exercise]]\nid = "x"\ntitle = ""\nkinds = ["walk"]\n', "'title' must be non-empty"),
        ("exercise = [1]\n", "exercise #1: expected a table"),
        (_card(posture="lying"), "posture must be one of standing, seated, either, walking"),
        (_card().replace('posture = "either"\n', ""), "missing 'posture'"),
        (_card(kinds='["stand"]', posture="seated"), 'a stand card needs posture = "standing"'),
        (_card(kinds='["stand", "stretch"]', posture="either"), "a stand card needs posture"),
        (_card(kinds='["walk"]', posture="standing"), 'a walk card needs posture = "walking"'),
        (_card(kinds='["stretch"]', posture="walking"), "a stretch card needs posture"),
    ],
)
def test_from_toml_rejects_bad_data_with_one_clear_line(text, expected):
    with pytest.raises(LibraryError) as caught:
        ExerciseLibrary.from_toml(text)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_error_names_the_card_it_is_about():
    text = _card("chin-tucks") + _card("calf-raises", steps='["Only one."]')
    with pytest.raises(LibraryError, match="exercise 'calf-raises'"):
        ExerciseLibrary.from_toml(text)
