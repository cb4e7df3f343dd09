"""Single instance and the control channel, with real sockets and real processes."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from posturebreak.control.client import request
from posturebreak.control.errors import AlreadyRunning, ControlError, NotRunning
from posturebreak.control.instance import InstanceLock
from posturebreak.control.server import ControlServer
from posturebreak.control.wire import Transport
from posturebreak.paths import Paths, resolve

REPO = Path(__file__).resolve().parent.parent

LOCK_PROBE = """
from posturebreak.control.errors import AlreadyRunning
from posturebreak.control.instance import InstanceLock
from posturebreak.paths import resolve
try:
    InstanceLock(resolve()).acquire()
except AlreadyRunning as exc:
    print(exc)
    raise SystemExit(3)
print("acquired")
"""

LOCK_HOLDER = """
import sys
from posturebreak.control.instance import InstanceLock
from posturebreak.paths import resolve
InstanceLock(resolve()).acquire()
print("locked", flush=True)
sys.stdin.read()
"""

SERVER = """
import os, threading
from posturebreak.control.server import ControlServer
from posturebreak.control.instance import InstanceLock
from posturebreak.paths import resolve
paths = resolve()
done = threading.Event()
def handler(req):
    if req["cmd"] == "quit":
        done.set()
    return {"ok": True, "cmd": req["cmd"], "args": req["args"], "pid": os.getpid()}
with InstanceLock(paths):
    server = ControlServer(paths, handler)
    server.start()
    print("ready", flush=True)
    done.wait()
    server.stop()
"""


class Recorder:
    """A thread-safe handler that records requests and echoes them."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.requests: list[dict[str, object]] = []
        self.gate = gate
        self.entered = threading.Condition()

    def __call__(self, req: Mapping[str, object]) -> Mapping[str, object]:
        with self.entered:
            self.requests.append(dict(req))
            self.entered.notify_all()
        if req["cmd"] == "explode":
            raise RuntimeError("boom")
        if req["cmd"] == "unjsonable":
            return {"ok": True, "value": object()}
        if self.gate is not None:
            self.gate.wait(10)
        return {"ok": True, "echo": req["cmd"], "args": req["args"]}

    def cmds(self) -> list[object]:
        with self.entered:
            return [r["cmd"] for r in self.requests]

    def wait_for(self, count: int) -> bool:
        with self.entered:
            return self.entered.wait_for(lambda: len(self.requests) >= count, timeout=10)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    monkeypatch.setenv("POSTUREBREAK_HOME", str(tmp_path / "home"))
    resolved = resolve()
    yield resolved
    # socket_file may be in the private short directory in the temp dir, outside tmp_path
    resolved.socket_file.unlink(missing_ok=True)


@pytest.fixture
def lock(paths: Paths) -> Iterator[InstanceLock]:
    with InstanceLock(paths) as held:
        yield held


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(paths: Paths, lock: InstanceLock, recorder: Recorder) -> Iterator[ControlServer]:
    srv = ControlServer(paths, recorder, read_timeout=0.5, max_connections=4)
    srv.start()
    yield srv
    srv.stop()


def python(snippet: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", snippet], env=env, text=True, stdin=stdin, stdout=subprocess.PIPE
    )


