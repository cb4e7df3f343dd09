"""Single instance and the local control channel.

The running app holds an :class:`InstanceLock` for its whole life and serves a
:class:`ControlServer`; the CLI asks it with :func:`request`. The protocol is one JSON object
per line (UTF-8): the request ``{"cmd": str, "args": {...}}``, then the reply, then close.
This module is the transport only; what a request means is the engine's business.

POSIX uses a Unix socket (mode 0600 in a 0700 directory; on Linux the peer's uid is checked
too). CPython on Windows has no AF_UNIX, so there the server listens on 127.0.0.1 on an
ephemeral port and writes the port and a random token to a user-only file; the client must
present the token.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from posturebreak import private
from posturebreak.paths import (
    Paths,
    ensure_private_dir,
    forget_socket_dir,
    make_socket_dir,
    socket_path_fits,
)

_log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024
"""The longest request line the server reads; longer ones get an error reply."""

_MAX_REPLY_BYTES = 4 * 1024 * 1024
_JOIN_SECONDS = 3.0
# Windows locks are mandatory: lock a byte past the pid so others can still read who holds it.
_WIN_LOCK_OFFSET = 1 << 16
_HELD = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK}

Handler = Callable[[Mapping[str, object]], Mapping[str, object]]
"""Turns a request ``{"cmd": str, "args": dict}`` into a reply (a JSON-able mapping)."""


class AlreadyRunning(Exception):  # noqa: N818  the name is the CLI contract
    """Another live posturebreak process holds the instance lock."""

    def __init__(self, pid: int | None) -> None:
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(
            f"posturebreak is already running ({who}). "
            "Use `posturebreak status` or `posturebreak quit`."
        )
        self.pid = pid


class NotRunning(Exception):  # noqa: N818  the name is the CLI contract
    """No posturebreak process is serving the control channel."""

    def __init__(self) -> None:
        super().__init__("posturebreak is not running. Start it with `posturebreak run`.")


class ControlError(Exception):
    """The control channel failed: no answer in time, a garbled reply, or a setup problem."""


class ControlRetry(ControlError):  # noqa: N818  a kind of ControlError, named for what to do
    """The exchange broke off (a timeout, a dropped connection): asking again may work."""


# --- the instance lock -----------------------------------------------------------------------


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


def _lock_held_here(paths: Paths) -> bool:
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

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


# --- wire helpers ----------------------------------------------------------------------------


class _TooLargeError(Exception):
    pass


def _encode(obj: Mapping[str, object]) -> bytes:
    text = json.dumps(dict(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def _error(message: str) -> bytes:
    return _encode({"ok": False, "error": message})


def _read_line(sock: socket.socket, limit: int, timeout: float) -> bytes | None:
    """One line (without its newline) within ``timeout`` seconds in total.

    None when the peer closes before finishing a line: a line is the only unit that counts.

    A total deadline, not a per-recv one, so a client trickling a byte at a time cannot hold
    a connection open for ever.
    """
    deadline = time.monotonic() + timeout
    buf = bytearray()
    while True:
        scanned = len(buf)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
        newline = buf.find(b"\n", scanned)
        if newline > limit or (newline < 0 and len(buf) > limit):
            raise _TooLargeError
        if newline >= 0:
            return bytes(buf[:newline])


def _parse_request(raw: bytes, token: str | None) -> dict[str, object] | str:
    """The request as ``{"cmd", "args"}``, or a message saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "request is not UTF-8 text"
    if not text.strip():
        return 'empty request: send one JSON object per line, like {"cmd": "status"}'
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"request is not valid JSON ({exc.msg} at column {exc.colno})"
    except (ValueError, RecursionError):  # absurd numbers, absurd nesting
        return "request is not valid JSON (too deeply nested or a number too long)"
    if not isinstance(obj, dict):
        return 'request must be a JSON object, like {"cmd": "status", "args": {}}'
    cmd, args = obj.get("cmd"), obj.get("args", {})
    if not isinstance(cmd, str) or not cmd:
        return 'request needs a "cmd" string, like {"cmd": "status"}'
    if not isinstance(args, dict):
        return 'request "args" must be a JSON object'
    request_id = obj.get("id")
    if request_id is not None and not (isinstance(request_id, str) and 0 < len(request_id) <= 64):
        return 'request "id" must be a string of 1 to 64 characters'
    parsed: dict[str, object] = {"cmd": cmd, "args": args}
    if request_id is not None:
        parsed["id"] = request_id
    given = obj.get("token")
    if token is None:
        return parsed
    # Only the TCP channel (Windows) has a token; hmac maps libcrypto, so it loads only then.
    import hmac

    if not (isinstance(given, str) and hmac.compare_digest(given.encode(), token.encode())):
        return "permission denied: missing or wrong token"
    return parsed


