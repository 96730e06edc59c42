"""The server keeps answering while a large import or export runs: that work happens off the
event loop, so a health probe never waits for it (bench/responsiveness.py measures how
long probes take; here the rule is stated relative to the work, never in wall-clock terms).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

IMPORTED = 250_000
EXPORTED = 100_000
SPEC = {
    "name": "big",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
}


def _rows(n: int, prefix: str) -> bytes:
    return "".join(
        json.dumps({"text": f"{prefix} item number {i} with a few more words"}) + "\n"
        for i in range(n)
    ).encode()


@dataclass
class Server:
    url: str
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``labelworks serve`` process over a project that already holds many items."""
    data_dir = tmp_path_factory.mktemp("responsive")
    settings = Settings(data_dir=data_dir)
    db = Database(settings.effective_database_url)
    upgrade(db)
    for name in ("big", "incoming"):
        apply_spec(db, spec_from_dict({**SPEC, "name": name}), guidelines=None)
    token = add_user(
        db, "lead@example.org", role="manager", projects=["big", "incoming"], with_token=True
    ).token
    assert token is not None
    stream = _rows(EXPORTED, "exported")
    ingestion.import_items(db, "big", io.BytesIO(stream), format="jsonl", source="seed.jsonl")
    db.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELWORKS_")}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from labelworks.cli.app import main; main()",
            *("--data-dir", str(data_dir), "serve", "--port", str(port), "--workers", "1"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (data_dir / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(url + "/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Server(url, token)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@dataclass
class Probed:
    work_seconds: float
    probes: list[float]  # seconds each health probe took while the work ran


def _probe_during(url: str, work: Callable[[], None]) -> Probed:
    """Run ``work`` in a thread and send health probes, one after another, until it ends."""
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            done.set()

    probes: list[float] = []
    with httpx.Client(base_url=url) as client:
        client.get("/api/health")  # the connection is open before the work starts
        thread = threading.Thread(target=run)
        started = time.perf_counter()
        thread.start()
        while not done.is_set():
            sent = time.perf_counter()
            assert client.get("/api/health").status_code == 200
            if not done.is_set():
                probes.append(time.perf_counter() - sent)
            time.sleep(0.01)
        thread.join()
    if errors:
        raise errors[0]
    return Probed(time.perf_counter() - started, probes)


def test_health_probes_answer_during_a_large_import_and_a_large_export(server: Server) -> None:
    """While a 250k-item import and a 100k-item export run, probes keep coming back, each far
    quicker than the work: no probe waits for more than a tenth of its duration."""
    headers = {"Authorization": f"Bearer {server.token}"}
    body = _rows(IMPORTED, "imported")
    outcome: dict[str, object] = {}

    def import_items() -> None:
        response = httpx.post(
            f"{server.url}/api/v1/projects/incoming/items",
            content=body,
            headers={**headers, "Content-Type": "application/x-ndjson"},
            timeout=300,
        )
        outcome["import"] = (response.status_code, response.json()["inserted"])

    def export_items() -> None:
        lines = 0
        with httpx.stream(
            "GET", f"{server.url}/api/v1/projects/big/export", headers=headers, timeout=300
        ) as response:
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
        outcome["export"] = (response.status_code, lines)

    imported = _probe_during(server.url, import_items)
    exported = _probe_during(server.url, export_items)
    for name, probed in (("import", imported), ("export", exported)):
        print(
            f"{name}: {probed.work_seconds:.2f} s, {len(probed.probes)} probes, slowest "
            f"{1000 * max(probed.probes, default=0):.1f} ms"
        )
    assert outcome == {"import": (200, IMPORTED), "export": (200, EXPORTED)}
    assert [
        (len(p.probes) >= 10, max(p.probes) < p.work_seconds / 10) for p in (imported, exported)
    ] == [(True, True), (True, True)]
