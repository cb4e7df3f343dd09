"""Where posturebreak keeps its files.

``POSTUREBREAK_HOME=DIR`` puts everything (config, log, socket, lock) under DIR, for tests and
portable use; otherwise the platform's own locations from platformdirs.

The runtime directory (lock and socket) is ``$XDG_RUNTIME_DIR/posturebreak`` when that
variable names a directory we own that only we can use, else ``/run/user/<uid>/posturebreak``
under the same condition (so a cron or ssh session without the variable still finds the desktop
session's app), else ``run`` in the user's own cache directory (``~/.cache/posturebreak/run``).
Never a name in a shared temporary directory: another user could create that first.

A socket address is at most ~104 bytes. When the runtime directory is too deep for one (deep
``POSTUREBREAK_HOME`` directories in tests), the socket lives in a directory made by
``tempfile.mkdtemp`` (an unguessable name, created 0700 by us, so nobody else can own it) and
the runtime directory records its name in ``control.sockdir``; clients read it from there.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from posturebreak import private

if TYPE_CHECKING:
    from platformdirs import PlatformDirs

APP_NAME = "posturebreak"

# sun_path is 108 bytes on Linux and 104 on macOS; stay clear of both.
_MAX_SOCKET_PATH = 100
_SOCKET_NAME = "control.sock"
_SOCKET_DIR_RECORD = "control.sockdir"


@dataclass(frozen=True)
class Paths:
    """The resolved locations of every file the app reads or writes."""

    config_file: Path
    data_dir: Path
    runtime_dir: Path

    @property
    def db_file(self) -> Path:
        """The SQLite event log."""
        return self.data_dir / "events.sqlite3"

    @property
    def spool_file(self) -> Path:
        """Events the log could not take yet (locked, disk full), fsynced, merged at start."""
        return self.data_dir / "events.spool"

    @property
    def lock_file(self) -> Path:
        """Held (flock) by the one running instance."""
        return self.runtime_dir / "posturebreak.lock"

    @property
    def socket_dir_record(self) -> Path:
        """Names the socket's private directory when the runtime directory is too deep."""
        return self.runtime_dir / _SOCKET_DIR_RECORD

    @property
    def socket_file(self) -> Path:
        """The control channel's Unix socket.

        The natural path in the runtime directory, unless that is too long for a socket
        address: then the one in the private directory the running app recorded (see the
        module docstring), or the too-long natural path when there is no record (nothing is
        listening then).
        """
        natural = self.runtime_dir / _SOCKET_NAME
        if socket_path_fits(natural):
            return natural
        recorded = _read_record(self.socket_dir_record)
        return recorded / _SOCKET_NAME if recorded is not None else natural

    @property
    def app_log_file(self) -> Path:
        """The app's own diagnostic log (warnings such as a failed notification)."""
        return self.data_dir / "posturebreak.log"


def socket_path_fits(path: Path) -> bool:
    """Whether ``path`` is short enough to be a Unix socket's address."""
    return len(os.fsencode(path)) <= _MAX_SOCKET_PATH


def _read_record(record: Path) -> Path | None:
    try:
        fd = os.open(record, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        text = handle.read(4096).decode("utf-8", "replace").strip()
    return Path(text) if text and Path(text).is_absolute() else None


def make_socket_dir(p: Paths) -> Path:
    """The socket's private short directory for a too-deep runtime directory (server side).

    Reuses the recorded one if it is still ours and 0700; otherwise makes a new one with
    ``tempfile.mkdtemp`` and records its name. The runtime directory must exist and be ours.

    Raises:
        OSError: it cannot be made or recorded (an ``UnsafePathError`` when not ours).
    """
    recorded = _read_record(p.socket_dir_record)
    if recorded is not None:
        with contextlib.suppress(OSError):
            info = recorded.lstat()
            if stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700:
                private.check_private_dir(recorded)
                return recorded
    import tempfile  # only deep runtime directories need it

    made = Path(tempfile.mkdtemp(prefix="posturebreak-"))
    if not socket_path_fits(made / _SOCKET_NAME):
        made.rmdir()
        raise private.UnsafePathError(
            p.runtime_dir,
            f"is too deep for a socket address, and so is {made.parent}",
            "set a shorter TMPDIR or POSTUREBREAK_HOME",
        )
    fd = private.open_private(p.socket_dir_record, os.O_WRONLY)
    with os.fdopen(fd, "wb") as out:
        out.truncate(0)
        out.write(os.fsencode(made) + b"\n")
    return made


def forget_socket_dir(p: Paths, made: Path) -> None:
    """Remove the socket's private directory and its record (server side, on stop)."""
    with contextlib.suppress(OSError):
        made.rmdir()
    if _read_record(p.socket_dir_record) == made:
        with contextlib.suppress(OSError):
            p.socket_dir_record.unlink()


def _usable_runtime_base(value: str | None) -> Path | None:
    """``value`` if it names a directory (not a link) we own with mode 0700, else None."""
    if not value or not Path(value).is_absolute():
        return None
    try:
        info = os.lstat(value)
    except OSError:
        return None
    ours = info.st_uid == os.geteuid()
    if stat.S_ISDIR(info.st_mode) and ours and not info.st_mode & 0o077:
        return Path(value)
    return None


def _runtime_dir(dirs: PlatformDirs, env: Mapping[str, str]) -> Path:
    if sys.platform in {"win32", "darwin"}:  # per-user folders there, not a shared temp dir
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return Path(dirs.user_runtime_dir)
        except OSError:
            return Path(dirs.user_cache_dir) / "run"
    for base in (env.get("XDG_RUNTIME_DIR"), f"/run/user/{os.geteuid()}"):
        usable = _usable_runtime_base(base)
        if usable is not None:
            return usable / APP_NAME
    return Path(dirs.user_cache_dir) / "run"


def resolve(env: Mapping[str, str] | None = None) -> Paths:
    """The paths for this user, honouring ``POSTUREBREAK_HOME``; looks only, creates nothing."""
    env = os.environ if env is None else env
    home = env.get("POSTUREBREAK_HOME")
    if home:
        base = Path(home).expanduser()
        return Paths(config_file=base / "config.toml", data_dir=base, runtime_dir=base)
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return Paths(
        config_file=Path(dirs.user_config_dir) / "config.toml",
        data_dir=Path(dirs.user_data_dir),
        runtime_dir=_runtime_dir(dirs, env),
    )


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) 0700 if missing and check that it is ours alone.

    Raises:
        OSError: it cannot be created, or (``UnsafePathError``) it is someone else's or
            writable by others; its text is one line naming the path and what to do.
    """
    private.ensure_private_dir(path)
