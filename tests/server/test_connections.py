"""Connection deadlines and the connection cap, over raw sockets against real servers.

The first tests start ``labelworks serve`` as a process with limits of a second or less;
the last ones run each protocol class (httptools and h11) in a uvicorn server in this
process, over a tiny app that reads its body late, to show that time the app holds the body
up is not held against the client. Times are printed (``pytest -s``); the bounds asserted are
generous, the point being "closed at all, not after minutes".
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from labelworks.server.connections import ConnectionLimits, H11Connection, HttpToolsConnection

MAX_CONNECTIONS = 20
LIMITS = ConnectionLimits(
    header_timeout=0.5,
    body_timeout=1.0,  # longer than the trickle's pauses: the rate floor must cut it
    min_body_rate=1024,
    body_rate_grace=0.5,
    max_connections=MAX_CONNECTIONS,
)
CLOSED_WITHIN = 15.0  # seconds; a stalled client used to be kept forever
STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLOSED_WITHIN)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and the seconds that took."""
    started = time.monotonic()
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {CLOSED_WITHIN} s")
    return received, time.monotonic() - started


def _read_response(sock: socket.socket) -> bytes:
    """One whole response: its head and its Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next((int(line[15:]) for line in lines if line.startswith(b"content-length:")), 0)
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def _trickle(sock: socket.socket) -> tuple[bytes, float, int]:
    """Send a byte every 0.25 s until the server closes: what it sent, seconds, bytes sent."""
    started = time.monotonic()
    received, sent = b"", 0
    while time.monotonic() - started < CLOSED_WITHIN:
        readable, _, _ = select.select([sock], [], [], 0.25)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return received, time.monotonic() - started, sent
            received += chunk
            continue
        try:
            sent += sock.send(b"a")
        except (BrokenPipeError, ConnectionResetError):
            return received, time.monotonic() - started, sent
    pytest.fail(f"the server still read a 4 bytes/s body after {CLOSED_WITHIN} s")


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _health(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a ``labelworks serve`` process with sub-second limits and a cap of 20."""
    data_dir = tmp_path_factory.mktemp("connections")
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("LABELWORKS_")}
    env |= {
        "LABELWORKS_HEADER_TIMEOUT": str(LIMITS.header_timeout),
        "LABELWORKS_BODY_TIMEOUT": str(LIMITS.body_timeout),
        "LABELWORKS_MIN_BODY_RATE": str(LIMITS.min_body_rate),
        "LABELWORKS_BODY_RATE_GRACE": str(LIMITS.body_rate_grace),
        "LABELWORKS_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    command = "from labelworks.cli.app import main; main()"
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                command,
                "--data-dir",
                str(data_dir),
                "serve",
                "--port",
                str(port),
                # The cap is per server process: one process makes it exact.
                "--workers",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(port, process, log_path)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"labelworks serve exited:\n{log_path.read_text()}")
        try:
            if _health(port) == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"labelworks serve did not answer in {STARTUP_TIMEOUT} s:\n{log_path.read_text()}")


def test_half_a_request_head_gets_408_and_is_closed(served: int) -> None:
    """A client that sends half a request head and stalls is answered 408 and disconnected."""
    with _connect(served) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: labelworks\r\n")
        answer, seconds = _read_until_closed(sock)
    print(f"half a head: closed after {seconds:.2f} s")
    assert _status(answer) == 408


