"""The wire: one JSON object per line each way, and which transport this platform uses.

POSIX uses a Unix socket (mode 0600 in a 0700 directory; on Linux the peer's uid is checked
too). CPython on Windows has no AF_UNIX, so there the server listens on 127.0.0.1 on an
ephemeral port and writes the port and a random token to a user-only file; the client must
present the token.
"""

from __future__ import annotations

import enum
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from posturebreak.paths import Paths

MAX_REQUEST_BYTES = 64 * 1024
"""The longest request line the server reads; longer ones get an error reply."""

MAX_REPLY_BYTES = 4 * 1024 * 1024


class Transport(enum.Enum):
    """How the server listens and the client connects."""

    UNIX = "unix"  # a Unix socket in the runtime directory
    TCP = "tcp"  # 127.0.0.1 with a token, for platforms without AF_UNIX

    @staticmethod
    def native() -> Transport:
        """This platform's transport (CPython on Windows has no AF_UNIX)."""
        return Transport.TCP if sys.platform == "win32" else Transport.UNIX


class TooLargeError(Exception):
    """A line longer than its limit arrived."""


def encode(obj: Mapping[str, object]) -> bytes:
    """One JSON line."""
    text = json.dumps(dict(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def error_reply(message: str) -> bytes:
    """A refusal, as the client shows it."""
    return encode({"ok": False, "error": message})


def read_line(sock: socket.socket, limit: int, timeout: float) -> bytes | None:
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
            raise TooLargeError
        if newline >= 0:
            return bytes(buf[:newline])


def parse_request(raw: bytes, token: str | None) -> dict[str, object] | str:
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


def other_user(sock: socket.socket) -> bool:
    """Whether another user's process is at the other end (Linux says; elsewhere 0600 guards)."""
    if sys.platform.startswith("linux") and sock.family == socket.AF_UNIX:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return int(struct.unpack("3i", creds)[1]) != os.getuid()
    return False


def endpoint_file(paths: Paths) -> Path:
    """Where the TCP transport publishes ``{"port", "token"}`` for clients."""
    return paths.runtime_dir / "control.endpoint"
