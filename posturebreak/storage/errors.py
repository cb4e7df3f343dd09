"""What a failed SQLite call means for the user: one sentence, what is wrong and what to do."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from posturebreak.storage.durability import Problem

# SQLite primary result codes (sqlite3.SQLITE_* exists only from Python 3.11 on).
_READONLY, _BUSY, _LOCKED, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 8, 5, 6, 10, 11, 13, 14, 26
_PERM, _AUTH = 3, 23


class StoreError(Exception):
    """The log cannot be used; the message says what is wrong and what to do.

    ``problem`` is the cause in the user's terms (what the write path's notice names).
    """

    def __init__(self, message: str, problem: Problem = Problem.OTHER) -> None:
        super().__init__(message)
        self.problem = problem


class StoreLocked(StoreError):  # noqa: N818  the name is part of the agreed API
    """Another process held a write lock on the log for longer than the busy timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Problem.LOCKED)


def _code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of ``exc``, from the attribute or (3.10) the message."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    for needle, value in (
        ("locked", _BUSY),
        ("full", _FULL),
        ("readonly", _READONLY),
        ("malformed", _CORRUPT),
        ("not a database", _NOTADB),
        ("unable to open", _CANTOPEN),
        ("disk i/o", _IOERR),
    ):
        if needle in text:
            return value
    return None


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or not a database."""
    return _code(exc) in (_CORRUPT, _NOTADB)


ELSEWHERE = ", or set POSTUREBREAK_HOME to another folder"
# What to tell the user for each kind of failure: what is wrong, then what to do.
_ADVICE: tuple[tuple[tuple[int, ...], Problem, str], ...] = (
    ((_FULL,), Problem.FULL, "the disk holding {where} is full; free some space and try again"),
    (
        (_READONLY,),
        Problem.READ_ONLY,
        "{where} is read-only; make it and its folder writable by you" + ELSEWHERE,
    ),
    (
        (_CANTOPEN, _PERM, _AUTH),
        Problem.MISSING,
        "cannot open {where}; check its and its folder's permissions",
    ),
    (
        (_CORRUPT, _NOTADB),
        Problem.DAMAGED,
        "{where} is damaged ({exc}); rename it to start a new log",
    ),
    ((_IOERR,), Problem.DISK, "a disk error occurred on {where} ({exc}); check the disk"),
)


def translate(exc: sqlite3.Error, where: str, doing: str, busy_ms: int) -> StoreError:
    """One clear sentence for a failed SQLite call: what went wrong and what to do."""
    code = _code(exc)
    if code in (_BUSY, _LOCKED):
        return StoreLocked(
            f"Could not {doing}: the event log {where} is locked by another process"
            f" (waited {busy_ms} ms); close the other posturebreak and try again."
        )
    for codes, problem, advice in _ADVICE:
        if code in codes:
            return StoreError(f"Could not {doing}: {advice.format(where=where, exc=exc)}.", problem)
    return StoreError(f"Could not {doing} in the event log {where}: {exc}.")


def os_problem(path: Path, exc: OSError, what: str) -> StoreError:
    """One sentence for a folder or file the log could not be created in or as."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return StoreError(
            f"Cannot create {what} {path}: a part of that path is a file, not a folder;"
            f" move that file away{ELSEWHERE}."
        )
    if isinstance(exc, PermissionError):
        return StoreError(
            f"Cannot create {what} {path}: permission denied; make its folder writable by you"
            f"{ELSEWHERE}."
        )
    return StoreError(f"Cannot create {what} {path}: {exc.strerror or exc}.")
