"""The SDK's consensus methods against the real app, in-process: final labels and the
summary, refit, the adjudication queue and a decision, simulations, and the errors each
raises; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.sdk import quality as sdk_quality
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "quality": {"dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9}},
}
SIM_SPEC = {
    "name": "crowd",
    "fields": [{"name": "label", "kind": "choice", "labels": ["a", "b"]}],
    "quality": {"consensus": "majority"},
}


class World:
    def __init__(self, db: Database, http: TestClient) -> None:
        def client(email: str, role: str, vendor: str | None = None) -> Client:
            projects = None if role == "admin" else ["reviews", "plain"]
            made = add_user(db, email, role=role, projects=projects, vendor=vendor, with_token=True)
            assert made.token is not None
            return Client.from_httpx(http, made.token)

        self.admin = client("root@example.com", "admin")
        self.admin.apply_spec(SPEC)
        self.admin.apply_spec({**SPEC, "name": "plain", "quality": {}})
        self.admin.import_items(
            "reviews", [{"text": f"review {i}", "external_id": f"r{i}"} for i in range(4)]
        )
        self.manager = client("boss@example.com", "manager")
        self.vendor_lead = client("lead@acme.example", "manager", "acme")
        self.ann1 = client("ann1@acme.example", "annotator", "acme")
        self.ann2 = client("ann2@globex.example", "annotator", "globex")
        # r0 and r2 agree (final); r1 splits (adjudication); r3 is never labelled.
        for who, answers in ((self.ann1, "pos pos pos"), (self.ann2, "pos neg pos")):
            for answer in answers.split():
                task = who.next_task("reviews")
                assert task is not None
                who.submit(task.assignment_id, {"sentiment": answer})


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews' (majority at two annotations: r0 and r2 final, r1 waiting for an
    expert, r3 unlabelled) and 'plain' (no consensus), an admin, an in-house and an acme
    manager, and an acme and a globex annotator."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def _label(item: int, value: str, status: str, confidence: float, **rest: Any) -> dict[str, Any]:
    return {
        "item_id": item,
        "external_id": f"r{item - 1}",
        "value": {"sentiment": value},
        "method": rest.get("method", "majority"),
        "confidence": confidence,
        "fields": {"sentiment": confidence},
        "status": status,
        "annotation_ids": rest["ids"],
        "decided_by": rest.get("by"),
        "note": rest.get("note", ""),
    }


def _undated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with each ``decided_at`` checked to be a UTC datetime and dropped."""
    assert {row.pop("decided_at").tzinfo for row in rows} <= {UTC}
    return rows


