"""The exercise library: the cards a break shows, and which one comes next.

The cards live in ``assets/exercises/exercises.toml`` with one picture per card beside it
(``<id>.png``, drawn by ``tools/draw_exercises.py``). ``assets/`` ships in the wheel as the
package ``posturebreak.assets``. Everything but the loading is pure: standard library only,
no Pillow, so the engine and the CLI can use it with no display.
"""

from __future__ import annotations

import enum
import importlib.util
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posturebreak.core.domain import BreakKind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

LIBRARY_FILE = "exercises.toml"
_ASSETS_PACKAGE = "posturebreak.assets"
_SUBDIR = "exercises"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_AREA = re.compile(r"[a-z]+(?:_[a-z]+)*")
_MIN_STEPS = 2
_MAX_STEPS = 4
# The break window wraps steps at about 70 characters; a step much longer than that is
# a paragraph, and a card should be readable at a glance.
_MAX_STEP_CHARS = 90
_MAX_TITLE_CHARS = 40
_KEYS = frozenset({"id", "title", "kinds", "posture", "area", "steps", "tip"})


class Posture(enum.Enum):
    """How a card is done: on your feet, in the chair, either way, or walking."""

    STANDING = "standing"
    SEATED = "seated"
    EITHER = "either"
    WALKING = "walking"


# What each kind of break asks for: "Time to stand" gets you up, a walk is a walk, and a
# stretch may be done standing or in the chair.
FITS: Mapping[BreakKind, frozenset[Posture]] = {
    BreakKind.STAND: frozenset({Posture.STANDING}),
    BreakKind.STRETCH: frozenset({Posture.STANDING, Posture.SEATED, Posture.EITHER}),
    BreakKind.WALK: frozenset({Posture.WALKING}),
}


class LibraryError(Exception):
    """The exercise data is unusable; the message is one line saying what and where."""


@dataclass(frozen=True)
class Exercise:
    """One exercise card: what to do, for which kinds of break, and its picture."""

    id: str
    title: str
    kinds: frozenset[BreakKind]
    area: str
    steps: tuple[str, ...]
    tip: str
    picture: str  # file name, relative to the library's picture directory
    posture: Posture = Posture.EITHER

    def suits(self, kind: BreakKind) -> bool:
        """Whether this card may be offered for a break of ``kind``."""
        return kind in self.kinds and self.posture in FITS[kind]


def _default_picture_dir() -> Path:
    """The directory holding the shipped ``exercises.toml`` and pictures."""
    # find_spec, not importlib.resources: that pulls zipfile and a dozen modules into the
    # all-day process, and we install as plain files (setuptools' default) anyway.
    try:
        spec = importlib.util.find_spec(_ASSETS_PACKAGE)
    except ModuleNotFoundError:
        spec = None
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    if not places:
        # A source checkout that is not installed: the package-dir mapping that turns
        # assets/ into posturebreak.assets only exists once setuptools has installed it.
        return Path(__file__).resolve().parent.parent / "assets" / _SUBDIR
    return Path(places[0]) / _SUBDIR


@dataclass(frozen=True)
class ExerciseLibrary:
    """All exercise cards, in the order the rotation uses."""

    exercises: tuple[Exercise, ...]
    picture_dir: Path = field(default_factory=_default_picture_dir, compare=False)

    @classmethod
    def load(cls) -> ExerciseLibrary:
        """The shipped library, validated; ``LibraryError`` if the installed data is broken."""
        folder = _default_picture_dir()
        source = folder / LIBRARY_FILE
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise LibraryError(
                f"cannot read the exercise library {source}: {exc.strerror}; reinstall the app"
            ) from None
        return cls.from_toml(text, picture_dir=folder)

    @classmethod
    def from_toml(cls, text: str, picture_dir: Path | None = None) -> ExerciseLibrary:
        """Parse and validate library TOML.

        Args:
            text: The TOML document, an array of tables named ``exercise``.
            picture_dir: Where the pictures live; the shipped directory by default.

        Raises:
            LibraryError: Bad TOML, a missing or wrong field, a duplicate id, an unknown kind,
                or a card with fewer than 2 or more than 4 steps.
        """
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LibraryError(f"exercise library is not valid TOML: {exc}") from None
        unknown = sorted(set(document) - {"exercise"})
        if unknown:
            raise LibraryError(
                f"exercise library: unexpected top-level key {unknown[0]!r} "
                "(cards go in [[exercise]] tables)"
            )
        raw = document.get("exercise")
        if not isinstance(raw, list) or not raw:
            raise LibraryError("exercise library has no [[exercise]] cards")
        exercises = tuple(_parse_exercise(i, entry) for i, entry in enumerate(raw, start=1))
        _check_unique(exercises)
        folder = _default_picture_dir() if picture_dir is None else picture_dir
        return cls(exercises=exercises, picture_dir=folder)

    def for_kind(self, kind: BreakKind) -> tuple[Exercise, ...]:
        """The cards suitable for a break of ``kind``, in library order."""
        return tuple(ex for ex in self.exercises if ex.suits(kind))

    def get(self, exercise_id: str) -> Exercise | None:
        """The card with this id, or ``None`` (ids in old logs may have been removed)."""
        return next((ex for ex in self.exercises if ex.id == exercise_id), None)

    def picture_path(self, ex: Exercise) -> Path:
        """The picture of ``ex`` as a real file path (it may be missing on a broken install)."""
        return self.picture_dir / ex.picture

    @property
    def areas(self) -> frozenset[str]:
        """Every body area some card is for."""
        return frozenset(ex.area for ex in self.exercises)


