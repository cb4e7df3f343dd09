"""The spool: an fsynced, append-only file next to the log for events SQLite cannot take yet.

When the log is locked by another program, the disk is full or the file is read-only, an
answer is still made durable here before it is acknowledged, and merged into the log (in
order, exactly once: the log ignores an id it already holds) as soon as it is writable again.

One event per line, ``<crc32 of the JSON, 8 hex digits> <JSON>``. The file keeps a reserve of
zero bytes allocated on disk (``posix_fallocate``) while there is space, so a disk that fills
up later still has room for weeks of answers: a write into allocated blocks needs no new ones.
The data ends at the first zero byte. A line that was torn by a crash was never acknowledged
(acknowledging waits for ``fsync``), so a line whose checksum does not match is left out.

Thread rule: one ``Spool`` is used by the log writer's thread only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from posturebreak.core.domain import Event
from posturebreak.private import open_private
from posturebreak.storage.eventio import ImportFormatError, event_from_dict, event_to_dict

_log = logging.getLogger(__name__)

# About 300 answers at ~200 bytes each: a month of breaks on a disk that stays full.
RESERVE_BYTES = 64 * 1024
# Reading stops here: a spool is never more than a few reserves long in normal use, and a
# planted huge file must not be read into memory whole.
_MAX_READ_BYTES = 64 * 1024 * 1024


def _line(event: Event) -> bytes:
    record = event_to_dict(event)
    record.pop("seq", None)  # the log numbers events when they reach it
    text = json.dumps(record, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return b"%08x %s\n" % (zlib.crc32(text), text)


def _parse(raw: bytes, where: str) -> Event | None:
    """The event on one spool line, or ``None`` for a torn or foreign line."""
    crc, _, text = raw.partition(b" ")
    try:
        if len(crc) != 8 or int(crc, 16) != zlib.crc32(text):
            return None
        record = json.loads(text.decode("ascii"))
        return event_from_dict(record, where)
    except (ValueError, RecursionError, ImportFormatError) as exc:
        _log.warning("spool %s: left out a line that cannot be read: %s", where, exc)
        return None


def _write_all(fd: int, data: bytes, offset: int) -> None:
    """``pwrite`` all of ``data``; a short write (the disk filled up meanwhile) is ENOSPC."""
    done = 0
    while done < len(data):
        n = os.pwrite(fd, data[done:], offset + done)
        if n == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        done += n


def _events(whole_lines: bytes, path: Path) -> list[Event]:
    """The events on the complete lines ``whole_lines`` of the spool at ``path``."""
    lines = whole_lines.splitlines()
    return [e for n, raw in enumerate(lines, 1) if (e := _parse(raw, f"{path}:{n}"))]


class Spool:
    """The spool file at ``path`` (created 0600 without following links)."""

    def __init__(self, path: Path, fd: int, end: int, pending: list[Event]) -> None:
        """Wrap an open spool; use :meth:`open`."""
        self.path = path
        self._fd = fd
        self._end = end
        self._pending = pending

    @classmethod
    def open(cls, path: Path) -> Spool:
        """Open (or create) the spool and read what it holds.

        Raises:
            UnsafePathError: ``path`` is a planted link or not our file.
            OSError: the folder is missing or not writable.
        """
        fd = open_private(path, os.O_RDWR)
        try:
            data = os.pread(fd, _MAX_READ_BYTES, 0)
            data = data.split(b"\0", 1)[0]
            end = data.rfind(b"\n") + 1
            if end < len(data):
                # A line torn by a crash (never acknowledged): clear it, or the next line
                # appended would be glued to it and fail its checksum too.
                with contextlib.suppress(OSError):
                    os.pwrite(fd, b"\0" * (len(data) - end), end)
                    os.fsync(fd)
            pending = _events(data[:end], path)
        except BaseException:
            os.close(fd)
            raise
        spool = cls(path, fd, end, pending)
        spool.reserve()
        return spool

    def pending(self) -> list[Event]:
        """The events waiting for the log, oldest first."""
        return list(self._pending)

    def __len__(self) -> int:
        return len(self._pending)

    def append(self, events: Sequence[Event]) -> None:
        """Add ``events`` and return only once they are on the disk (``fsync``).

        Raises ``OSError`` (a full disk past the reserve, a read-only file system); then
        nothing was added.
        """
        if not events:
            return
        self._follow_path()
        data = b"".join(_line(e) for e in events)
        try:
            _write_all(self._fd, data, self._end)
            os.fsync(self._fd)
        except OSError:
            # Whatever part got written is not acknowledged: clear it for the next try.
            with contextlib.suppress(OSError):
                os.pwrite(self._fd, b"\0" * len(data), self._end)
            raise
        self._end += len(data)
        self._pending.extend(events)

    def _follow_path(self) -> None:
        """Reopen the spool if its path no longer names the open file (deleted, replaced).

        An fsync into a deleted file would acknowledge answers that vanish at exit: the ones
        waiting are written again into the file now at the path (its folder made again).
        """
        try:
            st = self.path.lstat()
            here = os.fstat(self._fd)
            if (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino):
                return
        except FileNotFoundError:
            pass
        _log.warning("spool %s was deleted or replaced; writing it again", self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        found = read_pending(self.path)  # a file put there holds answers too: keep them
        fd = open_private(self.path, os.O_RDWR)
        os.close(self._fd)
        self._fd, self._end = fd, 0
        os.ftruncate(fd, 0)
        ours = {e.id for e in self._pending}
        waiting, self._pending = self._pending + [e for e in found if e.id not in ours], []
        if waiting:
            _write_all(fd, b"".join(_line(e) for e in waiting), 0)
            os.fsync(fd)
            self._end = os.fstat(fd).st_size
            self._pending = waiting
        self.reserve()

    def clear(self, merged: Iterable[Event]) -> None:
        """Forget ``merged`` (now in the log): empty the file and renew its reserve.

        A crash before this finishes leaves them in the file; the next merge finds their ids
        in the log already and adds nothing twice.
        """
        done = {e.id for e in merged}
        left = [e for e in self._pending if e.id not in done]
        os.ftruncate(self._fd, 0)
        self._end = 0
        self._pending = []
        self.append(left)  # nothing in practice: the writer merges all of it at once
        if not left:
            os.fsync(self._fd)
        self.reserve()

    def reserve(self) -> None:
        """Allocate the reserve past the data, if the disk has the room (else later)."""
        fallocate = getattr(os, "posix_fallocate", None)
        if fallocate is None:  # Windows, macOS: no reserve; the disk's free space is it
            return
        try:
            fallocate(self._fd, self._end, RESERVE_BYTES)
        except OSError as exc:
            _log.info("spool %s: no reserve for now: %s", self.path, exc.strerror or exc)

    def close(self) -> None:
        """Close the file (what it holds stays for the next start)."""
        with contextlib.suppress(OSError):
            os.close(self._fd)


def read_pending(path: Path) -> list[Event]:
    """The events in the spool at ``path`` without opening it for writing (readers: the CLI)."""
    try:
        with open(path, "rb") as f:  # noqa: PTH123  plain read; a link here is read, not written
            data = f.read(_MAX_READ_BYTES).split(b"\0", 1)[0]
    except OSError:
        return []
    return _events(data[: data.rfind(b"\n") + 1], path)
