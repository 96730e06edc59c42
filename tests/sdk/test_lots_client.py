"""The SDK's lot methods against the real app, in-process: create a lot by import and by
date, list it, read it with its sample, audit every sample until it is decided, and each
refusal as the domain's error class; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.stats.acceptance import sampling_plan
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "lots",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
}
N = 20


class World:
    def __init__(self, db: Database, http: TestClient) -> None:
        def client(email: str, role: str, vendor: str | None = None) -> Client:
            projects = None if role == "admin" else ["lots"]
            made = add_user(db, email, role=role, projects=projects, vendor=vendor, with_token=True)
            assert made.token is not None
            return Client.from_httpx(http, made.token)

        self.admin = client("root@example.com", "admin")
        self.admin.apply_spec(SPEC)
        self.admin.import_items("lots", [{"text": f"review {i}"} for i in range(N)])
        self.reviewer = client("rev@example.com", "reviewer")
        self.vendor_rev = client("rev@acme.example", "reviewer", "acme")
        self.ann = client("ann@acme.example", "annotator", "acme")
        for _ in range(N):
            task = self.ann.next_task("lots")
            assert task is not None
            self.ann.submit(task.assignment_id, {"sentiment": "pos"})


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def test_create_list_read_and_audit_a_lot(world: World) -> None:
    lot = world.admin.create_lot(
        "lots", "all of it", 0.02, 0.3, since=datetime(2000, 1, 1, tzinfo=UTC), seed=2
    )
    plan = sampling_plan(N, 0.02, 0.3)
    assert (lot["size"], lot["status"], lot["plan"]["sample_size"]) == (
        N,
        "auditing",
        plan.sample_size,
    )
    assert lot["created_at"].tzinfo == UTC
    assert [x["id"] for x in world.reviewer.lots("lots")] == [lot["id"]]
    view = world.reviewer.lot("lots", lot["id"])
    assert (view["summary"], view["audited"]) == (plan.summary, 0)
    for s in view["samples"]:
        done = world.reviewer.audit_lot_sample("lots", lot["id"], s["annotation_id"], False)
    assert done["status"] == "accepted" and done["decision"]["accepted"] is True
    with pytest.raises(E.Conflict):
        world.reviewer.audit_lot_sample(
            "lots", lot["id"], view["samples"][0]["annotation_id"], True
        )


def test_refusals_are_the_domain_errors(world: World) -> None:
    with pytest.raises(E.InvalidInput):
        world.admin.create_lot("lots", "x", 0.3, 0.2, import_id=1)
    with pytest.raises(E.PermissionDenied):
        world.reviewer.create_lot("lots", "x", 0.02, 0.2, import_id=1)
    lot = world.admin.create_lot("lots", "batch", 0.02, 0.2, import_id=1)
    with pytest.raises(E.PermissionDenied):
        world.vendor_rev.lot("lots", lot["id"])
    with pytest.raises(E.PermissionDenied):
        world.ann.lots("lots")
    with pytest.raises(E.NotFound):
        world.admin.lot("lots", 999)
