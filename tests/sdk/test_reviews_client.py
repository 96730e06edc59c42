"""The SDK's review methods against the real app, in-process: the queue over every page,
accept, reject and fix, the outcomes report, and each refusal as the domain's error class;
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.domain.gold import wilson_bounds
from labelworks.sdk import Client
from labelworks.sdk import reviews as sdk_reviews
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
    "quality": {"review": {"first_n": 3, "rejected_to": "others"}},
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
        self.admin.import_items(
            "reviews", [{"text": f"review {i}", "external_id": f"r{i}"} for i in range(5)]
        )
        self.reviewer = client("rev@example.com", "reviewer")
        self.ann = client("ann@acme.example", "annotator", "acme")
        self.other = client("bo@example.com", "annotator")
        for label in ("pos", "neg", "pos"):
            task = self.ann.next_task("reviews")
            assert task is not None
            self.ann.submit(task.assignment_id, {"sentiment": label})


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews' (five items; every annotator's first three are reviewed; rejected
    work goes to others), an admin, a reviewer, and an acme annotator who labelled items
    1-3 pos, neg, pos (reviews 1-3), and an in-house annotator."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def _undated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        assert row.pop("created_at").tzinfo == UTC
        decided = row.pop("decided_at")
        assert decided is None or (isinstance(decided, datetime) and decided.tzinfo == UTC)
    return rows


def _row(rid: int, label: str, status: str = "pending", **rest: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "annotation_id": rid,
        "item_id": rid,
        "external_id": f"r{rid - 1}",
        "payload": {"text": f"review {rid - 1}"},
        "value": rest.get("value", {"sentiment": label}),
        "annotator": "ann@acme.example",
        "vendor": "acme",
        "why": "first_n",
        "status": status,
        "reason": rest.get("reason"),
        "comment": rest.get("comment", ""),
        "fixed_value": rest.get("fixed_value"),
    }


def test_queue_decisions_and_report(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue reads back a page of one at a time; accept, reject (the item goes to
    someone else) and fix change it to what ``status=None`` shows; the report has the
    annotator at 1 of 3 with the Wilson interval."""
    monkeypatch.setattr(sdk_reviews, "MAX_REVIEWS_PAGE", 1)  # the method follows pages
    pending = _undated(world.reviewer.reviews("reviews"))
    world.reviewer.decide_review("reviews", 1, "accept")
    world.reviewer.decide_review("reviews", 2, "reject", reason="wrong label", comment="no")
    world.admin.decide_review("reviews", 3, "fix", value={"sentiment": "neg"}, comment="typo")
    everything = _undated(world.reviewer.reviews("reviews", status=None))
    rejected = _undated(world.reviewer.reviews("reviews", status="rejected"))
    report = world.reviewer.review_report("reviews")
    redo = world.other.next_task("reviews")
    low, high = wilson_bounds(1, 3)
    assert pending == [_row(1, "pos"), _row(2, "neg"), _row(3, "pos")]
    assert everything == [
        _row(1, "pos", "accepted"),
        _row(2, "neg", "rejected", value=None, reason="wrong label", comment="no"),
        _row(3, "pos", "fixed", fixed_value={"sentiment": "neg"}, comment="typo"),
    ]
    assert rejected == [everything[1]]
    assert report == {
        "project": "reviews",
        "annotators": [
            {
                "annotator": "ann@acme.example",
                "vendor": "acme",
                "pending": 0,
                "accepted": 1,
                "rejected": 1,
                "fixed": 1,
                "decided": 3,
                "acceptance": 1 / 3,
                "low": low,
                "high": high,
            }
        ],
    }
    assert redo is not None and redo.item.payload == {"text": "review 1"}


def test_refusals_are_the_domains_errors(world: World) -> None:
    """Each refused call raises the domain's error class, and nothing is decided."""
    failures = {
        "annotator lists": lambda: world.ann.reviews("reviews"),
        "annotator decides": lambda: world.ann.decide_review("reviews", 1, "accept"),
        "annotator's report": lambda: world.ann.review_report("reviews"),
        "bad status": lambda: world.reviewer.reviews("reviews", status="done"),
        "bad decision": lambda: world.reviewer.decide_review("reviews", 1, "approve"),
        "unknown reason": lambda: world.reviewer.decide_review("reviews", 1, "reject", "ugly"),
        "bad fix": lambda: world.reviewer.decide_review(
            "reviews", 1, "fix", value={"sentiment": "meh"}
        ),
        "no such review": lambda: world.reviewer.decide_review("reviews", 99, "accept"),
        "no such project": lambda: world.reviewer.reviews("nope"),
    }
    raised = {}
    for what, call in failures.items():
        with pytest.raises(E.LabelworksError) as caught:
            call()
        raised[what] = type(caught.value)
    world.reviewer.decide_review("reviews", 1, "accept")
    with pytest.raises(E.Conflict) as twice:
        world.admin.decide_review("reviews", 1, "accept")
    assert raised == {
        "annotator lists": E.PermissionDenied,
        "annotator decides": E.PermissionDenied,
        "annotator's report": E.PermissionDenied,
        "bad status": E.InvalidInput,
        "bad decision": E.InvalidInput,
        "unknown reason": E.InvalidInput,
        "bad fix": E.InvalidAnnotation,
        "no such review": E.NotFound,
        "no such project": E.NotFound,
    }
    assert str(twice.value) == "review 1 was already decided (accepted)"
    assert [r["id"] for r in world.reviewer.reviews("reviews")] == [2, 3]
