"""Answer latency: how long an answer takes to be acknowledged, with the log healthy and locked.

Usage:
    python benchmarks/answer_latency.py [--requests 300] [--commands 40]

Starts the real app (``posturebreak run --console``, its own data dir) and sends answers that
each write one event (``pause 30m`` / ``resume``, alternating):

* through the control channel as the CLI sends them (``control.ask``: connect, request with an
  id, wait for the durable acknowledgement), ``--requests`` times;
* through the installed ``posturebreak`` script in a subprocess, ``--commands`` times, next to
  ``python -c pass`` (the interpreter start every CLI command pays) as the peer.

Then the same while a second process holds the log with ``BEGIN EXCLUSIVE``: the answers go to
the fsynced spool instead. It prints median and p99 for each case and the locked-minus-healthy
difference, which should be a few milliseconds at most.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posturebreak.control.client import ask
from posturebreak.paths import resolve

SCRIPT = Path(sys.executable).with_name("posturebreak")
CALM = """\
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[idle]
probe = "none"
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(POSTUREBREAK_HOME=str(home), PYTHONUNBUFFERED="1", TZ="UTC+0")
    return env


@contextlib.contextmanager
def _app(home: Path) -> Iterator[None]:
    proc = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        env=_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    paths = resolve(_env(home))
    try:
        for _ in range(300):
            with contextlib.suppress(Exception):
                if ask(paths, {"cmd": "status", "args": {}}, patience=1)["ok"]:
                    break
            time.sleep(0.05)
        yield
    finally:
        with contextlib.suppress(Exception):
            ask(paths, {"cmd": "quit", "args": {}})
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def _locked(db: Path) -> Iterator[None]:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3, sys\n"
                "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); sys.stdin.read()\n"
            ),
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    if holder.stdout.readline() != "held\n":
        raise SystemExit("could not lock the log")
    try:
        yield
    finally:
        holder.kill()
        holder.wait()


def _times(n: int, once: Callable[[int], None]) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        once(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _line(label: str, ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    median = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"  {label:<34} median {median:7.2f} ms   p99 {p99:7.2f} ms   (n={len(ms)})")
    return median, p99


def _case(home: Path, requests: int, commands: int) -> dict[str, tuple[float, float]]:
    paths = resolve(_env(home))
    words = (["pause", "30m"], ["resume"])

    def via_channel(i: int) -> None:
        argv = words[i % 2]
        args = {"for": argv[1]} if len(argv) > 1 else {}
        reply = ask(paths, {"cmd": argv[0], "args": args})
        if not reply.get("ok") or reply.get("saved") not in {"log", "spool"}:
            raise SystemExit(f"answer not acknowledged as durable: {reply}")

    def via_script(i: int) -> None:
        done = subprocess.run(
            [str(SCRIPT), *words[i % 2]], env=_env(home), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())

    return {
        "channel": _line("control channel (as the CLI asks)", _times(requests, via_channel)),
        "script": _line("installed `posturebreak` command", _times(commands, via_script)),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--commands", type=int, default=40)
    ns = parser.parse_args(argv)
    peer = _times(
        ns.commands, lambda _i: subprocess.run([sys.executable, "-c", "pass"], check=True)
    )
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "config.toml").write_text(CALM, encoding="utf-8")
        with _app(home):
            print("peer:")
            _line("python -c pass", peer)
            print("log healthy:")
            healthy = _case(home, ns.requests, ns.commands)
            with _locked(home / "events.sqlite3"):
                print("log locked by another process (answers go to the spool):")
                locked = _case(home, ns.requests, ns.commands)
            print("locked minus healthy:")
            for key in ("channel", "script"):
                dm = locked[key][0] - healthy[key][0]
                dp = locked[key][1] - healthy[key][1]
                print(f"  {key:<34} median {dm:+7.2f} ms   p99 {dp:+7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
