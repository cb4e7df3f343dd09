"""The probe of last resort: idle time is unknown, and ``notice`` says why."""

from __future__ import annotations

from datetime import timedelta


class NullProbe:
    """Always ``None``: timers then count all working time as desk time."""

    def __init__(self, notice: str) -> None:
        self._notice = notice

    @property
    def name(self) -> str:
        """``none``."""
        return "none"

    @property
    def notice(self) -> str:
        """One line for ``status``: why idle time is unknown and what that means."""
        return self._notice

    def idle(self) -> timedelta | None:
        """Unknown."""
        return None

    def close(self) -> None:
        """Nothing to release."""
