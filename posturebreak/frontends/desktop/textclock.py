"""Keeps the tray's words true between two engine steps.

The engine sends a status view only when something happens, which can be hours apart; the
tooltip "Stand in 12 min" would then freeze. :class:`TextClock` waits, on one thread that sleeps
without a timeout while nothing can change, until the instant the view's text next reads
differently (:meth:`StatusView.next_change`, at most once a minute) and shows the same view again
as of that instant. No engine step, no policy run: only the words and the menu's first line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from posturebreak.core.effects import StatusView

log = logging.getLogger("posturebreak.textclock")


class TextClock:
    """Re-shows a view when its text changes by time alone.

    Args:
        show: called with the view as of its change instant, on the clock's own thread; it
            must only hand the redraw to the toolkit (``Tray.update`` does).
        now: the current wall-clock instant (aware).
    """

    def __init__(self, show: Callable[[StatusView], None], now: Callable[[], datetime]) -> None:
        self._show = show
        self._now = now
        self._cond = threading.Condition()
        self._view: StatusView | None = None
        self._due: datetime | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None

    def follow(self, view: StatusView) -> None:
        """Track ``view`` (any thread): its next text change replaces any earlier one."""
        due = view.next_change()
        with self._cond:
            if self._stopped:
                return
            self._view, self._due = view, due
            if due is not None and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tray-text", daemon=True)
                self._thread.start()
            self._cond.notify()

    def stop(self) -> None:
        """End the thread (any thread); harmless twice."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                view = self._next_due_view()
                if view is None:
                    return
            try:
                self._show(view)
            except Exception:  # a failed redraw must not end the clock; the next one may work
                log.exception("cannot redraw the tray text")

    def _next_due_view(self) -> StatusView | None:
        """Wait (holding the condition) until a change is due; ``None`` once stopped."""
        while not self._stopped:
            due, view = self._due, self._view
            if due is None or view is None:
                self._cond.wait()
                continue
            left = (due - self._now()).total_seconds()
            if left > 0:
                self._cond.wait(left)
                continue
            shown = replace(view, now=max(due, self._now()))
            self._view, self._due = shown, shown.next_change()
            return shown
        return None
