"""How the control channel fails, in the words the CLI shows."""

from __future__ import annotations


class AlreadyRunning(Exception):  # noqa: N818  the name is the CLI contract
    """Another live posturebreak process holds the instance lock."""

    def __init__(self, pid: int | None) -> None:
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(
            f"posturebreak is already running ({who}). "
            "Use `posturebreak status` or `posturebreak quit`."
        )
        self.pid = pid


class NotRunning(Exception):  # noqa: N818  the name is the CLI contract
    """No posturebreak process is serving the control channel."""

    def __init__(self) -> None:
        super().__init__("posturebreak is not running. Start it with `posturebreak run`.")


class ControlError(Exception):
    """The control channel failed: no answer in time, a garbled reply, or a setup problem."""


class ControlRetry(ControlError):  # noqa: N818  a kind of ControlError, named for what to do
    """The exchange broke off (a timeout, a dropped connection): asking again may work."""
