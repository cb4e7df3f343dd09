r"""Start posturebreak at login: ``posturebreak autostart on|off|status``.

One entry per platform, and only ever our own:

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/posturebreak.desktop``
  (default ``~/.config``), a freedesktop entry.
- macOS: ``~/Library/LaunchAgents/org.posturebreak.app.plist``, a LaunchAgent with RunAtLoad.
- Windows: the value ``posturebreak`` under
  ``HKCU\Software\Microsoft\Windows\CurrentVersion\Run``.

Every operation is idempotent; ``off`` removes our entry and nothing else. The platform and
the environment are parameters so every path but the registry is testable anywhere.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from posturebreak.paths import APP_NAME

DESKTOP_FILE = "posturebreak.desktop"
AGENT_LABEL = "org.posturebreak.app"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = APP_NAME

LINUX = "linux"
MACOS = "darwin"
WINDOWS = "win32"

# Desktop Entry spec, "The Exec key": an argument holding any of these must be quoted.
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# Inside double quotes these four must be backslash-escaped.
_EXEC_QUOTED_ESCAPES = frozenset('"`$\\')


class AutostartError(Exception):
    """Autostart could not be read or changed; the message is one line saying what to do."""


@dataclass(frozen=True)
class AutostartEntry:
    """Where our login entry lives on this platform, and whether it is switched on."""

    platform: str
    location: str
    enabled: bool

    def describe(self) -> str:
        """One line for the command line: "autostart is on (/home/me/.config/...)"."""
        state = "on" if self.enabled else "off"
        return f"autostart is {state} ({self.location})"


def platform_family(platform: str | None = None) -> str:
    """``win32``, ``darwin`` or ``linux`` (which stands for every XDG desktop)."""
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "cygwin")):
        return WINDOWS
    if platform.startswith("darwin"):
        return MACOS
    return LINUX


def launch_command(executable: str | None = None, platform: str | None = None) -> list[str]:
    """How to start us at login.

    The ``posturebreak`` console script next to the interpreter when it exists (a venv or a
    pipx install), otherwise ``python -m posturebreak run``.

    Args:
        executable: the interpreter; ``sys.executable`` by default.
        platform: a ``sys.platform`` value; the running one by default.
    """
    # Not resolved: in a venv, bin/python is a symlink and the script lives beside the link.
    python = Path(sys.executable if executable is None else executable)
    windows = platform_family(platform) == WINDOWS
    script = python.with_name(f"{APP_NAME}.exe" if windows else APP_NAME)
    if script.is_file():
        return [str(script)]
    return [str(python), "-m", APP_NAME, "run"]


def _check_command(command: Sequence[str]) -> None:
    if not command:
        raise AutostartError("the launch command is empty")
    for arg in command:
        if any(ord(ch) < 0x20 or ch == "\x7f" for ch in arg):
            raise AutostartError(
                f"the launch command contains a control character ({arg!r}); "
                "install posturebreak under a path without one"
            )


def _exec_argument(arg: str) -> str:
    if arg and not any(ch in _EXEC_RESERVED for ch in arg):
        return arg
    escaped = "".join("\\" + ch if ch in _EXEC_QUOTED_ESCAPES else ch for ch in arg)
    return f'"{escaped}"'


def exec_value(command: Sequence[str]) -> str:
    r"""``command`` as the value of an ``Exec=`` key, quoted and escaped per the spec.

    Arguments with reserved characters are double-quoted (with ``"`$\`` escaped inside),
    ``%`` is doubled so it is not a field code, and then the string-value rule doubles every
    backslash.
    """
    _check_command(command)
    line = " ".join(_exec_argument(arg) for arg in command).replace("%", "%%")
    return line.replace("\\", "\\\\")


def desktop_entry_text(command: Sequence[str]) -> str:
    """A freedesktop autostart entry that runs ``command`` at login (pure)."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        f"Name={APP_NAME}\n"
        "GenericName=Break reminder\n"
        "Comment=Reminds you to stand, stretch and walk, and keeps an honest log\n"
        f"Exec={exec_value(command)}\n"
        "Terminal=false\n"
        "Categories=Utility;\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent_plist(command: Sequence[str]) -> bytes:
    """A macOS LaunchAgent that runs ``command`` once at login (pure)."""
    _check_command(command)
    agent = {
        "Label": AGENT_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        # A tray app: start only in a graphical login, with interactive scheduling priority.
        "LimitLoadToSessionType": "Aqua",
        "ProcessType": "Interactive",
    }
    import plistlib  # macOS only: keeps the XML parser out of the app elsewhere

    return plistlib.dumps(agent, fmt=plistlib.FMT_XML, sort_keys=True)


def run_key_value(command: Sequence[str]) -> str:
    """``command`` as a Windows command line for the Run key (pure)."""
    _check_command(command)
    return subprocess.list2cmdline(list(command))


# ---------------------------------------------------------------------------- locations


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    if not home:
        raise AutostartError("HOME is not set: set it to your home directory and try again")
    return Path(home)


def desktop_file_path(env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/autostart/posturebreak.desktop`` (``~/.config`` by default)."""
    config = env.get("XDG_CONFIG_HOME", "")
    # The base-directory spec says a relative value is invalid and must be ignored.
    base = Path(config) if config and Path(config).is_absolute() else _home(env) / ".config"
    return base / "autostart" / DESKTOP_FILE


def launch_agent_path(env: Mapping[str, str]) -> Path:
    """``~/Library/LaunchAgents/org.posturebreak.app.plist``."""
    return _home(env) / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"


def _registry_location() -> str:
    return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"


# ---------------------------------------------------------------------------- files


def _write_file(path: Path, content: bytes) -> None:
    try:
        if path.is_file() and path.read_bytes() == content:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temp.write_bytes(content)
            temp.chmod(0o644)
            # Atomic: a login that races us sees the old entry or the new one, never half.
            temp.replace(path)
        finally:
            temp.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(
            f"cannot write {path}: {exc.strerror or exc}; "
            f"make sure {path.parent} is a directory you can write to"
        ) from None


def _remove_file(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except NotADirectoryError:
        return  # a parent is a regular file, so there is no entry to remove
    except OSError as exc:
        raise AutostartError(
            f"cannot remove {path}: {exc.strerror or exc}; remove it by hand"
        ) from None


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise AutostartError(
            f"cannot read {path}: {exc.strerror or exc}; check its permissions"
        ) from None


def desktop_entry_enabled(text: str) -> bool:
    """Whether a desktop entry would be started at login (not Hidden, not switched off)."""
    in_main_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_main_group = line == "[Desktop Entry]"
            continue
        key, sep, value = line.partition("=")
        if not in_main_group or not sep:
            continue
        key, value = key.strip(), value.strip().lower()
        if (key == "Hidden" and value == "true") or (
            key == "X-GNOME-Autostart-enabled" and value == "false"
        ):
            return False
    return True


def _agent_enabled(data: bytes, path: Path) -> bool:
    import plistlib  # macOS only (see above)

    try:
        agent = plistlib.loads(data)
    except Exception:  # noqa: BLE001  plistlib raises several unrelated types on bad input
        raise AutostartError(
            f"{path} is not a valid property list; run `posturebreak autostart off` "
            "and then `posturebreak autostart on` to rewrite it"
        ) from None
    return (
        isinstance(agent, dict)
        and agent.get("RunAtLoad") is True
        and agent.get("Disabled") is not True
    )


# ---------------------------------------------------------------------------- registry


def _registry_set(value: str | None) -> None:
    """Write (or, with ``None``, delete) our Run value."""
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                if value is not None:
                    winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, value)
                else:
                    # Already gone is fine: off is idempotent.
                    with contextlib.suppress(FileNotFoundError):
                        winreg.DeleteValue(key, RUN_VALUE)
        except OSError as exc:
            raise AutostartError(
                f"cannot change {_registry_location()}: {exc.strerror or exc}"
            ) from None
    else:
        raise AutostartError("the Windows Run key can only be changed on Windows")


def _registry_get() -> str | None:
    """Our Run value, or ``None`` when there is none."""
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, RUN_VALUE)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AutostartError(
                f"cannot read {_registry_location()}: {exc.strerror or exc}"
            ) from None
        return str(value)
    raise AutostartError("the Windows Run key can only be read on Windows")


# ---------------------------------------------------------------------------- public API


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def enable(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    command: Sequence[str] | None = None,
) -> AutostartEntry:
    """Switch autostart on (idempotent): write our entry to run ``command``.

    ``command`` defaults to :func:`launch_command`.
    """
    family = platform_family(platform)
    command = launch_command() if command is None else list(command)
    env = _environ(env)
    if family == WINDOWS:
        _registry_set(run_key_value(command))
        return AutostartEntry(family, _registry_location(), enabled=True)
    if family == MACOS:
        path = launch_agent_path(env)
        _write_file(path, launch_agent_plist(command))
    else:
        path = desktop_file_path(env)
        _write_file(path, desktop_entry_text(command).encode("utf-8"))
    return AutostartEntry(family, str(path), enabled=True)


def disable(env: Mapping[str, str] | None = None, platform: str | None = None) -> AutostartEntry:
    """Switch autostart off (idempotent): remove our entry, and only ours."""
    family = platform_family(platform)
    env = _environ(env)
    if family == WINDOWS:
        _registry_set(None)
        return AutostartEntry(family, _registry_location(), enabled=False)
    path = launch_agent_path(env) if family == MACOS else desktop_file_path(env)
    _remove_file(path)
    return AutostartEntry(family, str(path), enabled=False)


def status(env: Mapping[str, str] | None = None, platform: str | None = None) -> AutostartEntry:
    """Whether our entry exists and would run at the next login."""
    family = platform_family(platform)
    env = _environ(env)
    if family == WINDOWS:
        return AutostartEntry(family, _registry_location(), enabled=_registry_get() is not None)
    if family == MACOS:
        path = launch_agent_path(env)
        data = _read_file(path)
        enabled = data is not None and _agent_enabled(data, path)
    else:
        path = desktop_file_path(env)
        data = _read_file(path)
        enabled = data is not None and desktop_entry_enabled(data.decode("utf-8", "replace"))
    return AutostartEntry(family, str(path), enabled=enabled)
