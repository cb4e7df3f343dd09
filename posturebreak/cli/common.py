"""What several command groups share: where the files are, the settings, the log as read."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING

from posturebreak import paths
from posturebreak.cli.args import UserError

if TYPE_CHECKING:
    from posturebreak.core.domain import Event
    from posturebreak.core.settings import Settings
    from posturebreak.storage.store import MovedAside


def where() -> paths.Paths:
    """Where this user's files are (``POSTUREBREAK_HOME`` or the platform's places)."""
    return paths.resolve()


def settings() -> Settings:
    """The settings, the default file written on first use; a broken file is one line."""
    from posturebreak import config  # only the commands that read the settings load it

    p = where()
    try:
        return config.load_or_create(p.config_file)[0]
    except config.ConfigError as exc:
        raise UserError(f"{exc}; fix the file, then `posturebreak config check`") from None


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in local time."""
    from posturebreak.core import stats

    return stats.day_bounds(day, None)[0]


def log_events(since: datetime | None = None, until: datetime | None = None) -> list[Event]:
    """The log's events in ``[since, until)``, then those still waiting in the spool."""
    from posturebreak.storage.spool import read_pending
    from posturebreak.storage.store import EventStore, StoreError

    p = where()
    events: list[Event] = []
    if p.db_file.exists():
        try:
            store, moved = EventStore.open(p.db_file)
        except StoreError as exc:
            raise UserError(str(exc), code=1) from None
        if moved is not None:
            print(moved_message(moved), file=sys.stderr)
        with store:
            events = store.events(since=since, until=until)
    # Answers the app made durable in the spool while the log refused writes are part of the
    # log as far as the person is concerned: shown after it, as they will be merged.
    logged = {e.id for e in events}
    waiting = [
        e
        for e in read_pending(p.spool_file)
        if e.id not in logged
        and (since is None or e.at >= since)
        and (until is None or e.at < until)
    ]
    if waiting:
        print(
            f"posturebreak: {len(waiting)} event(s) wait in {p.spool_file} (the log was locked"
            " or its disk full); listed last, they join the log once it takes writes again.",
            file=sys.stderr,
        )
    return events + waiting


def moved_message(moved: MovedAside) -> str:
    """One line about a damaged log that was kept aside."""
    return (
        f"The log {moved.original} could not be read ({moved.reason}); "
        f"it was kept as {moved.moved_to} and a new log started."
    )
