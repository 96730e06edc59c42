"""The SDK's qualification methods against the real app, in-process: the report as plain
data (the rule under its spec name ``pass``, UTC datetimes), a manager's retry and the
errors the server maps; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.qualification_world import QualWorld, qualification_world

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.storage.engine import Database


class Clients:
    def __init__(self, world: QualWorld, http: TestClient) -> None:
        self.world = world
        self.http = http

    def __call__(self, who: str) -> Client:
        return Client.from_httpx(self.http, self.world.tokens[who])


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[Clients]:
    """The qualification world, with an SDK client per person."""
    world = qualification_world(db)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield Clients(world, http)


def test_report_as_plain_data(clients: Clients) -> None:
    """The rule keeps its spec names; each member is a dict with a UTC ``qualified_at``;
    a vendor's manager gets their vendor's people only."""
    report = clients("manager").qualification("qual")
    pat = report["members"][-1]
    walled = clients("acme_lead").qualification("qual")["members"]
    assert (
        report["rule"],
        report["training"],
        report["gold_items"],
        [(m["email"], m["state"], m["attempt"]) for m in report["members"]],
    ) == (
        {"items": 2, "pass": 1.0, "retries": 1},
        False,
        6,
        [
            ("fay@globex.example", "blocked", None),
            ("mo@example.com", "testing", 1),
            ("boss@example.com", "not_started", 1),
            ("lead@acme.example", "not_started", 1),
            ("neo@example.com", "not_started", 1),
            ("rev@example.com", "not_started", 1),
            ("pat@acme.example", "qualified", None),
        ],
    )
    assert (pat["qualified_at"], [m["email"] for m in walled]) == (
        datetime(2026, 1, 1, 12, 0, 4, tzinfo=UTC),
        ["lead@acme.example", "pat@acme.example"],
    )


def test_retry_and_its_errors(clients: Clients) -> None:
    """A manager's retry lets the blocked member lease a test question again; an annotator
    asking raises PermissionDenied, a member who passed NotFound, and the blocked
    member's own next task, before the retry, NotQualified."""
    fay, manager = clients("fay"), clients("manager")
    with pytest.raises(E.NotQualified):
        fay.next_task("qual")
    with pytest.raises(E.PermissionDenied) as refused:
        clients("mo").allow_qualification_retry("qual", "fay@globex.example")
    with pytest.raises(E.NotFound) as passed:
        manager.allow_qualification_retry("qual", "pat@acme.example")
    manager.allow_qualification_retry("qual", "fay@globex.example")
    task = fay.next_task("qual")
    assert (str(refused.value), str(passed.value)) == (
        "an annotator may not manage project 'qual'",
        "user 'pat@acme.example' has already qualified in project 'qual'",
    )
    assert task is not None and task.progress is not None
    assert task.progress.note == "qualification test, attempt 1 of 2: question 1 of 2"
