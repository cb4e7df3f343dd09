"""What became of the events the engine handed to the log: the words of the write path.

Every answer the app acknowledges is durable in one of two places: the SQLite log, or the
fsynced spool next to it when SQLite cannot take it. Only when neither can (a full disk past
the spool's reserve, a read-only folder) is an event kept in memory, and then the reply and a
notice say so instead of pretending.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Problem(enum.Enum):
    """Why the log could not take a write, in the user's terms."""

    LOCKED = "locked"
    FULL = "full"
    READ_ONLY = "read-only"
    MISSING = "missing"
    DAMAGED = "damaged"
    DISK = "disk error"
    OTHER = "other"

    def cause(self, where: str) -> str:
        """What is wrong with the log at ``where``, in one clause."""
        return {
            Problem.LOCKED: f"another program is holding the event log {where} locked",
            Problem.FULL: f"the disk holding the event log {where} is full",
            Problem.READ_ONLY: f"the event log {where} is read-only",
            Problem.MISSING: f"the event log {where} cannot be opened (its folder is missing?)",
            Problem.DAMAGED: f"the event log {where} is damaged",
            Problem.DISK: f"the disk holding the event log {where} reports errors",
            Problem.OTHER: f"the event log {where} refuses writes",
        }[self]

    def remedy(self) -> str:
        """What the user can do about it."""
        return {
            Problem.LOCKED: "close the other program (another posturebreak, a database tool)",
            Problem.FULL: "free some disk space",
            Problem.READ_ONLY: "make the file and its folder writable by you",
            Problem.MISSING: "check that the folder exists and is yours",
            Problem.DAMAGED: "restart posturebreak: it keeps the damaged file and starts anew",
            Problem.DISK: "check the disk",
            Problem.OTHER: "see the app log for details",
        }[self]


class Durability(enum.Enum):
    """Where a batch of events is now."""

    LOGGED = "log"  # committed to the SQLite log
    SPOOLED = "spool"  # fsynced to the spool; moved into the log when it is writable
    UNSAVED = "memory"  # only in memory: neither the log nor the spool could take it


@dataclass(frozen=True)
class Saved:
    """The outcome of one write: where the events are, and why if not in the log.

    ``detail`` is the sentence for the user when the events are not durable.
    """

    where: Durability
    problem: Problem | None = None
    detail: str = ""

    @property
    def durable(self) -> bool:
        """Whether the events survive a crash (in the log or in the spool)."""
        return self.where is not Durability.UNSAVED


LOGGED = Saved(Durability.LOGGED)
