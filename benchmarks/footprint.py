"""Footprint of the real app next to Workrave: tray start-up, memory, idle CPU and wake-ups.

Usage:
    .venv/bin/python benchmarks/footprint.py                      # the issue's figures
    .venv/bin/python benchmarks/footprint.py --idle 30 --cpu 30 --repeat 1   # a quick look
    .venv/bin/python benchmarks/footprint.py --subjects xorg,workrave

Each subject runs in its own session: Xvfb (``-displayfd``), a private ``dbus-daemon
--session``, ``trayer`` (xembed tray host) and, for the StatusNotifierItem subjects,
``gtk-sni-tray-standalone --watcher``. Measured per subject:

- tray up: exec to the icon being in the tray, polled every 50 ms: a window docked in
  trayer's panel (``xdotool search --classname panel`` + the panel's window tree), or an item
  registered with the StatusNotifierWatcher (``dbus-send``);
- RSS and PSS after ``--idle`` seconds, summed over the process and its descendants
  (``/proc/PID/status`` VmRSS, ``/proc/PID/smaps_rollup`` Pss);
- CPU over the next ``--cpu`` seconds: utime+stime (+ reaped children) in clock ticks;
- wake-ups per minute over the same span: voluntary + nonvoluntary context switches of every
  thread (``/proc/PID/task/*/status``).

posturebreak runs as a user gets it: the script first installs the working tree into a fresh
virtual environment (``pip install .``, with the ``gtk`` extra where PyGObject is importable),
as ``pipx install .`` does, so modules load from compiled ``.pyc`` files and no editable-install
hook runs; ``--python`` runs it with an existing interpreter instead (``.venv/bin/python`` for
the development tree, where ``PYTHONDONTWRITEBYTECODE`` may leave every module to compile at
each start). posturebreak runs with a config whose next break is days away (nothing is due).
Subjects run one after another (``--parallel`` overlaps their idle spans, start-ups still one
at a time, but then PSS splits shared libraries such as GTK between them). Figures are
medians over ``--repeat`` rounds; each is printed with its ratio to Workrave's.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.05
TRAY_TIMEOUT_S = 30.0

SUBJECTS = ("xorg", "gtk", "appindicator", "workrave")
# Backends that need a StatusNotifierItem host; the others dock in trayer (xembed). Workrave
# gets both and uses whichever it prefers.
SNI = {"appindicator", "workrave"}

NOTHING_DUE = """\
[schedule]
workdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
[breaks.stand]
every = "160h"
duration = "1m"
[breaks.stretch]
every = "160h"
duration = "3m"
[breaks.walk]
every = "160h"
duration = "5m"
[tray]
backend = "{backend}"
"""


@dataclass(frozen=True)
class Figures:
    """One subject's measurements from one round."""

    tray_ms: float | None
    rss_mb: float
    pss_mb: float
    cpu_ticks: int
    wakeups_per_min: float


def _stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(grace)


class Session:
    """Xvfb, a private session bus, trayer and (optionally) an SNI host, stopped by PID."""

    def __init__(self, tmp: Path, *, sni: bool) -> None:
        self.tmp = tmp
        self.sni = sni
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    def __enter__(self) -> Session:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_fd,),
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            display = f":{f.readline().strip()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_"))}
        env.update(DISPLAY=display, NO_AT_BRIDGE="1", HOME=str(self.tmp / "home"))
        env.update(XDG_RUNTIME_DIR=str(self.tmp / "run"))
        for d in ("home", "run"):
            (self.tmp / d).mkdir(mode=0o700, exist_ok=True)
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(bus)
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        self.env = env
        self._spawn(["trayer", "--edge", "top", "--align", "right", "--height", "24"])
        _wait_for(lambda: self._panel() is not None, 10, "trayer did not start")
        if self.sni:
            self._spawn(["gtk-sni-tray-standalone", "--watcher", "--top", "--size", "24"])
            _wait_for(self._watcher_up, 20, "the StatusNotifierItem host did not start")

    def _spawn(self, argv: list[str]) -> None:
        out = subprocess.DEVNULL
        self.procs.append(subprocess.Popen(argv, env=self.env, stdout=out, stderr=out))

    def __exit__(self, *_exc: object) -> None:
        # The bus starts services (dunst, dconf) on demand, detached from it: they are ours
        # to stop too, found by the bus address in their environment.
        address = self.env.get("DBUS_SESSION_BUS_ADDRESS", "").encode()
        mine = {p.pid for p in self.procs}
        for entry in Path("/proc").iterdir() if address else ():
            with contextlib.suppress(OSError, ValueError):
                environ = (entry / "environ").read_bytes().split(b"\0")
                pid = int(entry.name)
                if b"DBUS_SESSION_BUS_ADDRESS=" + address in environ and pid not in mine:
                    os.kill(pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            _stop(proc)

    def _run(self, argv: list[str]) -> str:
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
        return done.stdout

    def _panel(self) -> str | None:
        found = self._run(["xdotool", "search", "--classname", "^panel$"]).split()
        return found[0] if found else None

    def _watcher_up(self) -> bool:
        return self._sni_items() is not None

    def _sni_items(self) -> int | None:
        out = self._run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.kde.StatusNotifierWatcher",
                "/StatusNotifierWatcher",
                "org.freedesktop.DBus.Properties.Get",
                "string:org.kde.StatusNotifierWatcher",
                "string:RegisteredStatusNotifierItems",
            ]
        )
        if "variant" not in out:
            return None
        return out.count('string "')

    def tray_occupied(self) -> bool:
        """Whether an icon is docked in trayer or registered with the SNI watcher."""
        panel = self._panel()
        if panel is not None:
            tree = self._run(["xwininfo", "-tree", "-id", panel])
            # Each docked icon is a socket window holding the client's window (a grandchild).
            if re.search(r"^\s{8,}0x[0-9a-f]+ \"", tree, re.MULTILINE):
                return True
        return bool(self.sni and self._sni_items())


