"""Every command the README's tables document is real, and its config block is the app's.

The tables under "## Commands" are read as written; each backticked ``posturebreak ...``
command in their first column is expanded (``a|b`` alternatives, ``[OPTIONAL]`` parts) and
run through the installed console script, ``POSTUREBREAK_HOME`` in a temporary folder:
``--help`` for each command, then a real run. Commands of the first table talk to the app:
with no app running each says so in one line and exits 1, as the README promises.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomllib

from posturebreak import config
from posturebreak.cli.args import UserError
from posturebreak.cli.main import build_parser
from posturebreak.core.domain import Action, BreakKind, Event
from posturebreak.core.settings import Settings
from posturebreak.storage.store import EventStore
from tests.installed import SCRIPT, env_for, posturebreak
from tests.sim import at

README = Path(__file__).resolve().parents[1] / "README.md"
DAY = "2026-11-23"  # the day the seeded log is about (a Monday)


# --- reading the README ------------------------------------------------------------------------


@dataclass(frozen=True)
class Documented:
    """One command as a README table row writes it."""

    text: str  # e.g. "posturebreak break stand|stretch|walk"
    table: int  # 0: the commands that talk to the app; 1: those that work on the log
    line: int


def section(text: str, title: str) -> list[tuple[int, str]]:
    """The numbered lines under ``## title``, up to the next ``## `` heading."""
    out: list[tuple[int, str]] = []
    inside = False
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            inside = line[3:].strip() == title
            continue
        if inside:
            out.append((n, line))
    return out


def _cells(row: str) -> list[str]:
    """A markdown table row's cells; ``\\|`` inside a cell is a literal bar."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def documented_commands(text: str) -> list[Documented]:
    """The backticked ``posturebreak ...`` commands in the first column of the Commands tables.

    A row may hold several (`` `posturebreak pause 30m` / `pause until 14:30` ``): the later
    ones continue the first, so they get its ``posturebreak`` prefix.
    """
    found: list[Documented] = []
    table, in_table = -1, False
    for n, line in section(text, "Commands"):
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:
            table, in_table = table + 1, True
        first = _cells(line)[0]
        spans = re.findall(r"`([^`]+)`", first)
        if not spans or not spans[0].startswith("posturebreak"):
            continue  # the header row, the |---| row
        for span in spans:
            cmd = span if span.startswith("posturebreak") else f"posturebreak {span}"
            found.append(Documented(cmd, table, n))
    return found


def variants(command: str) -> list[list[str]]:
    """The argument lists a documented command stands for, without the ``posturebreak``.

    ``a|b`` words are alternatives; ``[X]`` and ``[X | Y]`` are optional: the bare command,
    then the command with each optional part (each alternative) on its own.
    """
    atoms = re.findall(r"\[[^\]]*\]|\S+", command)
    assert atoms[0] == "posturebreak", command
    required: list[list[list[str]]] = []
    optional: list[list[str]] = []
    for atom in atoms[1:]:
        if atom.startswith("["):
            optional += [alt.split() for alt in atom[1:-1].split("|")]
        else:
            required.append([[word] for word in atom.split("|")])
    out: list[list[str]] = []
    for choice in itertools.product(*required):
        base = [word for part in choice for word in part]
        for extra in [[], *optional]:
            argv = base + extra
            if argv not in out:
                out.append(argv)
    return out


def command_of(argv: list[str]) -> str:
    """The subcommand an argument list runs."""
    return argv[0]


# --- what stands behind a documented command -----------------------------------------------------


def assert_parses(argv: list[str]) -> None:
    """The real parser takes ``argv`` as a command (no usage error, a handler to run)."""
    try:
        ns = build_parser().parse_args(argv)
    except UserError as exc:
        raise AssertionError(f"`posturebreak {' '.join(argv)}`: {exc}") from None
    except SystemExit as exc:  # an option that answers at once (--version)
        if exc.code != 0:
            raise AssertionError(f"`posturebreak {' '.join(argv)}` exited {exc.code}") from None
        return
    assert callable(getattr(ns, "func", None)), argv


def assert_has_help(home: Path, command: str) -> None:
    """``posturebreak COMMAND --help`` through the installed script: argparse's help, exit 0.

    A top-level option (``--version``) is listed in ``posturebreak --help`` instead.
    """
    if command.startswith("-"):
        r = posturebreak(home, "--help")
        assert r.returncode == 0, r.stderr
        assert f" {command}" in r.stdout, f"`posturebreak --help` does not list {command}"
        return
    r = posturebreak(home, command, "--help")
    assert r.returncode == 0, f"`posturebreak {command} --help`: {r.stderr.strip()}"
    assert r.stdout.startswith(f"usage: posturebreak {command}"), r.stdout


def assert_documented(home: Path, doc: Documented) -> None:
    """Everything a README line promises, up to the real run of each of its variants."""
    for argv in variants(doc.text):
        assert_parses(fill(argv, home))
    for command in dict.fromkeys(command_of(argv) for argv in variants(doc.text)):
        assert_has_help(home, command)
    for argv in variants(doc.text):
        run_for_real(home, doc, argv)


# --- the real runs ---------------------------------------------------------------------------


def seed_log(home: Path) -> int:
    """A small log on ``DAY``: a stand taken, a stretch skipped, a walk snoozed then taken."""
    events = [
        Event.new(at(f"{DAY} 09:30"), BreakKind.STAND, Action.PROMPTED),
        Event.new(at(f"{DAY} 09:30:05"), BreakKind.STAND, Action.STARTED, 60),
        Event.new(at(f"{DAY} 09:31:05"), BreakKind.STAND, Action.COMPLETED, 60),
        Event.new(at(f"{DAY} 10:00"), BreakKind.STRETCH, Action.PROMPTED),
        Event.new(at(f"{DAY} 10:00:03"), BreakKind.STRETCH, Action.SKIPPED),
        Event.new(at(f"{DAY} 11:00"), BreakKind.WALK, Action.PROMPTED),
        Event.new(at(f"{DAY} 11:00:09"), BreakKind.WALK, Action.SNOOZED, 300),
        Event.new(at(f"{DAY} 11:05:09"), BreakKind.WALK, Action.PROMPTED, detail="snoozed 1x"),
        Event.new(at(f"{DAY} 11:05:20"), BreakKind.WALK, Action.STARTED, 300),
        Event.new(at(f"{DAY} 11:10:20"), BreakKind.WALK, Action.COMPLETED, 300),
    ]
    home.mkdir(parents=True, exist_ok=True)
    store, _ = EventStore.open(home / "events.sqlite3")
    with store:
        store.merge(events)
    return len(events)


PLACEHOLDERS: dict[str, Callable[[Path], str]] = {
    "DATE": lambda _home: DAY,
    "YYYY-MM-DD": lambda _home: DAY,
    "DURATION": lambda _home: "10m",
    "FILE.png": lambda home: str(home / "out" / "chart.png"),
    "FILE": lambda home: str(home / "out" / "file"),
}


def fill(argv: list[str], home: Path) -> list[str]:
    """``argv`` with the README's placeholders (DATE, FILE, ...) made real."""
    out = []
    for word in argv:
        if re.fullmatch(r"[A-Z][A-Z.\-]*[a-z]*", word) and word not in PLACEHOLDERS:
            raise AssertionError(f"the README uses {word}, which this test cannot fill in")
        out.append(PLACEHOLDERS[word](home) if word in PLACEHOLDERS else word)
    return out


