"""The console app: prompts and keys in this terminal (``run --console``, or no display)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from posturebreak.app.wiring import (
    Startup,
    build_engine,
    make_presence,
    make_scheduler,
    quit_on_signals,
    serving,
)


def run_console(s: Startup) -> int:
    """Run the engine with the console front end until quit; returns the exit status."""
    from posturebreak.frontends.console import HELP, ConsoleFrontEnd
    from posturebreak.frontends.welcome import Home, welcome_for

    welcome = welcome_for(
        s.paths.data_dir,
        log_is_empty=s.log_is_empty,
        home=Home.CONSOLE,
        say=lambda text: print(text, flush=True),
    )
    front = ConsoleFrontEnd(s.inbox.post, sys.stdout, sys.stdin, welcome)
    presence = make_presence(s)
    scheduler = make_scheduler(s)
    engine = build_engine(s, front, presence, scheduler)
    quit_on_signals(s.inbox)
    print(f"posturebreak is running in this terminal. {HELP}", flush=True)
    if presence.notice:
        print(f"posturebreak: {presence.notice}")
    with _terminal_restored(), serving(s, engine, presence, scheduler):
        threading.Thread(target=front.read_keys, name="console-keys", daemon=True).start()
        engine.run()
    front.stop()
    print("posturebreak stopped.")
    return 0


@contextlib.contextmanager
def _terminal_restored() -> Iterator[None]:
    """Put the terminal back as it was, even if the key reader is still in cbreak mode."""
    if not sys.stdin.isatty() or sys.platform == "win32":
        yield
        return
    import termios

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        yield
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
