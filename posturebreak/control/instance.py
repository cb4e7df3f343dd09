"""The single-instance lock: one running app per user (per ``POSTUREBREAK_HOME``).

The lock file holds the pid of the app holding it, for the "already running" message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

from posturebreak import private
from posturebreak.control.errors import AlreadyRunning
from posturebreak.paths import Paths, ensure_private_dir

# Windows locks are mandatory: lock a byte past the pid so others can still read who holds it.
_WIN_LOCK_OFFSET = 1 << 16
_HELD = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK}


def _flock(fd: int, *, take: bool) -> bool:
    """Take (without waiting) or drop the exclusive lock; False when another holder has it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK if take else msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, (fcntl.LOCK_EX | fcntl.LOCK_NB) if take else fcntl.LOCK_UN)
    except OSError as exc:
        if take and exc.errno in _HELD:
            return False
        raise
    return True


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def lock_held_here(paths: Paths) -> bool:
    """Whether this process holds the instance lock (a second descriptor cannot take it)."""
    try:
        fd = os.open(paths.lock_file, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if _read_pid(fd) != os.getpid():
            return False
        if _flock(fd, take=True):  # nobody holds it: the pid in the file is a leftover
            _flock(fd, take=False)
            return False
        return True
    finally:
        os.close(fd)


class InstanceLock:
    """Held by the one running instance for its whole life.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows: the OS drops the lock when the
    process dies, however it dies, so a lock file left by a crash never blocks a new start.
    The file holds the owner's pid, for the message a second instance shows.
    """

    def __init__(self, paths: Paths) -> None:
        self._paths = paths
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock and write our pid into the file.

        Raises:
            AlreadyRunning: another live process holds it.
            OSError: the runtime directory cannot be created or written; an
                ``UnsafePathError`` (one line saying what to do) when it or the lock file is
                not ours alone, e.g. a planted symbolic link, which is never followed.
        """
        if self._fd is not None:
            return
        ensure_private_dir(self._paths.runtime_dir)
        fd = private.open_private(self._paths.lock_file, os.O_RDWR)  # truncated only once held
        if not _flock(fd, take=True):
            try:
                pid = _read_pid(fd)
            finally:
                os.close(fd)
            raise AlreadyRunning(pid)
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the file stays: unlinking a lock file races with a new owner)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            _flock(fd, take=False)
        os.close(fd)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
