"""A seconds-long config for tests that run the real app: all day, every day, stands every few s."""

from __future__ import annotations


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