def assert_ok(r: subprocess.CompletedProcess[str], argv: list[str]) -> None:
    """Exit 0, nothing on stderr."""
    shown = f"`posturebreak {' '.join(argv)}`"
    assert r.returncode == 0, f"{shown} exited {r.returncode}: {r.stderr.strip()}"
    assert r.stderr == "", f"{shown} said on stderr: {r.stderr.strip()}"


def run_for_real(home: Path, doc: Documented, argv: list[str]) -> None:
    """Run one variant the way it is meant to be used, and check what it did."""
    command = command_of(argv)
    if doc.table == 0 and command != "run":
        check_needs_the_app(home, argv)
        return
    check = CHECKS.get(command)
    if check is None:
        raise AssertionError(f"README line {doc.line}: no real run known for `{doc.text}`")
    (home / "out").mkdir(parents=True, exist_ok=True)
    check(home, fill(argv, home))


def check_needs_the_app(home: Path, argv: list[str]) -> None:
    """No app running: one line that says so, exit 1 (the README's promise)."""
    r = posturebreak(home, *fill(argv, home))
    assert r.returncode == 1, (argv, r.returncode, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "not running" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def check_run(home: Path, argv: list[str]) -> None:
    """``run --console`` serves the control channel until ``quit``; bare ``run`` with no
    display and no terminal says so in one line (it never starts a tray here)."""
    if "--console" not in argv:
        r = posturebreak(home, *argv)
        assert r.returncode == 1, r
        assert "no display and no terminal" in r.stderr
        return
    app = subprocess.Popen(
        [str(SCRIPT), *argv],
        env=env_for(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while posturebreak(home, "status").returncode != 0:
            assert app.poll() is None, app.stderr.read() if app.stderr else ""
            assert time.monotonic() < deadline, "the console app never answered `status`"
            time.sleep(0.1)
        assert_ok(posturebreak(home, "quit"), ["quit"])
        assert app.wait(15) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)


def check_plan(home: Path, argv: list[str]) -> None:
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    if "--json" in argv:
        assert {"date", "breaks"} <= set(json.loads(r.stdout))
    elif "--date" in argv:
        assert r.stdout.startswith("Mon 23 Nov 2026: ")


def check_log(home: Path, argv: list[str]) -> None:
    """The seeded day is inside every variant's span (both bounds are inclusive)."""
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    if "--json" in argv:
        assert len(json.loads(r.stdout)) == 10
    else:
        assert len(r.stdout.splitlines()) == 10
        assert f"{DAY} 09:30:00  stand    prompted" in r.stdout


def check_stats(home: Path, argv: list[str]) -> None:
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    if "--json" in argv:
        assert {"by_kind", "compliance", "goal", "streak", "patterns"} <= set(json.loads(r.stdout))
        return
    assert "prompted" in r.stdout
    assert "Breaks taken:" in r.stdout
    if {"--day", "--since", "--until"} & set(argv):  # spans that hold the seeded day
        assert "Breaks taken: 67%" in r.stdout  # 2 of the 3 seeded breaks


def check_report(home: Path, argv: list[str]) -> None:
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    written = Path(r.stdout.strip().removeprefix("Wrote "))
    if "--out" in argv:
        assert written == Path(argv[argv.index("--out") + 1])
    assert written.read_bytes().startswith(b"\x89PNG\r\n")


def check_export(home: Path, argv: list[str]) -> None:
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    if "--out" in argv:
        text = Path(argv[argv.index("--out") + 1]).read_text(encoding="utf-8")
        assert r.stdout.startswith("Wrote 10 events")
    else:
        text = r.stdout
    if argv[argv.index("--format") + 1] == "csv":
        assert text.startswith("id,at,kind,action,duration_s,detail")
        assert len(text.splitlines()) == 11
    else:
        assert len(json.loads(text)) == 10


def check_import(home: Path, argv: list[str]) -> None:
    """Export the seeded log, import it into an empty one, then again (nothing new)."""
    exported = Path(argv[1])
    assert_ok(posturebreak(home, "export", "--format", "json", "--out", str(exported)), argv)
    other = home / "other-machine"
    first = posturebreak(other, *argv)
    assert_ok(first, argv)
    assert first.stdout.startswith("Imported 10 new events")
    again = posturebreak(other, *argv)
    assert again.stdout.startswith("Imported 0 new events"), again.stdout


def check_walk_plan(home: Path, argv: list[str]) -> None:
    """The seeded walk (taken, on a finished week) grows the plan; ``reset`` starts it again."""
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    if "reset" in argv:
        assert r.stdout.strip() == "Walking plan reset: the walk is back to 5 min."
        after = posturebreak(home, "walk-plan", "--json")
        assert json.loads(after.stdout)["target_s"] == 300
    elif "--json" in argv:
        assert {"enabled", "target_s", "weeks", "headline"} <= set(json.loads(r.stdout))
    else:
        assert re.match(r"Today's walk: \d+ min", r.stdout), r.stdout


def check_config(home: Path, argv: list[str]) -> None:
    action = argv[1]
    # `config edit` opens $EDITOR: here `true`, an editor that changes nothing.
    r = posturebreak(home, *argv, editor="true")
    assert_ok(r, argv)
    if action == "path":
        assert r.stdout.strip() == str(home / "config.toml")
    elif action == "dirs":
        assert r.stdout.strip() == str(home)
    elif action == "check":
        assert "valid" in r.stdout or "does not exist yet" in r.stdout
    else:
        assert (home / "config.toml").is_file()  # edit creates the file first


def check_autostart(home: Path, argv: list[str]) -> None:
    """``status`` for real; ``on``/``off`` would change this machine's login items, so for
    them the parser's acceptance (assert_parses) and ``--help`` stand in."""
    if argv[1] != "status":
        return
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    assert r.stdout.strip()


def check_version(home: Path, argv: list[str]) -> None:
    r = posturebreak(home, *argv)
    assert_ok(r, argv)
    assert re.fullmatch(r"posturebreak \d+\.\d+\.\d+\S*\n", r.stdout), r.stdout


CHECKS: dict[str, Callable[[Path, list[str]], None]] = {
    "--version": check_version,
    "run": check_run,
    "plan": check_plan,
    "log": check_log,
    "stats": check_stats,
    "report": check_report,
    "export": check_export,
    "import": check_import,
    "walk-plan": check_walk_plan,
    "config": check_config,
    "autostart": check_autostart,
}


# --- the tests -------------------------------------------------------------------------------

DOCUMENTED = documented_commands(README.read_text(encoding="utf-8"))


def test_the_readme_documents_both_tables_of_commands():
    tables = {d.table for d in DOCUMENTED}
    assert tables == {0, 1}
    names = {command_of(argv) for d in DOCUMENTED for argv in variants(d.text)}
    assert {"status", "break", "report", "import", "walk-plan", "export"} <= names


@pytest.mark.parametrize("doc", DOCUMENTED, ids=[d.text for d in DOCUMENTED])
def test_every_documented_command_is_real(tmp_path, doc):
    seed_log(tmp_path)
    assert_documented(tmp_path, doc)


def test_a_readme_line_with_nothing_behind_it_fails(tmp_path):
    readme = tmp_path / "README.md"
    fake = "| `posturebreak frobnicate [--json]` | does something wonderful |"
    text = README.read_text(encoding="utf-8").replace(
        "| `posturebreak import FILE` |", f"{fake}\n| `posturebreak import FILE` |"
    )
    readme.write_text(text, encoding="utf-8")
    docs = documented_commands(readme.read_text(encoding="utf-8"))
    fakes = [d for d in docs if "frobnicate" in d.text]
    assert [d.text for d in fakes] == ["posturebreak frobnicate [--json]"]
    assert len(docs) == len(DOCUMENTED) + 1
    with pytest.raises(AssertionError, match="'frobnicate' is not a command"):
        assert_documented(tmp_path / "home", fakes[0])
    # A top-level option is checked too (a row the README may gain).
    assert_documented(tmp_path / "home", Documented("posturebreak --version", 1, 0))
    # A real command with an option it does not have fails.
    wrong = Documented("posturebreak stats [--fortnight]", 1, 0)
    with pytest.raises(AssertionError, match="unrecognized arguments: --fortnight"):
        assert_documented(tmp_path / "home", wrong)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "posturebreak break stand|stretch|walk",
            [["break", w] for w in ("stand", "stretch", "walk")],
        ),
        (
            "posturebreak stats [--day DATE | --week] [--json]",
            [["stats"], ["stats", "--day", "DATE"], ["stats", "--week"], ["stats", "--json"]],
        ),
        (
            "posturebreak export --format csv|json [--out FILE]",
            [
                ["export", "--format", "csv"],
                ["export", "--format", "csv", "--out", "FILE"],
                ["export", "--format", "json"],
                ["export", "--format", "json", "--out", "FILE"],
            ],
        ),
        (
            "posturebreak walk-plan [status|reset]",
            [["walk-plan"], ["walk-plan", "status"], ["walk-plan", "reset"]],
        ),
    ],
)
def test_variants_expand_alternatives_and_options(written, expected):
    assert variants(written) == expected


