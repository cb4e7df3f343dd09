"""Autostart at login: the XDG desktop entry, the macOS LaunchAgent and the Windows pieces."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posturebreak.frontends.desktop import autostart
from posturebreak.frontends.desktop.autostart import AutostartError

COMMAND = ["/opt/posture break/bin/posturebreak"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "pb"))
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def parse_exec(value: str) -> list[str]:
    """A reference reader for an Exec= value, written from the Desktop Entry spec."""
    simple = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    unescaped, i = [], 0
    while i < len(value):
        if value[i] == "\\":
            unescaped.append(simple[value[i + 1]])
            i += 2
        else:
            unescaped.append(value[i])
            i += 1
    text = "".join(unescaped)
    args: list[str] = []
    current: list[str] | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == " ":
            if current is not None:
                args.append("".join(current))
                current = None
            i += 1
        elif ch == '"':
            current = current if current is not None else []
            i += 1
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"`$\\':
                    i += 1
                current.append(text[i])
                i += 1
            i += 1
        else:
            assert ch not in "\"'\\><~|&;$*?#()`", f"reserved {ch!r} outside quotes in {text!r}"
            current = current if current is not None else []
            current.append(ch)
            i += 1
    if current is not None:
        args.append("".join(current))
    return [arg.replace("%%", "%") for arg in args]


def exec_line(text: str) -> str:
    [line] = [ln for ln in text.splitlines() if ln.startswith("Exec=")]
    return line.removeprefix("Exec=")


# ---------------------------------------------------------------------------- Linux / XDG


def test_enable_twice_writes_one_identical_file(env, tmp_path):
    first = autostart.enable(env, platform="linux", command=COMMAND)
    path = tmp_path / "config" / "autostart" / "posturebreak.desktop"
    assert first == autostart.AutostartEntry("linux", str(path), enabled=True)
    content = path.read_bytes()
    second = autostart.enable(env, platform="linux", command=COMMAND)
    assert second == first
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["posturebreak.desktop"]
    assert autostart.status(env, platform="linux").enabled


def test_entry_runs_our_command_at_login(env, tmp_path):
    autostart.enable(env, platform="linux", command=COMMAND)
    text = (tmp_path / "config" / "autostart" / "posturebreak.desktop").read_text()
    assert text.startswith("[Desktop Entry]\n")
    assert "X-GNOME-Autostart-enabled=true\n" in text
    assert "Type=Application\n" in text
    assert exec_line(text) == '"/opt/posture break/bin/posturebreak"'
    assert parse_exec(exec_line(text)) == COMMAND


def test_status_is_off_before_enable_and_after_disable(env, tmp_path):
    assert not autostart.status(env, platform="linux").enabled
    autostart.enable(env, platform="linux", command=COMMAND)
    assert autostart.status(env, platform="linux").enabled
    entry = autostart.disable(env, platform="linux")
    assert not entry.enabled
    assert not autostart.status(env, platform="linux").enabled
    assert not (tmp_path / "config" / "autostart" / "posturebreak.desktop").exists()


def test_disable_removes_only_our_entry(env, tmp_path):
    folder = tmp_path / "config" / "autostart"
    folder.mkdir(parents=True)
    other = folder / "nextcloud.desktop"
    other.write_text("[Desktop Entry]\nType=Application\nName=Nextcloud\nExec=nextcloud\n")
    autostart.enable(env, platform="linux", command=COMMAND)
    autostart.disable(env, platform="linux")
    assert [p.name for p in folder.iterdir()] == ["nextcloud.desktop"]
    assert other.read_text().startswith("[Desktop Entry]")


def test_disable_when_absent_is_fine(env):
    assert not autostart.disable(env, platform="linux").enabled
    assert not autostart.disable(env, platform="linux").enabled


def test_default_location_is_home_config(env, tmp_path):
    without_xdg = {"HOME": env["HOME"]}
    entry = autostart.enable(without_xdg, platform="linux", command=COMMAND)
    assert entry.location == str(
        tmp_path / "home" / ".config" / "autostart" / "posturebreak.desktop"
    )
    # The base-directory spec: a relative XDG_CONFIG_HOME is invalid and ignored.
    relative = {"HOME": env["HOME"], "XDG_CONFIG_HOME": "relative/dir"}
    assert autostart.status(relative, platform="linux") == entry


def test_entry_switched_off_by_the_desktop_counts_as_off(env, tmp_path):
    entry = autostart.enable(env, platform="linux", command=COMMAND)
    path = Path(entry.location)
    # GNOME's "Startup Applications" switch writes this instead of deleting the file.
    path.write_text(path.read_text().replace("Autostart-enabled=true", "Autostart-enabled=false"))
    assert not autostart.status(env, platform="linux").enabled
    path.write_text("[Desktop Entry]\nType=Application\nHidden=true\nExec=posturebreak\n")
    assert not autostart.status(env, platform="linux").enabled
    # Switching on again rewrites it with our content.
    autostart.enable(env, platform="linux", command=COMMAND)
    assert autostart.status(env, platform="linux").enabled


def test_unwritable_autostart_dir_is_one_clear_error(env, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "autostart").write_text("not a directory")
    with pytest.raises(AutostartError) as caught:
        autostart.enable(env, platform="linux", command=COMMAND)
    message = str(caught.value)
    assert str(config / "autostart") in message
    assert "directory you can write to" in message
    assert "\n" not in message
    # Nothing to remove and nothing enabled: off and status do not fail on it.
    assert not autostart.disable(env, platform="linux").enabled
    assert not autostart.status(env, platform="linux").enabled


def test_missing_home_is_one_clear_error():
    with pytest.raises(AutostartError, match="HOME is not set"):
        autostart.status({}, platform="linux")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["/usr/bin/posturebreak"], "/usr/bin/posturebreak"),
        (["/opt/a b/python", "-m", "posturebreak", "run"], '"/opt/a b/python" -m posturebreak run'),
        (["/home/$USER/x"], '"/home/\\\\$USER/x"'),
        (["/srv/100%/pb"], "/srv/100%%/pb"),
        (["C:\\odd\\path"], '"C:\\\\\\\\odd\\\\\\\\path"'),
        (["/a/it's"], '"/a/it\'s"'),
        (["/bin/pb", ""], '/bin/pb ""'),
    ],
)
def test_exec_quoting_follows_the_spec(command, expected):
    assert autostart.exec_value(command) == expected
    assert parse_exec(expected) == command


@given(
    st.lists(
        st.text(st.characters(min_codepoint=0x20, blacklist_characters="\x7f"), max_size=20),
        min_size=1,
        max_size=4,
    )
)
def test_exec_value_reads_back_as_the_same_arguments(command):
    assert parse_exec(autostart.exec_value(command)) == command


def test_control_characters_in_the_command_are_refused():
    with pytest.raises(AutostartError, match="control character"):
        autostart.desktop_entry_text(["/opt/new\nline/posturebreak"])


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate not installed (Debian: desktop-file-utils)",
)
@pytest.mark.parametrize(
    "command",
    [COMMAND, ["/opt/odd $dir/100% \\ it's/python3", "-m", "posturebreak", "run"]],
)
def test_entry_passes_desktop_file_validate(env, command):
    entry = autostart.enable(env, platform="linux", command=command)
    done = subprocess.run(
        ["desktop-file-validate", entry.location], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in (done.stdout + done.stderr).lower()


# ---------------------------------------------------------------------------- macOS


def test_launch_agent_plist_runs_at_load():
    agent = plistlib.loads(autostart.launch_agent_plist(COMMAND))
    assert agent["Label"] == "org.posturebreak.app"
    assert agent["RunAtLoad"] is True
    assert agent["ProgramArguments"] == COMMAND


def test_launch_agent_lifecycle(env, tmp_path):
    plist = tmp_path / "home" / "Library" / "LaunchAgents" / "org.posturebreak.app.plist"
    neighbour = plist.parent / "com.example.other.plist"
    plist.parent.mkdir(parents=True)
    neighbour.write_bytes(b"theirs")
    assert not autostart.status(env, platform="darwin").enabled
    entry = autostart.enable(env, platform="darwin", command=COMMAND)
    assert entry == autostart.AutostartEntry("darwin", str(plist), enabled=True)
    content = plist.read_bytes()
    autostart.enable(env, platform="darwin", command=COMMAND)
    assert plist.read_bytes() == content
    assert plistlib.loads(content)["ProgramArguments"] == COMMAND
    assert autostart.status(env, platform="darwin").enabled
    autostart.disable(env, platform="darwin")
    autostart.disable(env, platform="darwin")
    assert not plist.exists()
    assert neighbour.read_bytes() == b"theirs"
    assert not autostart.status(env, platform="darwin").enabled


def test_corrupt_launch_agent_is_one_clear_error(env, tmp_path):
    entry = autostart.enable(env, platform="darwin", command=COMMAND)
    Path(entry.location).write_bytes(b"<plist>garbage")
    with pytest.raises(AutostartError, match="autostart off"):
        autostart.status(env, platform="darwin")
    autostart.disable(env, platform="darwin")
    assert not autostart.status(env, platform="darwin").enabled


def test_unwritable_launch_agents_dir_is_one_clear_error(env, tmp_path):
    (tmp_path / "home" / "Library").write_text("a file where a folder should be")
    with pytest.raises(AutostartError, match="Library"):
        autostart.enable(env, platform="darwin", command=COMMAND)


# ---------------------------------------------------------------------------- Windows


def test_run_key_value_quotes_paths_with_spaces():
    value = autostart.run_key_value(
        ["C:\\Program Files\\Python311\\pythonw.exe", "-m", "posturebreak", "run"]
    )
    assert value == '"C:\\Program Files\\Python311\\pythonw.exe" -m posturebreak run'


@pytest.mark.skipif(sys.platform == "win32", reason="checks the guard on other systems")
def test_registry_outside_windows_is_one_clear_error(env):
    with pytest.raises(AutostartError, match="only be changed on Windows"):
        autostart.enable(env, platform="win32", command=COMMAND)


# ---------------------------------------------------------------------------- launch command


def test_launch_command_prefers_the_console_script(tmp_path):
    bindir = tmp_path / "venv" / "bin"
    bindir.mkdir(parents=True)
    python = bindir / "python"
    python.write_text("")
    assert autostart.launch_command(str(python), platform="linux") == [
        str(python),
        "-m",
        "posturebreak",
        "run",
    ]
    (bindir / "posturebreak").write_text("#!/bin/sh\n")
    assert autostart.launch_command(str(python), platform="linux") == [str(bindir / "posturebreak")]


def test_launch_command_on_windows_looks_for_the_exe(tmp_path):
    python = tmp_path / "python.exe"
    (tmp_path / "posturebreak").write_text("")  # not what Windows runs
    assert autostart.launch_command(str(python), platform="win32")[1:] == [
        "-m",
        "posturebreak",
        "run",
    ]
    (tmp_path / "posturebreak.exe").write_text("")
    assert autostart.launch_command(str(python), platform="win32") == [
        str(tmp_path / "posturebreak.exe")
    ]


def test_describe_names_state_and_place(env):
    entry = autostart.enable(env, platform="linux", command=COMMAND)
    assert entry.describe() == f"autostart is on ({entry.location})"
    assert autostart.disable(env, platform="linux").describe().startswith("autostart is off (")