def _wait_for(check: Callable[[], bool], timeout: float, why: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(POLL_S)
    raise RuntimeError(why)


def tree(pid: int) -> list[int]:
    """``pid`` and every live descendant."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def _kb(path: Path, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB over the process tree."""
    pids = tree(pid)
    rss = sum(_kb(Path(f"/proc/{p}/status"), "VmRSS") for p in pids)
    pss = sum(_kb(Path(f"/proc/{p}/smaps_rollup"), "Pss") for p in pids)
    return rss, pss


def cpu_ticks(pid: int) -> int:
    """utime+stime (and those of reaped children) over the process tree, in clock ticks."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])
    return total


def switches(pid: int) -> dict[str, int]:
    """Context switches (voluntary + nonvoluntary) of every thread in the tree, by thread."""
    counts: dict[str, int] = {}
    for p in tree(pid):
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                status = task / "status"
                counts[f"{p}/{task.name}"] = _kb(status, "voluntary_ctxt_switches") + _kb(
                    status, "nonvoluntary_ctxt_switches"
                )
    return counts


def switched(before: dict[str, int], after: dict[str, int]) -> int:
    """Switches between two readings: threads alive at the end, new ones from zero.

    A thread that ended in between takes its count with it; summing totals instead would
    then go down (a negative rate).
    """
    return sum(n - before.get(tid, 0) for tid, n in after.items())


def install(into: Path) -> str:
    """Install the working tree into a new venv at ``into``, as a user would; its python."""
    subprocess.run([sys.executable, "-m", "venv", str(into)], check=True)
    python = str(into / "bin" / "python")
    extra = "[gtk]" if importlib.util.find_spec("gi") is not None else ""
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run([*pip, f"{REPO}{extra}"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # Only then: pip's warnings (index locations, say) are noise when the install worked.
        sys.stderr.write(done.stderr)
        raise SystemExit(f"footprint: `pip install {REPO}{extra}` failed")
    return python


def command(subject: str, home: Path, python: str) -> tuple[list[str], dict[str, str]]:
    """The argv and extra environment that start ``subject`` (posturebreak under ``python``)."""
    if subject == "workrave":
        return ["workrave"], {}
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(NOTHING_DUE.format(backend=subject))
    # An everyday start, not the first one: the first start's welcome bubble (a notify-send
    # process at the moment the icon docks) is not what a person waits for every morning.
    (home / "welcomed").touch()
    return [python, "-m", "posturebreak", "run"], {"POSTUREBREAK_HOME": str(home)}


def measure(subject: str, idle: float, cpu: float, startup: threading.Lock, python: str) -> Figures:
    """One round for one subject, in a session of its own."""
    with (
        tempfile.TemporaryDirectory(prefix=f"footprint-{subject}-") as tmp,
        Session(Path(tmp), sni=subject in SNI) as session,
    ):
        argv, extra = command(subject, Path(tmp) / "pb", python)
        env = {**session.env, **extra}
        with startup:
            start = time.perf_counter()
            proc = subprocess.Popen(
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            tray_ms: float | None = None
            while time.perf_counter() - start < TRAY_TIMEOUT_S and proc.poll() is None:
                if session.tray_occupied():
                    tray_ms = (time.perf_counter() - start) * 1000
                    break
                time.sleep(POLL_S)
        try:
            time.sleep(idle)
            rss, pss = memory_kb(proc.pid)
            ticks0, sw0 = cpu_ticks(proc.pid), switches(proc.pid)
            time.sleep(cpu)
            ticks1, sw1 = cpu_ticks(proc.pid), switches(proc.pid)
            if proc.poll() is not None:
                raise RuntimeError(f"{subject} exited with status {proc.returncode}")
        finally:
            for pid in reversed(tree(proc.pid)[1:]):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            _stop(proc)
        return Figures(
            tray_ms, rss / 1024, pss / 1024, ticks1 - ticks0, switched(sw0, sw1) * 60 / cpu
        )


def median(values: list[float | None]) -> float | None:
    """The median of the values that were measured (``None``: none was)."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def report(rounds: dict[str, list[Figures]], cpu: float) -> None:
    """Print each figure (median) and its ratio to Workrave's."""
    columns: list[tuple[str, Callable[[Figures], float | None], str]] = [
        ("tray up ms", lambda f: f.tray_ms, "{:.0f}"),
        ("RSS MB", lambda f: f.rss_mb, "{:.1f}"),
        ("PSS MB", lambda f: f.pss_mb, "{:.1f}"),
        (f"CPU ticks/{cpu:.0f}s", lambda f: f.cpu_ticks, "{:.0f}"),
        ("wake-ups/min", lambda f: f.wakeups_per_min, "{:.1f}"),
    ]
    medians = {
        s: [median([get(f) for f in fs]) for _, get, _ in columns] for s, fs in rounds.items()
    }
    base = medians.get("workrave")
    print(f"{'subject':<14}" + "".join(f"{name:>26}" for name, _, _ in columns))
    for subject, values in medians.items():
        cells = []
        for i, (_, _, fmt) in enumerate(columns):
            value = values[i]
            text = "n/a" if value is None else fmt.format(value)
            ref = base[i] if base is not None and subject != "workrave" else None
            if ref and value is not None:
                text += f" ({value / ref:.2f}x)"
            cells.append(f"{text:>26}")
        print(f"{subject:<14}" + "".join(cells))
    print(f"\n(medians of {max(len(fs) for fs in rounds.values())}; ratios to Workrave)")
    for subject, fs in rounds.items():
        raw = "; ".join(
            f"tray {f.tray_ms and round(f.tray_ms)} ms, PSS {f.pss_mb:.1f} MB, "
            f"{f.cpu_ticks} ticks, {f.wakeups_per_min:.1f}/min"
            for f in fs
        )
        print(f"  {subject}: {raw}")


def _rounds(
    subjects: list[str], repeat: int, idle: float, cpu: float, *, parallel: bool, python: str
) -> dict[str, list[Figures]]:
    results: dict[str, list[Figures]] = {s: [] for s in subjects}
    startup = threading.Lock()
    errors: list[str] = []
    for n in range(repeat):
        print(f"round {n + 1}/{repeat} ...", file=sys.stderr, flush=True)
        errors.clear()

        def one(subject: str) -> None:
            try:
                results[subject].append(measure(subject, idle, cpu, startup, python))
            except Exception as exc:
                errors.append(f"{subject}: {exc}")

        if parallel:
            threads = [threading.Thread(target=one, args=(s,)) for s in subjects]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for s in subjects:
                one(s)
        for e in errors:
            print(f"  failed: {e}", file=sys.stderr)
    return {s: fs for s, fs in results.items() if fs}


def _missing_tools(subjects: list[str]) -> list[str]:
    tools = ["Xvfb", "dbus-daemon", "dbus-send", "trayer", "xdotool", "xwininfo"]
    if SNI & set(subjects):
        tools.append("gtk-sni-tray-standalone")
    if "workrave" in subjects:
        tools.append("workrave")
    return [t for t in tools if shutil.which(t) is None]


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--idle", type=float, default=30.0, help="seconds idle before memory")
    parser.add_argument("--cpu", type=float, default=120.0, help="seconds of idle CPU/wake-ups")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians are printed)")
    parser.add_argument("--subjects", default=",".join(SUBJECTS), help="comma-separated")
    parser.add_argument(
        "--parallel",
        action="store_true",
        help="overlap the subjects' idle spans (quicker; PSS then shares libraries between them)",
    )
    parser.add_argument(
        "--python",
        help="run posturebreak with this interpreter (default: a fresh `pip install .`)",
    )
    args = parser.parse_args(argv)
    subjects = [s.strip() for s in args.subjects.split(",") if s.strip()]
    unknown = [s for s in subjects if s not in SUBJECTS]
    if unknown or not subjects:
        parser.error(f"unknown subject(s) {unknown}; choose from {', '.join(SUBJECTS)}")
    missing = _missing_tools(subjects)
    if missing:
        print(f"footprint: missing {', '.join(missing)}; see .ci/run for the packages.")
        return 2
    with tempfile.TemporaryDirectory(prefix="footprint-venv-") as venv:
        python = args.python
        if python is None and set(subjects) - {"workrave"}:
            print("installing posturebreak into a fresh venv ...", file=sys.stderr, flush=True)
            python = install(Path(venv))
        results = _rounds(
            subjects, args.repeat, args.idle, args.cpu, parallel=args.parallel, python=python or ""
        )
    if not results:
        return 1
    report(results, args.cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