def next_exercise(library: ExerciseLibrary, kind: BreakKind, shown: Sequence[str]) -> Exercise:
    """The card to show for the next break of ``kind``.

    ``shown`` holds the ids shown before for this kind, oldest first. A card never shown
    comes first (in library order); otherwise the one shown longest ago. So nothing repeats
    until every other card of the kind has had its turn, and ids no longer in the library
    are simply ignored.

    Raises:
        LibraryError: The library has no card for ``kind``.
    """
    candidates = library.for_kind(kind)
    if not candidates:
        raise LibraryError(f"the exercise library has no card for a {kind.value} break")
    # Later positions overwrite earlier ones: each id maps to its most recent showing.
    last_seen = {exercise_id: position for position, exercise_id in enumerate(shown)}
    # Never shown sorts before everything (-1); ties keep library order because min() is stable.
    return min(candidates, key=lambda ex: last_seen.get(ex.id, -1))


def _parse_exercise(number: int, entry: object) -> Exercise:
    """One ``[[exercise]]`` table -> ``Exercise``; ``number`` (1-based) names it in errors."""
    if not isinstance(entry, dict):
        raise LibraryError(f"exercise #{number}: expected a table")
    where = f"exercise #{number}"
    ex_id = entry.get("id")
    if isinstance(ex_id, str) and ex_id:
        where = f"exercise {ex_id!r}"
    extra = sorted(set(entry) - _KEYS)
    if extra:
        raise LibraryError(f"{where}: unknown field {extra[0]!r}")
    ex_id = _text(entry, "id", where)
    if not _SLUG.fullmatch(ex_id):
        raise LibraryError(
            f"{where}: id must be lower-case letters, digits and dashes (like 'chin-tucks')"
        )
    title = _text(entry, "title", where)
    if len(title) > _MAX_TITLE_CHARS:
        raise LibraryError(f"{where}: title is longer than {_MAX_TITLE_CHARS} characters")
    area = _text(entry, "area", where)
    if not _AREA.fullmatch(area):
        raise LibraryError(f"{where}: area must be lower-case words joined by '_' (like 'back')")
    steps = _steps(entry, where)
    tip = entry.get("tip", "")
    if not isinstance(tip, str):
        raise LibraryError(f"{where}: tip must be text")
    kinds = _kinds(entry, where)
    posture = _posture(entry, where)
    for kind in sorted(kinds, key=lambda k: k.rank):
        if posture not in FITS[kind]:
            wanted = " or ".join(sorted(f'"{p.value}"' for p in FITS[kind]))
            raise LibraryError(
                f"{where}: a {kind.value} card needs posture = {wanted}, not {posture.value!r}"
            )
    return Exercise(
        id=ex_id,
        title=title,
        kinds=kinds,
        area=area,
        steps=steps,
        tip=tip.strip(),
        picture=f"{ex_id}.png",
        posture=posture,
    )


def _posture(entry: Mapping[str, Any], where: str) -> Posture:
    """The required ``posture`` field."""
    raw = _text(entry, "posture", where)
    try:
        return Posture(raw)
    except ValueError:
        choices = ", ".join(p.value for p in Posture)
        raise LibraryError(f"{where}: posture must be one of {choices}, not {raw!r}") from None


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    """A required, non-blank text field."""
    value = entry.get(key)
    if value is None:
        raise LibraryError(f"{where}: missing {key!r}")
    if not isinstance(value, str) or not value.strip():
        raise LibraryError(f"{where}: {key!r} must be non-empty text")
    return value.strip()


def _kinds(entry: Mapping[str, Any], where: str) -> frozenset[BreakKind]:
    """The ``kinds`` list as break kinds; at least one, all known."""
    raw = entry.get("kinds")
    if not isinstance(raw, list) or not raw:
        raise LibraryError(f"{where}: 'kinds' must be a non-empty list like [\"stretch\"]")
    kinds: set[BreakKind] = set()
    for item in raw:
        if not isinstance(item, str):
            raise LibraryError(f"{where}: kinds must be text, got {item!r}")
        try:
            kinds.add(BreakKind.parse(item))
        except ValueError as exc:
            raise LibraryError(f"{where}: {exc}") from None
    return frozenset(kinds)


def _steps(entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The ``steps`` list: 2 to 4 short, non-empty lines."""
    raw = entry.get("steps")
    if not isinstance(raw, list):
        raise LibraryError(f"{where}: 'steps' must be a list of {_MIN_STEPS}-{_MAX_STEPS} lines")
    if not _MIN_STEPS <= len(raw) <= _MAX_STEPS:
        raise LibraryError(
            f"{where}: has {len(raw)} steps; a card needs {_MIN_STEPS} to {_MAX_STEPS}"
        )
    steps: list[str] = []
    for n, step in enumerate(raw, start=1):
        if not isinstance(step, str) or not step.strip():
            raise LibraryError(f"{where}: step {n} must be non-empty text")
        if len(step.strip()) > _MAX_STEP_CHARS:
            raise LibraryError(
                f"{where}: step {n} is longer than {_MAX_STEP_CHARS} characters; split it"
            )
        steps.append(step.strip())
    return tuple(steps)


def _check_unique(exercises: Iterable[Exercise]) -> None:
    """Refuse two cards with one id (their pictures and rotation would collide)."""
    seen: set[str] = set()
    for ex in exercises:
        if ex.id in seen:
            raise LibraryError(f"exercise library: id {ex.id!r} is used twice")
        seen.add(ex.id)