def test_pause_row_continues_its_first_command():
    texts = [d.text for d in DOCUMENTED]
    assert "posturebreak pause until 14:30" in texts
    assert "posturebreak pause until tomorrow" in texts


# --- the config block ------------------------------------------------------------------------


def readme_config_block(text: str) -> str:
    """The ```toml block under "## The config file"."""
    lines = [line for _n, line in section(text, "The config file")]
    body = "\n".join(lines)
    found = re.search(r"```toml\n(.*?)```", body, re.S)
    assert found, "no ```toml block under ## The config file"
    return found.group(1)


def _also_sections(block: str) -> Iterator[tuple[str, str]]:
    """``[breaks.stand]  # also [breaks.stretch] ...``: (the section, one it stands for)."""
    for line in block.splitlines():
        head = re.match(r"\[([\w.]+)\]\s*#(.*)", line)
        if head:
            for other in re.findall(r"\[([\w.]+)\]", head.group(2)):
                yield head.group(1), other


def _tables(doc: dict[str, object], prefix: str = "") -> dict[str, dict[str, object]]:
    """Every TOML table by dotted name, with its plain keys."""
    out: dict[str, dict[str, object]] = {}
    plain = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    if prefix:
        out[prefix] = plain
    for k, v in doc.items():
        if isinstance(v, dict):
            out |= _tables(v, f"{prefix}.{k}" if prefix else k)
    return out


def test_every_section_and_key_of_the_readme_config_is_in_the_default_file(tmp_path):
    assert_ok(posturebreak(tmp_path, "plan"), ["plan"])  # writes the default file
    written = _tables(tomllib.loads((tmp_path / "config.toml").read_text(encoding="utf-8")))
    block = readme_config_block(README.read_text(encoding="utf-8"))
    documented = _tables(tomllib.loads(block))
    for name, keys in documented.items():
        assert name in written, f"README's [{name}] is not in the default config file"
        missing = set(keys) - set(written[name])
        assert not missing, f"README's [{name}] keys {sorted(missing)} are not in the file"
    also = list(_also_sections(block))
    assert ("breaks.stand", "breaks.walk") in also
    for shown, other in also:
        assert other in written, f"README mentions [{other}]; the default file has none"
        assert set(written[other]) == set(documented[shown])


def test_the_readme_config_block_is_valid_and_holds_the_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(readme_config_block(README.read_text(encoding="utf-8")), encoding="utf-8")
    assert config.load_settings(path) == Settings()
