"""The control client: what the CLI uses to ask the running app."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Mapping

from posturebreak import private
from posturebreak.control.errors import ControlError, ControlRetry, NotRunning
from posturebreak.control.wire import (
    MAX_REPLY_BYTES,
    TooLargeError,
    Transport,
    encode,
    endpoint_file,
    other_user,
    read_line,
)
from posturebreak.paths import Paths, socket_path_fits


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
    if other_user(sock):
        sock.close()
        raise ControlError(f"{path} belongs to another user; refusing to talk to it.")
    return sock


def _connect_tcp(paths: Paths, message: dict[str, object], timeout: float) -> socket.socket:
    try:
        endpoint = json.loads(endpoint_file(paths).read_text(encoding="utf-8"))
        port, message["token"] = int(endpoint["port"]), str(endpoint["token"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotRunning from exc
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError as exc:
        raise NotRunning from exc
    except OSError as exc:
        raise ControlRetry(f"cannot reach posturebreak on port {port}: {exc}") from exc


def request(
    paths: Paths,
    payload: Mapping[str, object],
    timeout: float = 5.0,
    transport: Transport | None = None,
) -> dict[str, object]:
    """Send one request to the running app and return its reply.

    Args:
        paths: where the running app's socket (or endpoint file) lives.
        payload: ``{"cmd": str, "args": {...}}``; must be JSON-able.
        timeout: seconds for the whole exchange.
        transport: how to reach the app (this platform's own by default).

    Raises:
        NotRunning: no app is listening (no socket, a stale one, connection refused).
        ControlError: no reply in time, or a reply that is not a JSON object.
    """
    message = dict(payload)
    started = time.monotonic()
    tcp = (transport if transport is not None else Transport.native()) is Transport.TCP
    sock = _connect_tcp(paths, message, timeout) if tcp else _connect_unix(paths, timeout)
    with sock:
        try:
            sock.sendall(encode(message))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early (busy, wrong user); its reason is still readable
        except OSError as exc:
            raise ControlRetry(f"cannot send to posturebreak: {exc.strerror or exc}") from exc
        try:
            left = max(0.001, timeout - (time.monotonic() - started))
            raw = read_line(sock, MAX_REPLY_BYTES, left)
        except TimeoutError as exc:
            raise ControlRetry(
                f"posturebreak did not answer within {timeout:g} s; it may be stuck. "
                "Try again, or restart it."
            ) from exc
        except TooLargeError as exc:
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


def ask(
    paths: Paths,
    payload: Mapping[str, object],
    patience: float = 60.0,
    transport: Transport | None = None,
) -> dict[str, object]:
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
            attempt = max(1.0, min(_ATTEMPT_S, left))
            reply = request(paths, message, attempt, transport)
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
