"""A clean install: ``pip install .`` into a fresh venv works from outside the repository,
the wheel carries the assets, and the README's uninstall commands do what they say."""

from __future__ import annotations

import os
import subprocess
import sys
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
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(REPO)], cwd=root)
    return bin_dir


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


def test_the_readme_uninstall_commands_remove_autostart_and_data(installed, outside):
    cwd, env = outside
    pb = str(installed / "posturebreak")
    run([pb, "plan"], cwd, env)
    run([pb, "autostart", "on"], cwd, env)
    entries = list(cwd.rglob("posturebreak*.desktop"))
    assert entries, "autostart on wrote no login entry"
    run([pb, "autostart", "off"], cwd, env)
    assert not [e for e in entries if e.exists()]
    # The README's purge line, with the data under POSTUREBREAK_HOME.
    config_path = run([pb, "config", "path"], cwd, env).strip()
    subprocess.run(["rm", "-rf", str(Path(config_path).parent)], check=True)
    assert not Path(config_path).parent.exists()
