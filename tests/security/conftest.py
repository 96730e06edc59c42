"""A world an attacker would probe: two vendors' people in one project, in-house staff, an
outsider, work by both vendors, and the app served in-process and over real TCP.

Everyone below has an API token; ``PASSWORD`` logs anyone in (hashed cheaply for speed).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, ingestion, passwords
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PASSWORD = "correct horse battery"
SPEC: dict[str, Any] = {
    "name": "alpha",
    "description": "two vendors label the same items",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 1,
}
# who -> (email, role, vendor, projects)
PEOPLE: dict[str, tuple[str, str, str | None, list[str]]] = {
    "admin": ("admin@example.org", "admin", None, []),
    "lead": ("lead@example.org", "manager", None, ["alpha", "beta"]),
    "acme_lead": ("lead@acme.example", "manager", "acme", ["alpha"]),
    "acme_rev": ("rev@acme.example", "reviewer", "acme", ["alpha"]),
    "acme_ann": ("ann@acme.example", "annotator", "acme", ["alpha"]),
    "globex_lead": ("lead@globex.example", "manager", "globex", ["alpha"]),
    "globex_ann": ("ann@globex.example", "annotator", "globex", ["alpha"]),
    "outsider": ("out@example.org", "annotator", None, ["beta"]),
}


@dataclass
class World:
    db: Database
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, int]
    items: list[int]
    data_dir: Path
    assignments: dict[str, int] = field(default_factory=dict)

    def email(self, who: str) -> str:
        return PEOPLE[who][0]

    def call(self, who: str | None, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.request(method, url, headers=headers, **kwargs)


def _label(db: Database, who: int, value: dict[str, Any], key: str) -> int:
    task = assignment.next_task_for(db, "alpha", who)
    assert task is not None
    assignment.submit_annotation(
        db, task.assignment_id, who, value=value, seconds=2.0, idempotency_key=key
    )
    return task.item_id


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the tests log in many times; the scheme is the same."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def build_world(db: Database, data_dir: Path) -> World:
    """Projects alpha and beta; acme's annotator labels items 1-2 'pos', globex's labels
    items 3-4 'neg' (a label only globex used); one live lease each for later submits."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules")
    apply_spec(db, spec_from_dict({**SPEC, "name": "beta"}), guidelines=None)
    rows = [{"text": f"review {i}"} for i in range(8)]
    ingestion.import_items(db, "alpha", jsonl(rows), format="jsonl", source="a.jsonl")
    ingestion.import_items(db, "beta", jsonl(rows), format="jsonl", source="b.jsonl")
    tokens, ids = {}, {}
    hashed = passwords.hash_password(PASSWORD)
    for who, (email, role, vendor, projects) in PEOPLE.items():
        made = add_user(
            db,
            email,
            role=role,
            vendor=vendor,
            projects=projects or None,
            with_token=True,
            password_hash=hashed,
        )
        assert made.token is not None
        tokens[who], ids[who] = made.token, made.user.id
    acme = [_label(db, ids["acme_ann"], {"sentiment": "pos"}, f"a{i}") for i in range(2)]
    globex = [_label(db, ids["globex_ann"], {"sentiment": "neg"}, f"g{i}") for i in range(2)]
    app = create_app(Settings(data_dir=data_dir), database=db)
    client = TestClient(app, raise_server_exceptions=False)
    world = World(db, app, client, tokens, ids, acme + globex, data_dir)
    for who in ("acme_ann", "globex_ann", "outsider"):
        project = "beta" if who == "outsider" else "alpha"
        task = assignment.next_task_for(db, project, ids[who])
        assert task is not None
        world.assignments[who] = task.assignment_id
    return world


@pytest.fixture
def world(db: Database, tmp_path: Path, cheap_hashing: None) -> Iterator[World]:
    """The world above on the database under test, with an in-process client."""
    built = build_world(db, tmp_path / "data")
    with built.client:
        yield built


@dataclass
class LiveServer:
    url: str
    port: int
    server: uvicorn.Server


@pytest.fixture
def live(world: World) -> Iterator[LiveServer]:
    """The world's app behind a real uvicorn server on a free port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(world.app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", port, server)
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
