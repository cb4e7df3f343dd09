"""A seconds-long config for tests that run the real app: all day, every day, stands every few s."""

from __future__ import annotations

from datetime import datetime, timezone


def local_noon_tz() -> str:
    """A POSIX TZ in which it is now about noon, so all-day working hours always hold.

    The configs below work "00:00-23:59" every day; a real app started in the last minute
    before local midnight (or in the minute after) would otherwise be off hours and never
    prompt. Give it to every real app process as ``TZ``.
    """
    offset = datetime.now(timezone.utc).hour - 12
    return f"PBT{offset:+d}"


def seconds_config(
    *, every: str = "3s", timeout: str = "30s", idle_probe: str | None = None
) -> str:
    """Config text: a stand every ``every``; stretch and walk an hour or more away.

    ``idle_probe`` adds an ``[idle]`` section with a 2 s away threshold (presence tests).
    """
    text = f"""
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[breaks.stand]
every = "{every}"
duration = "1s"
[breaks.stretch]
every = "1h"
duration = "2m"
[breaks.walk]
every = "2h"
duration = "5m"
[prompt]
timeout = "{timeout}"
notice = "0s"
snooze = ["2s"]
"""
    if idle_probe is not None:
        text += f'[idle]\nprobe = "{idle_probe}"\naway_after = "2s"\n'
    return text
