"""How quick a client command is: ``posturebreak status`` against the running app.

Usage:
    python benchmarks/cli_speed.py [--runs 30] [--python PY]

Installs the app as a user has it (a fresh venv, ``pip install .``, compiled modules) unless
``--python`` names an interpreter that has it, starts ``posturebreak run --console`` in its own
data dir, and times in one session, interleaved: ``python -c pass`` (the interpreter's own
start, the peer), ``posturebreak status`` and ``posturebreak --version``. Prints the medians
and the ratio to the peer; the target is at most 3x.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import tempfile
import time
import venv
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CALM = '[schedule]\nhours = ["00:00-23:59"]\n[idle]\nprobe = "none"\n'


def _install(where: Path) -> Path:
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(REPO)],
        check=True,
        cwd=where,
    )
    return python


@contextlib.contextmanager
def _app(script: Path, env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        [str(script), "run", "--console"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            status = subprocess.run(
                [str(script), "status"], env=env, capture_output=True, check=False
            )
            if status.returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise SystemExit("the app never answered")
        yield
    finally:
        subprocess.run([str(script), "quit"], env=env, capture_output=True, check=False)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr.decode()}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--python", type=Path, help="an interpreter with posturebreak installed")
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        python = ns.python or _install(root / "venv")
        script = python.with_name("posturebreak")
        home = root / "home"
        home.mkdir()
        (home / "config.toml").write_text(CALM, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
        env.update(POSTUREBREAK_HOME=str(home), TZ="UTC")
        cases = {
            "python -c pass": [str(python), "-c", "pass"],
            "posturebreak status": [str(script), "status"],
            "posturebreak --version": [str(script), "--version"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        with _app(script, env):
            for _ in range(ns.runs):  # interleaved, so a busy moment hits every case alike
                for name, command in cases.items():
                    times[name].append(_once(command, env))
    peer = statistics.median(times["python -c pass"])
    print(f"{'command':<26} {'median':>9} {'p90':>9}  ratio to python -c pass")
    for name, ms in times.items():
        ms.sort()
        median = statistics.median(ms)
        p90 = ms[int(len(ms) * 0.9) - 1]
        print(f"{name:<26} {median:7.1f} ms {p90:7.1f} ms  {median / peer:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