def test_final_labels_queue_decision_and_refit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Final labels and the queue read back page by page (one a page); the manager's
    decision empties the queue and stands in the labels with their email and note; a
    refit then re-decides the two consensus items; the summary counts every status."""
    monkeypatch.setattr(sdk_quality, "MAX_FINALS_PAGE", 1)
    monkeypatch.setattr(sdk_quality, "MAX_CASES_PAGE", 1)
    labels = _undated(world.manager.final_labels("reviews"))
    waiting = _undated(world.admin.final_labels("reviews", status="adjudication"))
    queue = world.manager.adjudication_queue("reviews")
    world.manager.adjudicate("reviews", 2, {"sentiment": "neg"}, note="sarcasm")
    tally = world.admin.refit_consensus("reviews")
    after = _undated(world.manager.final_labels("reviews"))
    summary = world.manager.consensus_summary("reviews")
    first = _label(1, "pos", "final", 1.0, ids=[1, 4])
    third = _label(3, "pos", "final", 1.0, ids=[3, 6])
    assert labels == [first, _label(2, "pos", "adjudication", 0.5, ids=[2, 5]), third]
    assert waiting == [_label(2, "pos", "adjudication", 0.5, ids=[2, 5])]
    assert queue == [
        {
            "item_id": 2,
            "external_id": "r1",
            "payload": {"text": "review 1"},
            "proposal": {"sentiment": "pos"},
            "confidence": 0.5,
            "annotations": [
                {"alias": "A", "value": {"sentiment": "pos"}},
                {"alias": "B", "value": {"sentiment": "neg"}},
            ],
            "disagreements": {"sentiment": True},
        }
    ]
    assert (tally, world.manager.adjudication_queue("reviews")) == (
        {"final": 2, "more": 0, "adjudicate": 0},
        [],
    )
    expert = {"method": "adjudication", "by": "boss@example.com", "note": "sarcasm"}
    assert after == [first, _label(2, "neg", "adjudicated", 1.0, ids=[2, 5], **expert), third]
    assert summary == {
        "project": "reviews",
        "method": "majority",
        "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9},
        "counts": {"final": 2, "adjudication": 0, "adjudicated": 1},
        "without_final": 1,
        "model": None,
    }


def test_a_simulation_from_the_sdk(world: World) -> None:
    """A manager's seeded simulation returns the report with the crowd it was given and,
    asked for, the baseline; the same seed gives the same figures."""
    settings: dict[str, Any] = {"items": 20, "annotators": 4, "skill": (0.7, 0.9), "seed": 5}
    report = world.manager.simulate(SIM_SPEC, **settings)
    again = world.admin.simulate(SIM_SPEC, **settings)
    timing = ("seconds", "annotations_per_second")
    assert (report["items"], report["annotators"], report["classes"], report["seed"]) == (
        20,
        4,
        2,
        5,
    )
    assert sorted(report["baseline"]) == ["accuracy", "annotations_per_item", "lost", "seconds"]
    assert {k: v for k, v in report.items() if k not in (*timing, "baseline")} == {
        k: v for k, v in again.items() if k not in (*timing, "baseline")
    }


def test_each_refusal_is_the_domains_error(world: World) -> None:
    """Vendors' staff and annotators are refused, a bad label or status is invalid, an
    unlabelled item is not found, refitting a project without consensus is a conflict,
    and a simulation too large for a request is invalid input."""
    failures = {
        "vendor reads labels": lambda: world.vendor_lead.final_labels("reviews"),
        "vendor reads summary": lambda: world.vendor_lead.consensus_summary("reviews"),
        "vendor decides": lambda: world.vendor_lead.adjudicate("reviews", 2, {"sentiment": "neg"}),
        "annotator's queue": lambda: world.ann1.adjudication_queue("reviews"),
        "annotator refits": lambda: world.ann1.refit_consensus("reviews"),
        "annotator simulates": lambda: world.ann1.simulate(SIM_SPEC, items=5),
        "bad status": lambda: world.manager.final_labels("reviews", status="done"),
        "bad label": lambda: world.manager.adjudicate("reviews", 2, {"sentiment": "meh"}),
        "unlabelled item": lambda: world.manager.adjudicate("reviews", 4, {"sentiment": "pos"}),
        "no consensus": lambda: world.manager.refit_consensus("plain"),
        "too large": lambda: world.manager.simulate(SIM_SPEC, items=5001),
        "unknown setting": lambda: world.manager.simulate(SIM_SPEC, expert_skill=0.9),
        "bad spec": lambda: world.manager.simulate({"name": "x"}),
    }
    raised = {}
    for what, call in failures.items():
        with pytest.raises(E.LabelworksError) as caught:
            call()
        raised[what] = type(caught.value)
    assert raised == {
        "vendor reads labels": E.PermissionDenied,
        "vendor reads summary": E.PermissionDenied,
        "vendor decides": E.PermissionDenied,
        "annotator's queue": E.PermissionDenied,
        "annotator refits": E.PermissionDenied,
        "annotator simulates": E.PermissionDenied,
        "bad status": E.InvalidInput,
        "bad label": E.InvalidAnnotation,
        "unlabelled item": E.NotFound,
        "no consensus": E.Conflict,
        "too large": E.InvalidInput,
        "unknown setting": E.InvalidInput,
        "bad spec": E.InvalidSpec,
    }
    assert [c["item_id"] for c in world.manager.adjudication_queue("reviews")] == [2]


def test_the_consistency_report_from_the_sdk(world: World, db: Database) -> None:
    """With retests on, an annotator's retests reach the manager's report (their first and
    second answers side by side), the acme manager sees acme's people only, and an
    annotator is refused."""
    world.admin.apply_spec(
        {**SPEC, "name": "plain", "overlap": 2, "quality": {"retest": {"rate": 0.5, "after": 1}}}
    )
    world.admin.import_items("plain", [{"text": f"plain {i}"} for i in range(12)])
    seen: dict[str, dict[str, str]] = {"ann1": {}, "ann2": {}}
    pairs: dict[str, list[tuple[str, str]]] = {"ann1": [], "ann2": []}
    for name, who in (("ann1", world.ann1), ("ann2", world.ann2)):
        while (task := who.next_task("plain")) is not None:
            text = task.item.payload["text"]
            answer = "neg" if text in seen[name] else "pos"
            if text in seen[name]:
                pairs[name].append((seen[name][text], answer))
            seen[name][text] = answer
            who.submit(task.assignment_id, {"sentiment": answer})
    full = world.manager.consistency_report("plain")
    walled = world.vendor_lead.consistency_report("plain")
    with pytest.raises(E.PermissionDenied):
        world.ann1.consistency_report("plain")
    assert min(len(p) for p in pairs.values()) > 0
    assert (
        full["retests"],
        full["same"]["same"],
        sorted((a["email"], a["retests"]) for a in full["annotators"]),
        [a["email"] for a in walled["annotators"]],
        {(p["first"]["sentiment"], p["second"]["sentiment"]) for p in full["recent"]},
        full["recent"][0]["at"].tzinfo,
    ) == (
        len(pairs["ann1"]) + len(pairs["ann2"]),
        0,
        [("ann1@acme.example", len(pairs["ann1"])), ("ann2@globex.example", len(pairs["ann2"]))],
        ["ann1@acme.example"],
        {("pos", "neg")},
        UTC,
    )