def _other_user(sock: socket.socket) -> bool:
    """Whether another user's process is at the other end (Linux says; elsewhere 0600 guards)."""
    if sys.platform.startswith("linux") and sock.family == socket.AF_UNIX:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1]) != os.getuid()
    return False


def _use_tcp() -> bool:
    """Whether to use the loopback TCP transport (CPython on Windows has no AF_UNIX)."""
    return sys.platform == "win32"


def _endpoint_file(paths: Paths) -> Path:
    """Where the TCP transport publishes ``{"port", "token"}`` for clients."""
    return paths.runtime_dir / "control.endpoint"


# --- the server ------------------------------------------------------------------------------


class ControlServer:
    """Serves requests on the Unix socket (POSIX) from a daemon thread.

    ``handler`` is called from the server's own connection threads, possibly several at once:
    it must be thread-safe (the engine puts the request on its queue and waits for the answer).
    One thread per connection, at most ``max_connections``; beyond that a client gets a quick
    "busy" reply. A client has ``read_timeout`` seconds to send its whole request line.
    """

    def __init__(
        self,
        paths: Paths,
        handler: Handler,
        *,
        read_timeout: float = 2.0,
        max_connections: int = 16,
    ) -> None:
        self._paths = paths
        self._handler = handler
        self._read_timeout = read_timeout
        self._max_connections = max_connections
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._guard = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._reading: set[socket.socket] = set()
        self._socket_id: tuple[int, int] | None = None
        self._socket_dir: Path | None = None  # the private short directory, when one is used
        self._token: str | None = None

    def start(self) -> None:
        """Listen and start serving from a daemon thread.

        Raises:
            ControlError: the socket cannot be created (one clear line saying why).
        """
        if self._listener is not None:
            return
        try:
            ensure_private_dir(self._paths.runtime_dir)
        except private.UnsafePathError as exc:
            raise ControlError(str(exc)) from exc
        except OSError as exc:
            raise ControlError(f"cannot create {self._paths.runtime_dir}: {exc.strerror}") from exc
        listener = self._listen_tcp() if _use_tcp() else self._listen_unix()
        listener.listen(socket.SOMAXCONN)  # a burst waits in the backlog; the cap is on threads
        self._listener = listener
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name="posturebreak-control", daemon=True
        )
        self._accept_thread.start()

    def _listen_unix(self) -> socket.socket:
        if sys.platform == "win32":
            raise RuntimeError("Unix sockets are not used on Windows (the TCP endpoint is)")
        path = self._socket_path()
        self._remove_stale_socket(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            sock.bind(os.fspath(path))
            info = path.lstat()
        except OSError as exc:
            sock.close()
            raise ControlError(f"cannot listen on {path}: {exc.strerror or exc}") from exc
        finally:
            os.umask(old_umask)
        self._socket_id = (info.st_dev, info.st_ino)
        return sock

    def _socket_path(self) -> Path:
        """Where to bind, in a directory checked to be ours alone (made first if need be)."""
        try:
            if not socket_path_fits(self._paths.runtime_dir / "control.sock"):
                self._socket_dir = make_socket_dir(self._paths)
            path = self._paths.socket_file
            private.check_private_dir(path.parent)
        except private.UnsafePathError as exc:
            raise ControlError(str(exc)) from exc
        except OSError as exc:
            raise ControlError(
                f"cannot make a place for the socket: {exc.strerror or exc}"
            ) from exc
        return path

    def _remove_stale_socket(self, path: Path) -> None:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return
        if not _lock_held_here(self._paths):
            raise ControlError(
                f"{path} exists and this process does not hold {self._paths.lock_file}; "
                "refusing to replace it."
            )
        if stat.S_ISLNK(info.st_mode):
            raise ControlError(
                str(private.UnsafePathError(path, "is a symbolic link, not our file"))
            )
        if not stat.S_ISSOCK(info.st_mode):
            raise ControlError(f"{path} exists and is not a socket: move it away and start again.")
        try:
            path.unlink()
        except OSError as exc:
            raise ControlError(f"cannot remove the stale socket {path}: {exc.strerror}") from exc

    def _listen_tcp(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        import secrets  # the TCP channel only (see _checked)

        self._token = secrets.token_hex(32)
        target = _endpoint_file(self._paths)
        scratch = target.with_suffix(".tmp")
        endpoint = {"port": sock.getsockname()[1], "token": self._token}
        try:
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(endpoint, out)
            scratch.replace(target)  # clients never see a half-written file
        except OSError as exc:
            sock.close()
            raise ControlError(f"cannot write {target}: {exc.strerror}") from exc
        return sock

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                _log.warning("control channel: accept failed", exc_info=True)
                self._stopping.wait(0.1)  # e.g. out of file descriptors: back off, don't spin
                continue
            if self._stopping.is_set():
                conn.close()
                return
            self._dispatch(conn)

    def _dispatch(self, conn: socket.socket) -> None:
        thread = threading.Thread(
            target=self._serve, args=(conn,), name="posturebreak-control-conn", daemon=True
        )
        with self._guard:
            busy = len(self._threads) >= self._max_connections
            if not busy:
                self._threads.add(thread)
                self._reading.add(conn)
        if not busy:
            thread.start()
            return
        with conn, contextlib.suppress(OSError):
            conn.settimeout(0.5)
            conn.sendall(_error("posturebreak is busy (too many control connections); try again"))

    def _serve(self, conn: socket.socket) -> None:
        try:
            reply = self._answer(conn)
            if reply is not None:
                conn.settimeout(self._read_timeout)
                conn.sendall(reply)
        except OSError as exc:
            _log.debug("control channel: connection dropped: %s", exc)
        finally:
            conn.close()
            with self._guard:
                self._reading.discard(conn)
                self._threads.discard(threading.current_thread())

    def _answer(self, conn: socket.socket) -> bytes | None:
        try:
            if _other_user(conn):
                return _error("permission denied: the control channel answers its own user only")
            raw = _read_line(conn, MAX_REQUEST_BYTES, self._read_timeout)
        except _TooLargeError:
            return _error(f"request is larger than {MAX_REQUEST_BYTES // 1024} KiB")
        except TimeoutError:
            return _error(f"no complete request line within {self._read_timeout:g} s")
        finally:
            with self._guard:
                self._reading.discard(conn)
        if raw is None:
            return None  # connected and left without a word
        request = _parse_request(raw, self._token)
        if isinstance(request, str):
            return _error(request)
        try:
            return _encode(self._handler(request))
        except Exception as exc:  # noqa: BLE001  a handler bug is an error reply, not a dead server
            _log.exception("control channel: handler failed on %r", request["cmd"])
            return _error(f"internal error: {type(exc).__name__}: {exc}")

    def stop(self) -> None:
        """Stop accepting, close and unlink the socket, and join the threads (bounded).

        Requests already in the handler still get their reply, so answer pending requests
        before calling this (the joins are bounded either way); clients still sending are cut
        off. Safe to call more than once, and from a handler.
        """
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        self._poke(listener)  # ...and everywhere else
        deadline = time.monotonic() + _JOIN_SECONDS
        if self._accept_thread is not None:
            self._accept_thread.join(_JOIN_SECONDS)
            self._accept_thread = None
        listener.close()
        self._remove_files()
        with self._guard:
            for conn in self._reading:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            threads = self._threads - {threading.current_thread()}
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _poke(self, listener: socket.socket) -> None:
        with contextlib.suppress(OSError), socket.socket(listener.family) as poke:
            poke.settimeout(0.5)
            poke.connect(listener.getsockname())

    def _remove_files(self) -> None:
        if self._token is not None:
            _endpoint_file(self._paths).unlink(missing_ok=True)
            self._token = None
        if self._socket_id is None:
            return
        path = self._paths.socket_file
        with contextlib.suppress(OSError):
            info = path.lstat()
            if (info.st_dev, info.st_ino) == self._socket_id:  # never unlink a successor's
                path.unlink()
        self._socket_id = None
        made, self._socket_dir = self._socket_dir, None
        if made is not None:
            forget_socket_dir(self._paths, made)

    def __enter__(self) -> ControlServer:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --- the client ------------------------------------------------------------------------------


def _connect_unix(paths: Paths, timeout: float) -> socket.socket:
    if sys.platform == "win32":
        raise RuntimeError("Unix sockets are not used on Windows (the TCP endpoint is)")
    path = paths.socket_file
    try:
        private.check_private_dir(paths.runtime_dir)
        private.check_private_dir(path.parent)
    except FileNotFoundError as exc:
        raise NotRunning from exc
    except OSError as exc:  # someone else's directory: whatever listens there is not ours
        raise ControlError(
            str(exc)
            if isinstance(exc, private.UnsafePathError)
            else f"cannot look at {path.parent}: {exc.strerror or exc}"
        ) from exc
    if not socket_path_fits(path):  # too deep and no private directory recorded: none listens
        raise NotRunning
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(path))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise NotRunning from exc
    except OSError as exc:  # a timeout (stuck app) or EAGAIN (its backlog is full)
        sock.close()
        reason = exc.strerror or "timed out"
        raise ControlRetry(f"cannot reach posturebreak at {path}: {reason}; try again.") from exc
    if _other_user(sock):
        sock.close()
        raise ControlError(f"{path} belongs to another user; refusing to talk to it.")
    return sock


def _connect_tcp(paths: Paths, message: dict[str, object], timeout: float) -> socket.socket:
    try:
        endpoint = json.loads(_endpoint_file(paths).read_text(encoding="utf-8"))
        port, message["token"] = int(endpoint["port"]), str(endpoint["token"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotRunning from exc
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError as exc:
        raise NotRunning from exc
    except OSError as exc:
        raise ControlRetry(f"cannot reach posturebreak on port {port}: {exc}") from exc


def request(paths: Paths, payload: Mapping[str, object], timeout: float = 5.0) -> dict[str, object]:
    """Send one request to the running app and return its reply.

    Args:
        paths: where the running app's socket (or endpoint file) lives.
        payload: ``{"cmd": str, "args": {...}}``; must be JSON-able.
        timeout: seconds for the whole exchange.

    Raises:
        NotRunning: no app is listening (no socket, a stale one, connection refused).
        ControlError: no reply in time, or a reply that is not a JSON object.
    """
    message = dict(payload)
    started = time.monotonic()
    sock = _connect_tcp(paths, message, timeout) if _use_tcp() else _connect_unix(paths, timeout)
    with sock:
        try:
            sock.sendall(_encode(message))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early (busy, wrong user); its reason is still readable
        except OSError as exc:
            raise ControlRetry(f"cannot send to posturebreak: {exc.strerror or exc}") from exc
        try:
            left = max(0.001, timeout - (time.monotonic() - started))
            raw = _read_line(sock, _MAX_REPLY_BYTES, left)
        except TimeoutError as exc:
            raise ControlRetry(
                f"posturebreak did not answer within {timeout:g} s; it may be stuck. "
                "Try again, or restart it."
            ) from exc
        except _TooLargeError as exc:
            raise ControlError("posturebreak sent a reply that is far too large.") from exc
        except OSError as exc:
            raise ControlRetry(f"the connection to posturebreak broke: {exc}") from exc
    if raw is None:
        raise ControlRetry("posturebreak closed the connection without answering.")
    try:
        reply = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ControlError("posturebreak sent a reply that is not JSON.") from exc
    if not isinstance(reply, dict):
        raise ControlError("posturebreak sent a reply that is not a JSON object.")
    return reply


def ask(paths: Paths, payload: Mapping[str, object], patience: float = 60.0) -> dict[str, object]:
    """Send one request until the app answers it, at most ``patience`` seconds in all.

    The request carries an id: when an answer is slow or a connection breaks, asking again
    with the same id gets the first answer and never carries the request out twice.

    Raises:
        NotRunning: no app is listening.
        ControlError: no answer within ``patience`` (the app may still carry it out).
    """
    import uuid

    message = {**payload, "id": uuid.uuid4().hex}
    deadline = time.monotonic() + patience
    while True:
        left = deadline - time.monotonic()
        try:
            reply = request(paths, message, timeout=max(1.0, min(_ATTEMPT_S, left)))
        except ControlRetry:
            if deadline - time.monotonic() <= 0:
                raise ControlError(_NO_ANSWER.format(s=patience)) from None
            time.sleep(0.2)  # a dropped connection or a full backlog: ask again, same id
            continue
        if not reply.get("pending"):
            return reply
        if deadline - time.monotonic() <= 0:
            raise ControlError(_NO_ANSWER.format(s=patience))


# One attempt waits a little longer than the server waits for its engine, so a slow answer
# arrives as "pending" (ask again) rather than as a timeout.
_ATTEMPT_S = 15.0
_NO_ANSWER = (
    "posturebreak has not answered within {s:g} s; it may still carry this out."
    " See `posturebreak status` before trying again."
)
