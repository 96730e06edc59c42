"""The SDK's escalation methods against the real app, in-process: flagging with ``submit``
and ``skip``, the queue, resolving (``Conflict`` the second time), the library and its
search, and vendors' staff refused; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 2,
}


class World:
    def __init__(self, db: Database, http: TestClient) -> None:
        def client(email: str, role: str, vendor: str | None = None) -> Client:
            projects = None if role == "admin" else ["reviews"]
            made = add_user(db, email, role=role, projects=projects, vendor=vendor, with_token=True)
            assert made.token is not None
            return Client.from_httpx(http, made.token)

        self.admin = client("root@example.com", "admin")
        self.admin.apply_spec(SPEC)
        self.admin.import_items("reviews", [{"text": f"review {i}"} for i in range(3)])
        self.manager = client("boss@example.com", "manager")
        self.vendor_lead = client("lead@acme.example", "manager", "acme")
        self.ann = client("ann@acme.example", "annotator", "acme")


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews' (three items, overlap 2), an admin, an in-house and an acme
    manager, and an acme annotator."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def test_flag_resolve_and_search(world: World) -> None:
    """The annotator flags one task on submit and one on skip; the manager lists both,
    resolves one (a second try raises Conflict) and finds it in the library by its note."""
    first = world.ann.next_task("reviews")
    assert first is not None
    flag = {"kind": "ambiguous", "comment": "sarcasm?"}
    world.ann.submit(first.assignment_id, {"sentiment": "neg"}, flag=flag)
    second = world.ann.next_task("reviews")
    assert second is not None
    world.ann.skip(second.assignment_id, "unsure", flag={"kind": "edge_case", "comment": "Welsh"})
    queue = world.manager.escalations("reviews")
    done = world.manager.resolve_escalation(
        "reviews",
        queue[0]["id"],
        "Sarcasm is negative.",
        answer={"sentiment": "neg"},
        guideline_section="3.2",
    )
    with pytest.raises(E.Conflict):
        world.manager.resolve_escalation("reviews", queue[0]["id"], "again")
    library = world.manager.edge_cases("reviews", q="SARCASM IS")
    assert [(e["item_id"], e["kind"], e["comment"], e["flagged_by"]) for e in queue] == [
        (1, "ambiguous", "sarcasm?", "ann@acme.example"),
        (2, "edge_case", "Welsh", "ann@acme.example"),
    ]
    assert (done["status"], done["answer"], done["url"]) == (
        "resolved",
        {"sentiment": "neg"},
        f"/projects/reviews/edge-cases#case-{queue[0]['id']}",
    )
    assert [(c["id"], c["note"], c["guideline_section"]) for c in library] == [
        (queue[0]["id"], "Sarcasm is negative.", "3.2")
    ]
    assert [e["id"] for e in world.manager.escalations("reviews", "all")] == [
        e["id"] for e in queue
    ]


def test_vendor_staff_and_annotators_are_refused(world: World) -> None:
    """A vendor's manager and an annotator get PermissionDenied from every method."""
    refused = []
    for client in (world.vendor_lead, world.ann):
        for call in (
            lambda c: c.escalations("reviews"),
            lambda c: c.edge_cases("reviews"),
            lambda c: c.resolve_escalation("reviews", 1, "note"),
        ):
            with pytest.raises(E.PermissionDenied) as caught:
                call(client)
            refused.append(caught.value.code)
    assert refused == ["permission_denied"] * 6
