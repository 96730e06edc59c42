"""The SDK's gold methods against the real app, in-process: expert answers, the report,
auto-pause raising ``AnnotatorPaused``, reinstating and requeueing; on SQLite and
PostgreSQL."""

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
from labelworks.sdk import gold as sdk_gold
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
    "quality": {"gold_rate": 1.0, "auto_pause": {"min_gold": 2, "below": 0.9}},
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
        self.manager = client("boss@example.com", "manager")
        self.vendor_lead = client("lead@acme.example", "manager", "acme")
        self.ann = client("ann@acme.example", "annotator", "acme")


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews' (five items; every lease tries gold first; two wrong gold answers
    pause), an admin, an in-house and an acme manager, and an acme annotator."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def _answer_wrong(client: Client, expert: dict[str, str]) -> str:
    """Lease the next task and answer it against ``expert`` (payload text -> label)."""
    task = client.next_task("reviews")
    assert task is not None
    text = task.item.payload["text"]
    wrong = "neg" if expert.get(text) == "pos" else "pos"
    client.submit(task.assignment_id, {"sentiment": wrong})
    return str(text)


def test_gold_answers_report_pause_reinstate_and_requeue(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marked gold reads back page by page; two wrong gold answers pause the annotator
    (``AnnotatorPaused`` on their next task) as the report shows; reinstated, they work
    again; requeueing returns the count; unmarking leaves one gold item."""
    monkeypatch.setattr(sdk_gold, "_PAGE", 1)  # one item a page: the method follows pages
    world.manager.mark_gold("reviews", 1, {"sentiment": "pos"}, "clearly glowing")
    world.manager.mark_gold("reviews", 2, {"sentiment": "neg"})
    answers = world.manager.gold_answers("reviews")
    stamps = [row.pop("created_at") for row in answers]
    answered = sorted(
        _answer_wrong(world.ann, {"review 0": "pos", "review 1": "neg"}) for _ in range(2)
    )
    with pytest.raises(E.AnnotatorPaused) as paused:
        world.ann.next_task("reviews")
    report = world.vendor_lead.gold_report("reviews")
    paused_at = report["annotators"][0].pop("paused_at")
    world.manager.reinstate_annotator("reviews", "ann@acme.example")
    task = world.ann.next_task("reviews")
    assert task is not None
    world.ann.submit(task.assignment_id, {"sentiment": "pos"})
    requeued = world.manager.requeue_annotations("reviews", "ann@acme.example", "audit")
    world.admin.unmark_gold("reviews", 2)
    reason = (
        "paused: 0 of 2 gold answers correct (0%, 95% interval 0%–66%) is below the "
        "project's bar of 90%; a manager can reinstate you"
    )
    low, high = wilson_bounds(0, 2)
    zero = {"correct": 0, "total": 2, "accuracy": 0.0, "low": low, "high": high}
    assert answers == [
        {
            "item_id": 1,
            "external_id": "r0",
            "value": {"sentiment": "pos"},
            "explanation": "clearly glowing",
            "answered": 0,
            "correct": 0,
        },
        {
            "item_id": 2,
            "external_id": "r1",
            "value": {"sentiment": "neg"},
            "explanation": "",
            "answered": 0,
            "correct": 0,
        },
    ]
    assert [s.tzinfo for s in stamps] == [UTC, UTC]
    assert (answered, str(paused.value)) == (
        ["review 0", "review 1"],
        f"you are paused in project 'reviews': {reason}",
    )
    assert isinstance(paused_at, datetime) and paused_at.tzinfo == UTC
    assert report == {
        "project": "reviews",
        "gold_items": 2,
        "gold_rate": 1.0,
        "auto_pause": {"min_gold": 2, "below": 0.9},
        "annotators": [
            {
                "email": "ann@acme.example",
                "name": "",
                "vendor": "acme",
                "overall": zero,
                "fields": {"sentiment": zero},
                "paused": reason,
            }
        ],
    }
    assert (task.item.payload, requeued) == ({"text": "review 2"}, 1)
    assert [
        (r["item_id"], r["answered"], r["correct"]) for r in world.admin.gold_answers("reviews")
    ] == [(1, 1, 0)]


def test_pause_by_hand_and_the_errors(world: World) -> None:
    """A manager's pause stops the annotator with the reason; requeue without a reason
    works; each refusal is the domain's error class."""
    world.manager.pause_annotator("reviews", "ann@acme.example", "too fast")
    with pytest.raises(E.AnnotatorPaused) as paused:
        world.ann.next_task("reviews")
    none_requeued = world.manager.requeue_annotations("reviews", "ann@acme.example")
    failures = {
        "annotator marks": lambda: world.ann.mark_gold("reviews", 1, {"sentiment": "pos"}),
        "vendor lists": lambda: world.vendor_lead.gold_answers("reviews"),
        "bad label": lambda: world.manager.mark_gold("reviews", 1, {"sentiment": "meh"}),
        "empty answer": lambda: world.manager.mark_gold("reviews", 1, {}),
        "not gold": lambda: world.manager.unmark_gold("reviews", 1),
        "empty reason": lambda: world.manager.pause_annotator("reviews", "ann@acme.example", ""),
        "nobody": lambda: world.manager.reinstate_annotator("reviews", "nobody@example.com"),
        "annotator report": lambda: world.ann.gold_report("reviews"),
    }
    raised = {}
    for what, call in failures.items():
        with pytest.raises(E.LabelworksError) as caught:
            call()
        raised[what] = type(caught.value)
    assert (str(paused.value), none_requeued) == (
        "you are paused in project 'reviews': paused by boss@example.com: too fast",
        0,
    )
    assert raised == {
        "annotator marks": E.PermissionDenied,
        "vendor lists": E.PermissionDenied,
        "bad label": E.InvalidAnnotation,
        "empty answer": E.InvalidInput,
        "not gold": E.NotFound,
        "empty reason": E.InvalidInput,
        "nobody": E.NotFound,
        "annotator report": E.PermissionDenied,
    }
