"""A clean install: ``pip install .`` into a fresh venv works from outside the repository,
the wheel carries the assets, and the README's uninstall commands do what they say."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with posturebreak and its real dependencies installed from the source tree."""
    root = tmp_path_factory.mktemp("install")
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", str(REPO)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    # What pip printed, for the test that the build is warning-free.
    (root / "pip-install.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    return bin_dir


def test_pip_install_prints_no_build_warnings(installed):
    printed = (installed.parent.parent / "pip-install.log").read_text(encoding="utf-8")
    assert "Successfully installed" in printed
    for warning in ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "is absent from"):
        assert warning not in printed, printed


@pytest.fixture
def outside(tmp_path) -> tuple[Path, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "PYTHONPATH"}}
    env["POSTUREBREAK_HOME"] = str(tmp_path / "home")
    env["HOME"] = str(tmp_path)
    env["XDG_CONFIG_HOME"] = str(tmp_path / ".config")
    return tmp_path, env


def test_the_installed_command_works_from_outside_the_repository(installed, outside):
    cwd, env = outside
    assert "posturebreak" in run([str(installed / "posturebreak"), "--help"], cwd, env)
    assert "posturebreak" in run(
        [str(installed / "python"), "-m", "posturebreak", "--help"], cwd, env
    )
    plan = run([str(installed / "posturebreak"), "plan", "--date", "2026-11-23"], cwd, env)
    assert "stand" in plan.lower()
    where = run(
        [str(installed / "python"), "-c", "import posturebreak; print(posturebreak.__file__)"],
        cwd,
        env,
    )
    assert str(REPO) not in where, "the test imported the source tree, not the install"


def test_the_wheel_carries_the_pictures_exercises_and_icons(tmp_path):
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("posturebreak-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "posturebreak/assets/exercises.toml" in names or any(
        n.endswith("exercises.toml") for n in names
    )
    assert any(n.startswith("posturebreak/assets/exercises/") and n.endswith(".png") for n in names)
    assert any(n.startswith("posturebreak/assets/icons/") for n in names)
    assert "posturebreak/py.typed" in names
    # Every module of the source tree is in the wheel (a package left out of pyproject's
    # list would only fail when a user reaches it).
    source = {p.relative_to(REPO).as_posix() for p in (REPO / "posturebreak").rglob("*.py")}
    assert source <= set(names), sorted(source - set(names))


def readme_uninstall_block() -> str:
    """The shell block under the README's "Uninstall" heading."""
    text = (REPO / "README.md").read_text()
    section = text.split("## Uninstall", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="session")
def pipx_installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """``pipx install .`` as the README says, into a pipx home of its own."""
    root = tmp_path_factory.mktemp("pipx")
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "PYTHONPATH"}}
    env.update(PIPX_HOME=str(root / "pipx"), PIPX_BIN_DIR=str(root / "bin"))
    env.update(PIPX_MAN_DIR=str(root / "man"), PIPX_DEFAULT_PYTHON=sys.executable)
    run([sys.executable, "-m", "pipx", "install", str(REPO)], cwd=root, env=env)
    # The pipx-installed command first, then pipx itself (installed with the test tools).
    path = [str(root / "bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
    env["PATH"] = os.pathsep.join(path)
    return root, env


def test_pipx_install_gives_a_working_command(pipx_installed, outside):
    root, pipx_env = pipx_installed
    cwd, env = outside
    env = {**pipx_env, **env, "PATH": pipx_env["PATH"]}
    pb = root / "bin" / "posturebreak"
    assert pb.exists(), "pipx put no posturebreak command on the PATH"
    assert "stand" in run([str(pb), "plan", "--date", "2026-11-23"], cwd, env).lower()
    probe = (
        "import posturebreak; from posturebreak.core.exercises import ExerciseLibrary as L; "
        "lib = L.load(); print(posturebreak.__file__); print(len(lib.exercises)); "
        "print(sum((lib.picture_dir / e.picture).exists() for e in lib.exercises))"
    )
    python = root / "pipx" / "venvs" / "posturebreak" / "bin" / "python"
    where = run([str(python), "-c", probe], cwd, env)
    assert str(REPO) not in where.splitlines()[0]
    _file, cards, pictures = where.splitlines()
    assert int(cards) >= 20, "the exercise cards did not come with the install"
    assert pictures == cards, "some exercise pictures did not come with the install"


def test_the_readme_uninstall_block_removes_autostart_settings_history_and_the_command(
    pipx_installed, tmp_path
):
    root, pipx_env = pipx_installed
    home = tmp_path / "user"
    env = {k: v for k, v in pipx_env.items() if k != "POSTUREBREAK_HOME"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.update(XDG_DATA_HOME=str(home / ".local" / "share"), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    (tmp_path / "run").mkdir(mode=0o700)
    pb = str(root / "bin" / "posturebreak")
    run([pb, "autostart", "on"], tmp_path, env)
    # The app running, as it is when someone decides to uninstall: it writes config and log.
    app = subprocess.Popen(
        [pb, "run", "--console"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            ping = subprocess.run([pb, "status"], env=env, capture_output=True, check=False)
            if ping.returncode == 0:
                break
            time.sleep(0.1)
        ours = [home / ".config" / "posturebreak", home / ".local" / "share" / "posturebreak"]
        entries = list(home.rglob("posturebreak*.desktop"))
        assert entries, "autostart on wrote no login entry"
        assert all(d.exists() for d in ours), "the running app wrote no config or log"
        run(["sh", "-ec", readme_uninstall_block()], tmp_path, env)
        assert app.wait(timeout=15) == 0, "posturebreak quit did not stop the app"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert not [e for e in entries if e.exists()], "the login entry survived"
    assert not [d for d in ours if d.exists()], "settings or history survived the purge line"
    assert not (root / "bin" / "posturebreak").exists(), "pipx uninstall left the command"
