"""The control server: the running app answers the CLI on its own threads."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from posturebreak import private
from posturebreak.control.errors import ControlError
from posturebreak.control.instance import lock_held_here
from posturebreak.control.wire import (
    MAX_REQUEST_BYTES,
    TooLargeError,
    Transport,
    encode,
    endpoint_file,
    error_reply,
    other_user,
    parse_request,
    read_line,
)
from posturebreak.paths import (
    Paths,
    ensure_private_dir,
    forget_socket_dir,
    make_socket_dir,
    socket_path_fits,
)

_log = logging.getLogger("posturebreak.control")

_JOIN_SECONDS = 3.0

Handler = Callable[[Mapping[str, object]], Mapping[str, object]]
"""Turns a request ``{"cmd": str, "args": dict}`` into a reply (a JSON-able mapping)."""


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
        transport: Transport | None = None,
    ) -> None:
        self._paths = paths
        self._transport = transport if transport is not None else Transport.native()
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
        tcp = self._transport is Transport.TCP
        listener = self._listen_tcp() if tcp else self._listen_unix()
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
        if not lock_held_here(self._paths):
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
        target = endpoint_file(self._paths)
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
            conn.sendall(
                error_reply("posturebreak is busy (too many control connections); try again")
            )

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
            if other_user(conn):
                return error_reply(
                    "permission denied: the control channel answers its own user only"
                )
            raw = read_line(conn, MAX_REQUEST_BYTES, self._read_timeout)
        except TooLargeError:
            return error_reply(f"request is larger than {MAX_REQUEST_BYTES // 1024} KiB")
        except TimeoutError:
            return error_reply(f"no complete request line within {self._read_timeout:g} s")
        finally:
            with self._guard:
                self._reading.discard(conn)
        if raw is None:
            return None  # connected and left without a word
        request = parse_request(raw, self._token)
        if isinstance(request, str):
            return error_reply(request)
        try:
            return encode(self._handler(request))
        except Exception as exc:  # noqa: BLE001  a handler bug is an error reply, not a dead server
            _log.exception("control channel: handler failed on %r", request["cmd"])
            return error_reply(f"internal error: {type(exc).__name__}: {exc}")

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
            endpoint_file(self._paths).unlink(missing_ok=True)
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

    def __exit__(self, *_exc: object) -> None:
        self.stop()