def test_a_second_head_that_stalls_on_a_kept_alive_connection_gets_408(served: int) -> None:
    """After one answered request, a next request head that stops halfway gets a 408."""
    with _connect(served) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: labelworks\r\n\r\n")
        assert _status(_read_response(sock)) == 200
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: lab")
        answer, seconds = _read_until_closed(sock)
    print(f"half a second head: closed after {seconds:.2f} s")
    assert _status(answer) == 408


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 408),  # the form is read before anything is answered
        ("/api/v1/projects/x/items", 401),  # answered at once, then the body is still due
    ],
)
def test_a_body_trickled_at_4_bytes_a_second_is_cut(served: int, path: str, status: int) -> None:
    """A body arriving at 4 bytes/s is cut long before its 1,000 bytes, answered or not."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: labelworks\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    with _connect(served) as sock:
        sock.sendall(head.encode())
        answer, seconds, sent = _trickle(sock)
    print(f"trickled body to {path}: closed after {seconds:.2f} s and {sent} bytes")
    assert _status(answer) == status
    assert sent < 100


def test_a_body_that_goes_silent_is_cut(served: int) -> None:
    """A body that stops after its first 8 KB is answered 408 once it is silent for 1 s."""
    head = (
        "POST /login HTTP/1.1\r\nHost: labelworks\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    )
    with _connect(served) as sock:
        sock.sendall(head.encode() + b"a" * 8192)
        answer, seconds = _read_until_closed(sock)
    print(f"silent body: closed after {seconds:.2f} s")
    assert _status(answer) == 408


def test_connections_over_the_cap_are_refused_and_idle_ones_time_out(served: int) -> None:
    """Connections beyond the cap get 503 at once; idle ones close; then requests succeed."""
    sockets = [_connect(served) for _ in range(MAX_CONNECTIONS + 10)]
    try:
        answers = [_read_until_closed(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    refused = [seconds for answer, seconds in answers if _status(answer) == 503]
    idle = [seconds for answer, seconds in answers if answer == b""]
    print(
        f"over the cap: {len(refused)} refused (slowest {max(refused):.2f} s after the "
        f"others opened), {len(idle)} idle ones closed"
    )
    assert len(refused) == 10
    assert len(idle) == MAX_CONNECTIONS
    assert _health(served) == 200


def test_a_fast_5_mb_upload_is_not_cut(served: int) -> None:
    """A 5 MB body sent at full speed is received whole and answered, never cut as slow."""
    body = b"x" * (5 * 1024 * 1024)
    head = (
        "POST /api/v1/projects/x/items HTTP/1.1\r\nHost: labelworks\r\n"
        f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    started = time.monotonic()
    with _connect(served) as sock:
        sock.sendall(head.encode() + body)  # raises if the server stopped reading
        answer = _read_response(sock)
    print(f"5 MB upload: sent and answered in {time.monotonic() - started:.2f} s")
    assert _status(answer) in {401, 403, 413}


def test_serve_refuses_a_cap_beyond_the_open_file_limit(tmp_path: Path) -> None:
    """``serve`` exits with a clear error when max_connections cannot fit under the file limit."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("LABELWORKS_")}
    env["LABELWORKS_MAX_CONNECTIONS"] = str(10**9)
    command = "from labelworks.cli.app import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", command, "--data-dir", str(tmp_path), "serve", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "LABELWORKS_MAX_CONNECTIONS=1000000000 needs" in " ".join(result.stderr.split())


# Each protocol class in this process, over an app that only reads its body after a pause.

APP_PAUSE = 1.2  # seconds, longer than the body timeout and the grace period


async def _late_reader(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await asyncio.sleep(APP_PAUSE)
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _TightHttpTools(HttpToolsConnection):
    limits = LIMITS


class _TightH11(H11Connection):
    limits = LIMITS


@pytest.fixture(scope="module", params=[_TightHttpTools, _TightH11], ids=["httptools", "h11"])
def in_process(request: pytest.FixtureRequest) -> Iterator[int]:
    """The port of a uvicorn server in a thread, using one of the protocol classes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(_late_reader, http=request.param, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_each_protocol_answers_a_stalled_head_408(in_process: int) -> None:
    """Both protocol classes answer 408 to a request head that stops halfway."""
    with _connect(in_process) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: labelworks\r\nContent-Le")
        answer, seconds = _read_until_closed(sock)
    print(f"stalled head: closed after {seconds:.2f} s")
    assert _status(answer) == 408


def test_each_protocol_cuts_a_trickled_body(in_process: int) -> None:
    """Both protocol classes answer 408 to a body trickled at 4 bytes/s."""
    with _connect(in_process) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: labelworks\r\nContent-Length: 1000\r\n\r\n")
        answer, seconds, sent = _trickle(sock)
    print(f"trickled body: closed after {seconds:.2f} s and {sent} bytes")
    assert _status(answer) == 408


def test_time_the_app_leaves_a_body_unread_is_not_held_against_the_client(
    in_process: int,
) -> None:
    """A fast 5 MB body that the app starts reading only after 1.2 s is received whole."""
    body = b"x" * (5 * 1024 * 1024)
    head = f"POST / HTTP/1.1\r\nHost: labelworks\r\nContent-Length: {len(body)}\r\n\r\n"
    with _connect(in_process) as sock:
        sock.sendall(head.encode() + body)
        answer = _read_response(sock)
    assert _status(answer) == 200
    assert answer.endswith(str(len(body)).encode())
