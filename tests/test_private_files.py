"""The app's private files: created 0600, never through a planted link, never in a squatted dir.

Real processes through the installed script, with every directory under tmp dirs.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from posturebreak.paths import resolve
from posturebreak.private import UnsafePathError, open_private
from tests.installed import SCRIPT, env_for

NOBODY = 65534
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="chown to another uid needs root (CI runs as root)"
)


def _xdg_env(root: Path, **extra: str) -> dict[str, str]:
    """No POSTUREBREAK_HOME, no XDG_RUNTIME_DIR: HOME and the XDG dirs all under ``root``."""
    env = env_for(root)
    for name in ("POSTUREBREAK_HOME", "XDG_RUNTIME_DIR"):
        env.pop(name, None)
    env.update(
        HOME=str(root / "home"),
        XDG_CONFIG_HOME=str(root / "home/.config"),
        XDG_DATA_HOME=str(root / "home/.local/share"),
        XDG_CACHE_HOME=str(root / "home/.cache"),
        XDG_STATE_HOME=str(root / "home/.local/state"),
        TMPDIR=str(root / "tmp"),
    )
    env.update(extra)
    (root / "tmp").mkdir(mode=0o1777, exist_ok=True)
    return env


@pytest.fixture
def short(tmp_path: Path) -> Iterator[Path]:
    """A short private dir in /tmp, so the runtime dir's socket path fits an address."""
    made = Path(tempfile.mkdtemp(dir="/tmp", prefix="pb-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def _run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _run_py(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _plant(link: Path, tmp_path: Path) -> tuple[Path, os.stat_result]:
    target = tmp_path / "precious.txt"
    target.write_text("do not touch\n")
    past = time.time() - 3600
    os.utime(target, (past, past))
    link.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    link.symlink_to(target)
    return target, target.stat()


def _untouched(target: Path, before: os.stat_result) -> None:
    assert target.read_text() == "do not touch\n"
    assert target.stat().st_mtime_ns == before.st_mtime_ns
    assert target.stat().st_size == before.st_size


def _one_line(err: str, path: Path) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert any(str(path) in line and "symbolic link" in line for line in lines), err


def test_a_planted_link_at_the_lock_is_refused_in_one_line_and_not_followed(tmp_path):
    home = tmp_path / "pb"
    target, before = _plant(home / "posturebreak.lock", tmp_path)
    done = _run(env_for(home), "run", "--console")
    assert done.returncode == 1
    _one_line(done.stderr, home / "posturebreak.lock")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    _untouched(target, before)


def test_a_planted_link_at_the_spool_is_refused_in_one_line_and_not_followed(tmp_path):
    home = tmp_path / "pb"
    target, before = _plant(home / "events.spool", tmp_path)
    done = _run(env_for(home), "run", "--console")
    assert done.returncode == 1
    _one_line(done.stderr, home / "events.spool")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    _untouched(target, before)


def test_a_planted_link_at_the_app_log_is_refused_and_the_app_still_runs(tmp_path):
    home = tmp_path / "pb"
    target, before = _plant(home / "posturebreak.log", tmp_path)
    app = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        env=env_for(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            if _run(env_for(home), "status").returncode == 0:
                break
            time.sleep(0.1)
        assert _run(env_for(home), "quit").returncode == 0
        _out, err = app.communicate(timeout=30)
    finally:
        app.kill()
    assert app.returncode == 0
    assert "Traceback" not in err
    said = [line for line in err.splitlines() if "could not open its log" in line]
    assert len(said) == 1, err
    assert "symbolic link" in said[0], err
    _untouched(target, before)


def test_a_planted_link_at_the_socket_path_is_refused(tmp_path):
    home = tmp_path / "pb"
    target, before = _plant(home / "control.sock", tmp_path)
    done = _run(env_for(home), "run", "--console")
    assert done.returncode == 1
    _one_line(done.stderr, home / "control.sock")
    _untouched(target, before)


def test_a_planted_link_at_the_welcome_marker_is_never_written_through(tmp_path):
    target, before = _plant(tmp_path / "data" / "welcomed", tmp_path)
    with pytest.raises(UnsafePathError, match="symbolic link, not our file; remove it"):
        open_private(tmp_path / "data" / "welcomed", os.O_WRONLY)
    from posturebreak.frontends.welcome import remember_welcomed

    remember_welcomed(tmp_path / "data")
    _untouched(target, before)


def test_private_files_are_created_0600(tmp_path):
    home = tmp_path / "pb"
    home.mkdir(mode=0o700)
    old_umask = os.umask(0)  # the mode must not come from a kind umask
    try:
        fd = open_private(home / "posturebreak.log", os.O_WRONLY | os.O_APPEND)
    finally:
        os.umask(old_umask)
    os.close(fd)
    assert stat.S_IMODE((home / "posturebreak.log").stat().st_mode) == 0o600
    from posturebreak.control.instance import InstanceLock

    with InstanceLock(resolve({"POSTUREBREAK_HOME": str(home)})):
        assert stat.S_IMODE((home / "posturebreak.lock").stat().st_mode) == 0o600


def test_an_old_0644_log_is_closed_to_others(tmp_path):
    log = tmp_path / "posturebreak.log"
    log.write_text("old\n")
    log.chmod(0o644)
    os.close(open_private(log, os.O_WRONLY | os.O_APPEND))
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert log.read_text() == "old\n"


def test_a_file_in_another_users_directory_is_refused(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, NOBODY, NOBODY)
    with pytest.raises(UnsafePathError, match="belongs to uid 65534"):
        open_private(foreign / "posturebreak.lock", os.O_RDWR)
    assert not (foreign / "posturebreak.lock").exists()


def test_the_old_predictable_runtime_fallback_squatted_by_another_user_does_not_matter(short):
    env = _xdg_env(short)
    squatted = short / "tmp" / f"runtime-{os.geteuid()}"
    squatted.mkdir(mode=0o700)
    os.chown(squatted, NOBODY, NOBODY)
    done = _run(env, "status")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "posturebreak: posturebreak is not running. Start it with `posturebreak run`."
    ), done.stderr
    where = _run_py(env, "from posturebreak.paths import resolve; print(resolve().runtime_dir)")
    assert where == str(short / "home/.cache/posturebreak/run")


def test_a_squatted_new_runtime_dir_is_refused_in_one_line(short):
    env = _xdg_env(short)
    run_dir = short / "home/.cache/posturebreak/run"
    run_dir.mkdir(parents=True, mode=0o700)
    os.chown(run_dir, NOBODY, NOBODY)
    for argv in (["status"], ["run", "--console"]):
        done = _run(env, *argv)
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if str(run_dir) in line]
        assert len(lines) == 1, done.stderr
        assert "belongs to uid 65534" in lines[0], done.stderr


def test_the_runtime_dir_is_created_0700_in_the_users_own_cache(short):
    env = _xdg_env(short)
    app = subprocess.Popen(
        [str(SCRIPT), "run", "--console"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            if _run(env, "status").returncode == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the app never answered")
        run_dir = short / "home/.cache/posturebreak/run"
        assert stat.S_IMODE(run_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((run_dir / "posturebreak.lock").stat().st_mode) == 0o600
        log = short / "home/.local/share/posturebreak/posturebreak.log"
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        assert _run(env, "quit").returncode == 0
        app.communicate(timeout=30)
    finally:
        app.kill()
    assert not list((short / "tmp").iterdir())  # nothing in the shared temp dir


def test_a_deep_home_puts_the_socket_in_a_private_temp_dir_and_cleans_it(
    tmp_path, short, monkeypatch
):
    from posturebreak.control.client import request
    from posturebreak.control.instance import InstanceLock
    from posturebreak.control.server import ControlServer

    home = tmp_path / ("d" * 60) / ("e" * 40)
    monkeypatch.setenv("TMPDIR", str(short / "t"))
    (short / "t").mkdir(mode=0o1777)

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR (the OS, not our wiring)
    p = resolve({"POSTUREBREAK_HOME": str(home)})
    with InstanceLock(p), ControlServer(p, lambda _req: {"ok": True}) as _server:
        sock = p.socket_file
        assert sock.parent.parent == short / "t"
        assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
        assert sock.parent.name != f"posturebreak-{os.geteuid()}"  # not guessable
        assert request(p, {"cmd": "status"}) == {"ok": True}
    assert not list((short / "t").iterdir())
