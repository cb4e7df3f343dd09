"""Creating the app's private files and directories safely.

Every file only the app should touch (the instance lock, the app log, the welcome marker, the
socket's directory) goes through here, so the same rules hold everywhere:

* A directory we keep files in must be ours and writable by nobody else; a new one is made 0700.
* A file is opened relative to a descriptor of its directory (no path component can be swapped
  after the check), with ``O_NOFOLLOW`` (a planted symbolic link is refused, never followed) and
  created 0600; what was opened must be a regular file we own with one link.
* Nothing is truncated before those checks pass (callers never pass ``O_TRUNC``).

A refusal is an :class:`UnsafePathError`: an ``OSError`` whose text is one line naming the path
and what to do, e.g. "/run/user/0/posturebreak/posturebreak.lock is a symbolic link, not our
file; remove it and start again".
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a planted FIFO must not hang the open
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_AGAIN = "remove it and start again"


class UnsafePathError(OSError):
    """A path the app would use is not safely its own (a symbolic link, another owner...)."""

    def __init__(self, path: Path, problem: str, remedy: str = _AGAIN) -> None:
        message = f"{path} {problem}; {remedy}"
        super().__init__(errno.EPERM, message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return self.message


def _uid() -> int | None:
    """Our effective uid; None where the OS has no uids (Windows: the ACLs guard there)."""
    geteuid = getattr(os, "geteuid", None)
    return int(geteuid()) if geteuid is not None else None


def _check_dir_stat(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(path, "is not a directory")
    uid = _uid()
    if uid is None:
        return
    if info.st_uid != uid:
        raise UnsafePathError(path, f"belongs to uid {info.st_uid}, not to you (uid {uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafePathError(
            path, "is writable by other users", f"run `chmod go-w {path}` and start again"
        )


def check_private_dir(path: Path) -> None:
    """Refuse ``path`` unless it is a directory we own that nobody else can write to.

    Raises:
        UnsafePathError: it is someone else's, or others can write to it.
        OSError: it cannot be looked at (``FileNotFoundError`` when it does not exist).
    """
    _check_dir_stat(path, path.stat())


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) 0700 if missing, then :func:`check_private_dir` it.

    Raises:
        OSError: it cannot be created; an :class:`UnsafePathError` when it is not ours.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_private_dir(path)


def open_private(path: Path, flags: int) -> int:
    """Open (creating it 0600 if missing) our private file ``path``; returns the descriptor.

    ``flags`` is the access mode plus e.g. ``O_APPEND``; never ``O_TRUNC`` (truncate with
    ``os.ftruncate`` once this returned, so a refused file is never emptied). The directory must
    exist and pass :func:`check_private_dir`.

    Raises:
        UnsafePathError: a symbolic link, not a regular file, or someone else's file or directory.
        OSError: anything else (a missing directory, no permission).
    """
    if flags & os.O_TRUNC:
        raise ValueError("open_private never truncates before its checks; use os.ftruncate")
    if os.open not in os.supports_dir_fd or not _NOFOLLOW:  # Windows: no dir fds, no links
        return os.open(path, flags | os.O_CREAT, 0o600)
    dir_fd = os.open(path.parent, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        _check_dir_stat(path.parent, os.fstat(dir_fd))
        try:
            fd = os.open(
                path.name,
                flags | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC,
                0o600,
                dir_fd=dir_fd,
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(path, "is a symbolic link, not our file") from None
            raise
    finally:
        os.close(dir_fd)
    try:
        _check_file(path, fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_file(path: Path, fd: int) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(path, "is not a regular file")
    uid = _uid()
    if uid is not None and info.st_uid != uid:
        raise UnsafePathError(path, f"belongs to uid {info.st_uid}, not to you (uid {uid})")
    if info.st_nlink != 1:
        raise UnsafePathError(path, "has other hard links, so it is not only ours")
    if info.st_mode & 0o077:
        os.fchmod(fd, 0o600)  # ours but readable by others (made by an older version): close it
    if _NONBLOCK:
        import fcntl  # POSIX only, like the O_NONBLOCK it clears

        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