@contextlib.contextmanager
def child(snippet: str, expect: str) -> Iterator[subprocess.Popen[str]]:
    proc = python(snippet, stdin=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == expect
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def raw(paths: Paths, data: bytes, *, sock_path: Path | None = None) -> dict[str, object] | None:
    """Send raw bytes as a misbehaving client would; return the reply object, if any."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(sock_path or paths.socket_file))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                reply += chunk
    return json.loads(reply) if reply else None


def control_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("posturebreak-control")]


# --- the instance lock ----------------------------------------------------------------------


def test_second_instance_in_another_process_is_told_our_pid(paths):
    with InstanceLock(paths):
        probe = python(LOCK_PROBE)
        out, _ = probe.communicate(timeout=30)
        assert probe.returncode == 3
        assert f"posturebreak is already running (pid {os.getpid()})" in out
        assert "`posturebreak status` or `posturebreak quit`" in out
    probe = python(LOCK_PROBE)
    out, _ = probe.communicate(timeout=30)
    assert (probe.returncode, out.strip()) == (0, "acquired")


def test_lock_of_a_killed_process_does_not_block(paths):
    with child(LOCK_HOLDER, "locked") as holder:
        with pytest.raises(AlreadyRunning) as caught:
            InstanceLock(paths).acquire()
        assert caught.value.pid == holder.pid
        holder.kill()
        holder.wait(10)
    assert paths.lock_file.read_text().strip() == str(holder.pid)  # left behind by kill -9
    with InstanceLock(paths) as lock:
        assert lock.held
        assert paths.lock_file.read_text().strip() == str(os.getpid())


def test_lock_released_lets_the_next_instance_in(paths):
    first = InstanceLock(paths)
    first.acquire()
    with pytest.raises(AlreadyRunning):
        InstanceLock(paths).acquire()
    first.release()
    with InstanceLock(paths) as second:
        assert second.held


# --- client without a server ----------------------------------------------------------------


def test_request_with_no_server_says_not_running(paths):
    with pytest.raises(NotRunning, match=r"not running\. Start it with `posturebreak run`"):
        request(paths, {"cmd": "status"})


def test_stale_socket_file_means_not_running_and_is_replaced_by_the_lock_holder(paths, recorder):
    paths.runtime_dir.mkdir(mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(paths.socket_file))
    assert paths.socket_file.exists()
    with pytest.raises(NotRunning):
        request(paths, {"cmd": "status"}, transport=Transport.TCP)
    with pytest.raises(ControlError, match="does not hold"):
        ControlServer(paths, recorder).start()  # only the lock holder may remove it
    with InstanceLock(paths), ControlServer(paths, recorder):
        assert request(paths, {"cmd": "status"})["echo"] == "status"


# --- round trips ----------------------------------------------------------------------------


def test_round_trip_in_process(server, paths, recorder):
    reply = request(paths, {"cmd": "snooze", "args": {"minutes": 5}})
    assert reply == {"ok": True, "echo": "snooze", "args": {"minutes": 5}}
    assert request(paths, {"cmd": "status"})["args"] == {}
    reply = request(paths, {"cmd": "pause", "args": {"note": "déjà vu ☕"}})
    assert reply["args"] == {"note": "déjà vu ☕"}
    assert recorder.cmds() == ["snooze", "status", "pause"]


def test_server_in_a_child_process_answers_and_quits(paths):
    with child(SERVER, "ready") as srv:
        reply = request(paths, {"cmd": "break", "args": {"kind": "walk"}})
        assert reply == {"ok": True, "cmd": "break", "args": {"kind": "walk"}, "pid": srv.pid}
        assert request(paths, {"cmd": "quit"})["ok"] is True
        assert srv.wait(10) == 0
    assert not paths.socket_file.exists()
    with pytest.raises(NotRunning):
        request(paths, {"cmd": "status"}, transport=Transport.TCP)


def test_socket_is_private(server, paths):
    mode = paths.socket_file.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(paths.runtime_dir.stat().st_mode) == 0o700


# --- abuse: each is followed by a good request that gets answered ---------------------------

ABUSE = [
    (b"\x00\xff\xfe garbage\n", "not UTF-8"),
    (b"hello there\n", "not valid JSON"),
    (b"\n", "empty request"),
    (b"[1, 2, 3]\n", "must be a JSON object"),
    (b'"status"\n', "must be a JSON object"),
    (b"{}\n", '"cmd" string'),
    (b'{"cmd": 7}\n', '"cmd" string'),
    (b'{"cmd": "status", "args": [1]}\n', '"args" must be a JSON object'),
    (b"[" * 60_000 + b"\n", "not valid JSON"),
    (b'{"cmd": ' + b"9" * 60_000 + b"}\n", "not valid JSON"),
    (b'{"cmd": "status", "pad": "' + b"x" * 70_000 + b'"}\n', "larger than 64 KiB"),
    (b'{"cmd": "status"', "no complete request line"),  # half-sent, then stalls
]


@pytest.mark.parametrize(("data", "complaint"), ABUSE)
def test_bad_request_is_refused_and_serving_goes_on(server, paths, recorder, data, complaint):
    reply = raw(paths, data)
    assert reply is not None
    assert reply["ok"] is False
    assert complaint in str(reply["error"])
    assert request(paths, {"cmd": "status"})["echo"] == "status"
    assert recorder.cmds() == ["status"]  # the bad one never reached the engine


def test_huge_request_is_cut_off(server, paths, recorder):
    with contextlib.suppress(OSError):  # the server may hang up while we are still sending
        raw(paths, b"x" * (4 * 1024 * 1024))
    assert request(paths, {"cmd": "status"})["echo"] == "status"
    assert recorder.cmds() == ["status"]


def test_stalled_client_does_not_block_others(server, paths):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stalled:
        stalled.settimeout(10)
        stalled.connect(str(paths.socket_file))
        stalled.sendall(b'{"cmd": "sta')
        assert request(paths, {"cmd": "status"})["echo"] == "status"  # while it still stalls
        reply = json.loads(stalled.recv(65536))
        assert "no complete request line" in reply["error"]
        assert stalled.recv(1) == b""  # and the server hung up


def test_trickling_client_is_cut_off_by_a_total_deadline(server, paths):
    verdict = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.connect(str(paths.socket_file))
        slow.settimeout(0.05)  # each byte comes well within the server's 0.5 s read timeout
        for byte in b'{"cmd": "status", "padding": "' + b"x" * 200:
            try:
                slow.sendall(bytes([byte]))
                verdict = slow.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            break
    assert b"no complete request line" in verdict, "the server kept reading a trickle"
    assert request(paths, {"cmd": "status"})["echo"] == "status"


def test_connect_and_leave_at_once(server, paths, recorder):
    for _ in range(50):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(paths.socket_file))
    assert request(paths, {"cmd": "status"})["echo"] == "status"
    assert recorder.cmds() == ["status"]


def test_clients_beyond_the_cap_are_refused_quickly(paths, lock):
    gate = threading.Event()
    slow = Recorder(gate)
    replies: list[dict[str, object]] = []
    with ControlServer(paths, slow, max_connections=4):
        workers = [
            threading.Thread(target=lambda: replies.append(request(paths, {"cmd": "status"})))
            for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        assert slow.wait_for(4)  # all four slots are busy inside the handler
        refused = request(paths, {"cmd": "status"}, timeout=5)
        assert refused["ok"] is False
        assert "busy" in str(refused["error"])
        gate.set()
        for worker in workers:
            worker.join(10)
        assert [r["ok"] for r in replies] == [True] * 4
        assert request(paths, {"cmd": "status"})["ok"] is True


def test_a_crowd_of_clients_all_get_an_answer(server, paths):
    outcomes: list[object] = []

    def ask() -> None:
        try:
            outcomes.append(request(paths, {"cmd": "status"})["ok"])
        except (ControlError, NotRunning) as exc:
            outcomes.append(exc)

    crowd = [threading.Thread(target=ask) for _ in range(40)]
    for worker in crowd:
        worker.start()
    for worker in crowd:
        worker.join(30)
    assert len(outcomes) == 40
    assert set(outcomes) <= {True, False}  # answered or told "busy", never an exception
    assert True in outcomes
    assert request(paths, {"cmd": "status"})["ok"] is True


def test_handler_failure_is_an_error_reply_and_serving_goes_on(server, paths):
    reply = request(paths, {"cmd": "explode"})
    assert reply == {"ok": False, "error": "internal error: RuntimeError: boom"}
    reply = request(paths, {"cmd": "unjsonable"})
    assert reply["ok"] is False
    assert str(reply["error"]).startswith("internal error: TypeError")
    assert request(paths, {"cmd": "status"})["echo"] == "status"


def test_other_users_are_refused(server, paths, recorder, monkeypatch):
    sock_path = paths.socket_file
    monkeypatch.setattr(os, "getuid", lambda: 4242)  # we now look like someone else to both ends
    reply = raw(paths, b'{"cmd": "status"}\n', sock_path=sock_path)
    assert reply is not None
    assert "permission denied" in str(reply["error"])
    if paths.socket_file == sock_path:
        with pytest.raises(ControlError, match="another user"):
            request(paths, {"cmd": "status"})
    assert recorder.cmds() == []


# --- stopping ---------------------------------------------------------------------------------


def test_stop_leaves_no_socket_and_no_thread(paths, lock, recorder):
    srv = ControlServer(paths, recorder, read_timeout=30)
    srv.start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stalled:
        stalled.connect(str(paths.socket_file))
        stalled.sendall(b'{"cmd": ')
        assert request(paths, {"cmd": "status"})["ok"] is True
        srv.stop()  # must not wait for the 30 s read timeout of the stalled client
        assert control_threads() == []
    assert not paths.socket_file.exists()
    with pytest.raises(NotRunning):
        request(paths, {"cmd": "status"}, transport=Transport.TCP)
    srv.stop()  # twice is fine
    srv.start()  # and it can serve again
    assert request(paths, {"cmd": "status"})["ok"] is True
    srv.stop()
    assert control_threads() == []


def test_reply_that_is_not_json_is_a_control_error(paths, lock):
    paths.runtime_dir.mkdir(mode=0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as fake:
        fake.bind(str(paths.socket_file))
        fake.listen(1)

        def answer(reply: bytes) -> None:
            conn, _ = fake.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(reply)

        for reply, complaint in [
            (b"<html>\n", "not JSON"),
            (b"[1]\n", "not a JSON object"),
            (b"", "without answering"),
        ]:
            worker = threading.Thread(target=answer, args=(reply,))
            worker.start()
            with pytest.raises(ControlError, match=complaint):
                request(paths, {"cmd": "status"})
            worker.join(10)


def test_silent_server_is_a_timeout_error(paths, lock):
    paths.runtime_dir.mkdir(mode=0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
        mute.bind(str(paths.socket_file))
        mute.listen(1)
        with pytest.raises(ControlError, match=r"did not answer within 0\.3 s"):
            request(paths, {"cmd": "status"}, timeout=0.3)


# --- the Windows transport (TCP on 127.0.0.1 with a token), run here on purpose ----------------


def test_loopback_transport_with_token(paths, lock, recorder):
    endpoint = paths.runtime_dir / "control.endpoint"
    with ControlServer(paths, recorder, transport=Transport.TCP):
        assert stat.S_IMODE(endpoint.stat().st_mode) == 0o600
        assert not paths.socket_file.exists()
        assert request(paths, {"cmd": "status"}, transport=Transport.TCP)["echo"] == "status"
        port = json.loads(endpoint.read_text())["port"]
        for token in (None, "0" * 64):
            body: dict[str, object] = {"cmd": "quit"}
            if token:
                body["token"] = token
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(json.dumps(body).encode() + b"\n")
                reply = json.loads(sock.makefile("rb").readline())
            assert "wrong token" in reply["error"]
    assert recorder.cmds() == ["status"]
    assert not endpoint.exists()
    with pytest.raises(NotRunning):
        request(paths, {"cmd": "status"}, transport=Transport.TCP)
