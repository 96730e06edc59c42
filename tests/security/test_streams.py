"""Over real TCP: nobody makes the server read a body they may not send, and a client that
walks away from a download releases its thread and database connection at once; on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
from tests.security.conftest import LiveServer, World
from tests.services.builders import jsonl

from labelworks.services import ingestion

GIB = 1 << 30


def _head_only(live: LiveServer, method: str, path: str, headers: dict[str, str]) -> int:
    """Send a request head that announces a 1 GiB body, send none of it, and return the
    status the server answers with (a server that tried to read the body would never
    answer, and the read below would time out)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {GIB}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection(("127.0.0.1", live.port), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_bodies_are_not_read_before_permission(world: World, live: LiveServer) -> None:
    """An annotator announcing a 1 GiB import or spec is refused at once (403), a stranger
    too (401); a manager is refused by the limit before any byte is read (413)."""
    cases = {
        ("acme_ann", "POST", "/api/v1/projects/alpha/items"): 403,
        ("acme_ann", "PUT", "/api/v1/projects/alpha"): 403,
        ("outsider", "POST", "/api/v1/projects/alpha/items"): 404,
        (None, "POST", "/api/v1/projects/alpha/items"): 401,
        ("lead", "POST", "/api/v1/projects/alpha/items"): 413,
        ("lead", "PUT", "/api/v1/projects/alpha"): 413,
        ("acme_ann", "POST", "/api/v1/me/tokens"): 413,
    }
    seen = {
        (who, method, path): _head_only(
            live,
            method,
            path,
            {"Authorization": f"Bearer {world.tokens[who]}"} if who else {},
        )
        for who, method, path in cases
    }
    assert seen == cases


def _abort_export(live: LiveServer, token: str, fmt: str) -> None:
    """Start a download, read its first bytes, and drop the connection."""
    request = (
        f"GET /api/v1/projects/big/export?format={fmt} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live.port), timeout=20) as sock:
        sock.sendall(request.encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _settled(check: object, seconds: float = 60.0) -> bool:
    """Poll ``check()`` until it holds (a generous bound: this is about leaks, not speed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_aborted_downloads_release_everything(world: World, live: LiveServer) -> None:
    """Sixty downloads dropped mid-stream (more than the connection pool holds) leave no
    export thread and no checked-out database connection behind, and the server answers
    normally throughout."""
    spec = {"name": "big", "fields": [{"name": "s", "kind": "choice", "labels": ["a", "b"]}]}
    world.call("lead", "PUT", "/api/v1/projects/big", json=spec)
    filler = "x" * 400
    rows = [{"text": f"{i} {filler}"} for i in range(30_000)]  # ~13 MB of JSONL to export
    ingestion.import_items(world.db, "big", jsonl(rows), format="jsonl", source="big.jsonl")
    token = world.tokens["lead"]
    for i in range(60):
        _abort_export(live, token, ("jsonl", "csv", "parquet")[i % 3])

    def released() -> bool:
        streams = [t for t in threading.enumerate() if t.name == "export-stream"]
        return not streams and world.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}) as http:
        health = http.get("/api/v1/projects/alpha/status", timeout=30)
        done = _settled(released)
        whole = http.get("/api/v1/projects/alpha/export?format=jsonl", timeout=60)
    lines = [json.loads(line) for line in whole.text.splitlines()]
    assert (health.status_code, done, whole.status_code, len(lines)) == (200, True, 200, 8)
