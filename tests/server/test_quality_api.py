"""The consensus, adjudication and simulation routes in-process with Bearer tokens: final
labels page by page, the consensus summary, refitting, the adjudication queue and an
expert's decision, simulations; who may do each; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import REVIEWS, Bearer, add_people, api_client, staff, two_projects

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, simulation_runs
from labelworks.services.projects import apply_spec
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    **REVIEWS,
    "quality": {"dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9}},
}
PEOPLE = staff(manages_other=True)
# Items 1-3 get two annotations each: 1 and 3 agree (final), 2 splits (adjudication).
ANSWERS = {"ann1": ["pos", "pos", "pos"], "ann2": ["pos", "neg", "pos"]}
URL = "/api/v1/projects/reviews"


class Env(Bearer):
    def ok(self, who: str, method: str, url: str, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'reviews' (majority at two annotations; six items, items 1 and 3 final,
    item 2 at adjudication, 4-6 unlabelled) and 'other' (no consensus, one item, id 7),
    with an admin, an in-house and an acme manager, a reviewer, an acme and a globex
    annotator, and a manager of 'other' only."""
    rows = [{"text": f"review {i}"} for i in range(6)]
    two_projects(db, SPEC, rows, other={"quality": {}})
    tokens, ids = add_people(db, PEOPLE)
    for who, answers in ANSWERS.items():
        for k, answer in enumerate(answers):
            task = assignment.next_task_for(db, "reviews", ids[who])
            assert task is not None and task.item_id == k + 1
            assignment.submit_annotation(
                db,
                task.assignment_id,
                ids[who],
                value={"sentiment": answer},
                seconds=1.0,
                idempotency_key=f"{who}-{k}",
            )
    with api_client(db, tmp_path) as client:
        yield Env(client, tokens)


def _stamped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with each ``decided_at`` checked to be UTC and dropped."""
    for row in rows:
        stamp = datetime.fromisoformat(row.pop("decided_at"))
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
    return rows


def _label(item: int, value: str, status: str, confidence: float, **rest: Any) -> dict[str, Any]:
    return {
        "item_id": item,
        "external_id": None,
        "value": {"sentiment": value},
        "method": rest.get("method", "majority"),
        "confidence": confidence,
        "fields": {"sentiment": confidence},
        "status": status,
        "annotation_ids": rest["ids"],
        "decided_by": rest.get("by"),
        "note": rest.get("note", ""),
    }


FINAL_1 = _label(1, "pos", "final", 1.0, ids=[1, 4])
WAITING_2 = _label(2, "pos", "adjudication", 0.5, ids=[2, 5])
FINAL_3 = _label(3, "pos", "final", 1.0, ids=[3, 6])


def test_final_labels_page_by_page_and_by_status(env: Env) -> None:
    """Pages of one follow next_after through every final label; a status keeps only its
    own; the summary counts them and the three unlabelled items."""
    pages, after = [], 0
    while after is not None:
        page = env.ok("reviewer", "GET", f"{URL}/final-labels?limit=1&after={after}")
        pages.append((_stamped(page["items"]), page["next_after"]))
        after = page["next_after"]
    waiting = env.ok("manager", "GET", f"{URL}/final-labels?status=adjudication")
    bad = env.call("manager", "GET", f"{URL}/final-labels?status=done")
    summary = env.ok("admin", "GET", f"{URL}/consensus")
    assert pages == [([FINAL_1], 1), ([WAITING_2], 2), ([FINAL_3], 3), ([], None)]
    assert (_stamped(waiting["items"]), waiting["next_after"]) == ([WAITING_2], None)
    assert (bad.status_code, bad.json()["code"], bad.json()["location"]["field"]) == (
        422,
        "invalid_input",
        "query.status",
    )
    assert summary == {
        "project": "reviews",
        "method": "majority",
        "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9},
        "counts": {"final": 2, "adjudication": 1, "adjudicated": 0},
        "without_final": 3,
        "model": None,
    }


def test_the_queue_then_an_experts_decision(env: Env) -> None:
    """The queue shows item 2 with its proposal, aliased annotations and the disagreement;
    the reviewer's decision empties it and stands in the final labels with their email and
    note; deciding a final item again corrects it."""
    queue = env.ok("reviewer", "GET", f"{URL}/adjudication")
    decided = env.call(
        "reviewer",
        "POST",
        f"{URL}/items/2/adjudicate",
        json={"value": {"sentiment": "neg"}, "note": "sarcasm"},
    )
    corrected = env.call(
        "admin", "POST", f"{URL}/items/3/adjudicate", json={"value": {"sentiment": "neg"}}
    )
    after = env.ok("reviewer", "GET", f"{URL}/adjudication")
    labels = _stamped(env.ok("manager", "GET", f"{URL}/final-labels")["items"])
    summary = env.ok("manager", "GET", f"{URL}/consensus")
    assert queue == {
        "items": [
            {
                "item_id": 2,
                "external_id": None,
                "payload": {"text": "review 1"},
                "proposal": {"sentiment": "pos"},
                "confidence": 0.5,
                "annotations": [
                    {"alias": "A", "value": {"sentiment": "pos"}},
                    {"alias": "B", "value": {"sentiment": "neg"}},
                ],
                "disagreements": {"sentiment": True},
            }
        ],
        "next_after": None,
    }
    assert [(r.status_code, r.content) for r in (decided, corrected)] == [(204, b"")] * 2
    assert after == {"items": [], "next_after": None}
    expert = {"method": "adjudication", "by": "rev@example.com", "note": "sarcasm"}
    assert labels == [
        FINAL_1,
        _label(2, "neg", "adjudicated", 1.0, ids=[2, 5], **expert),
        _label(
            3, "neg", "adjudicated", 1.0, ids=[3, 6], method="adjudication", by="root@example.com"
        ),
    ]
    assert summary["counts"] == {"final": 1, "adjudication": 0, "adjudicated": 2}


def test_bad_decisions_are_refused_and_change_nothing(env: Env) -> None:
    """A label the schema lacks, an empty or missing value, an unknown key, a note over
    2,000 characters, a body that is not an object, an unlabelled item, another project's
    item: each a 4xx naming the problem, and item 2 still waits."""
    bodies = {
        "unknown label": (2, {"value": {"sentiment": "meh"}}),
        "empty value": (2, {"value": {}}),
        "no value": (2, {"note": "x"}),
        "extra key": (2, {"value": {"sentiment": "pos"}, "weight": 2}),
        "long note": (2, {"value": {"sentiment": "pos"}, "note": "x" * 2001}),
        "not an object": (2, ["pos"]),
        "unlabelled item": (4, {"value": {"sentiment": "pos"}}),
        "other project's item": (7, {"value": {"sentiment": "pos"}}),
        "no such item": (999, {"value": {"sentiment": "pos"}}),
    }
    seen = {}
    for name, (item, body) in bodies.items():
        r = env.call("manager", "POST", f"{URL}/items/{item}/adjudicate", json=body)
        seen[name] = (
            r.status_code,
            r.json()["code"],
            (r.json().get("location") or {}).get("field"),
        )
    assert seen == {
        "unknown label": (422, "invalid_annotation", "sentiment"),
        "empty value": (422, "invalid_input", "value"),
        "no value": (422, "invalid_input", "value"),
        "extra key": (422, "invalid_input", "weight"),
        "long note": (422, "invalid_input", "note"),
        "not an object": (422, "invalid_input", None),
        "unlabelled item": (404, "not_found", None),
        "other project's item": (404, "not_found", None),
        "no such item": (404, "not_found", None),
    }
    assert [c["item_id"] for c in env.ok("manager", "GET", f"{URL}/adjudication")["items"]] == [2]


def test_refit_tallies_and_dawid_skene_records_its_model(env: Env, db: Database) -> None:
    """Refitting majority re-decides the three labelled items; switched to Dawid-Skene, a
    refit fits a model on the six annotations, which the summary shows; a project without
    consensus is a 409."""
    majority = env.ok("manager", "POST", f"{URL}/consensus/refit")
    apply_spec(
        db,
        spec_from_dict({**SPEC, "quality": {**SPEC["quality"], "consensus": "dawid_skene"}}),
        guidelines="# Rules",
    )
    fitted = env.ok("admin", "POST", f"{URL}/consensus/refit")
    summary = env.ok("manager", "GET", f"{URL}/consensus")
    model = summary.pop("model")
    none = env.call("manager", "POST", "/api/v1/projects/other/consensus/refit")
    assert majority == {"final": 2, "more": 0, "adjudicate": 1}
    assert sum(fitted.values()) == 3
    assert (model["method"], model["n_annotations"]) == ("dawid_skene", 6)
    assert datetime.fromisoformat(model["fitted_at"]).utcoffset() is not None
    assert summary["method"] == "dawid_skene"
    assert (none.status_code, none.json()) == (
        409,
        {
            "code": "conflict",
            "message": "project 'other' keeps no final labels: its spec sets neither "
            "quality.consensus nor quality.dynamic_overlap",
        },
    )


def test_who_may_read_decide_and_refit(env: Env) -> None:
    """Vendors' staff and annotators get 403 and another project's manager 404 from every
    consensus and adjudication route, and none of them gets a label; a reviewer reads and
    decides but may not refit."""
    routes = [
        ("GET", f"{URL}/final-labels", None),
        ("GET", f"{URL}/consensus", None),
        ("POST", f"{URL}/consensus/refit", None),
        ("GET", f"{URL}/adjudication", None),
        ("POST", f"{URL}/items/2/adjudicate", {"value": {"sentiment": "neg"}}),
    ]
    seen = {}
    for who in ("acme_lead", "ann1", "outsider", "reviewer"):
        answers = [env.call(who, method, url, json=body) for method, url, body in routes]
        leaked = [
            r.request.url.path for r in answers if r.status_code >= 400 and b"pos" in r.content
        ]
        seen[who] = ([r.status_code for r in answers], leaked)
    assert seen == {
        "acme_lead": ([403] * 5, []),
        "ann1": ([403] * 5, []),
        "outsider": ([404] * 5, []),
        "reviewer": ([200, 200, 403, 200, 204], []),
    }


SIM_SPEC = {
    "name": "crowd",
    "fields": [{"name": "label", "kind": "choice", "labels": ["a", "b", "c"]}],
    "quality": {
        "consensus": "majority",
        "dynamic_overlap": {"min": 2, "max": 3, "confidence": 0.9},
    },
}
SIM = {"spec": SIM_SPEC, "items": 30, "annotators": 5, "seed": 3, "baseline": False}


def test_a_simulation_runs_for_managers_and_admins(env: Env) -> None:
    """A manager's small seeded simulation reports every figure and repeats for an admin;
    a vendor's manager may run one too (no project's data is involved); reviewers and
    annotators get 403."""
    first = env.ok("manager", "POST", "/api/v1/simulations", json=SIM)
    again = env.ok("admin", "POST", "/api/v1/simulations", json=SIM)
    vendor = env.call("acme_lead", "POST", "/api/v1/simulations", json={**SIM, "items": 5})
    refused = [
        env.call(who, "POST", "/api/v1/simulations", json=SIM) for who in ("reviewer", "ann1")
    ]
    timing = ("seconds", "annotations_per_second")
    assert {k: v for k, v in first.items() if k not in timing} == {
        k: v for k, v in again.items() if k not in timing
    }
    assert (first["items"], first["annotators"], first["classes"], first["seed"]) == (30, 5, 3, 3)
    assert (first["quality"]["consensus"], first["baseline"], 0 <= first["accuracy"] <= 1) == (
        "majority",
        None,
        True,
    )
    assert vendor.status_code == 200
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "permission_denied")] * 2


def test_bad_simulations_are_refused_before_running(env: Env) -> None:
    """Runs too large for a request, settings out of range, unknown keys, a bad spec and
    NaN are 422 naming the field; a second simulation while one runs is 409."""
    bodies: dict[str, Any] = {
        "too many items": {**SIM, "items": 5001},
        "too many annotators": {**SIM, "annotators": 201},
        "skill reversed": {**SIM, "skill": [0.9, 0.5]},
        "skill past 1": {**SIM, "skill": [0.5, 1.5]},
        "spammers 1": {**SIM, "spammers": 1},
        "unknown key": {**SIM, "expert": 1},
        "no spec": {k: v for k, v in SIM.items() if k != "spec"},
        "bad spec": {**SIM, "spec": {**SIM_SPEC, "overlap": 3}},
    }
    seen = {}
    for name, body in bodies.items():
        r = env.call("manager", "POST", "/api/v1/simulations", json=body)
        seen[name] = (
            r.status_code,
            r.json()["code"],
            (r.json().get("location") or {}).get("field"),
        )
    nan = env.call(
        "manager",
        "POST",
        "/api/v1/simulations",
        content=b'{"spec": {}, "drift": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert simulation_runs._running.acquire(blocking=False)
    try:
        busy = env.call("manager", "POST", "/api/v1/simulations", json=SIM)
    finally:
        simulation_runs._running.release()
    assert seen == {
        "too many items": (422, "invalid_input", "items"),
        "too many annotators": (422, "invalid_input", "annotators"),
        "skill reversed": (422, "invalid_input", "skill"),
        "skill past 1": (422, "invalid_input", "skill.1"),
        "spammers 1": (422, "invalid_input", "spammers"),
        "unknown key": (422, "invalid_input", "expert"),
        "no spec": (422, "invalid_input", "spec"),
        "bad spec": (422, "invalid_spec", "overlap"),
    }
    assert (nan.status_code, nan.json()["message"]) == (
        422,
        "request body: invalid JSON: NaN is not valid JSON",
    )
    assert (busy.status_code, busy.json()["code"]) == (409, "conflict")


def test_a_report_never_carries_nan(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Figures a run could not compute are null in the JSON, never NaN."""
    real = simulation_runs.simulate

    def with_nan(*args: Any, **kwargs: Any) -> dict[str, Any]:
        report = real(*args, **kwargs)
        return {**report, "accuracy": float("nan"), "annotations_per_item": float("inf")}

    monkeypatch.setattr(simulation_runs, "simulate", with_nan)
    response = env.call("manager", "POST", "/api/v1/simulations", json={**SIM, "items": 5})
    assert (response.status_code, response.json()["accuracy"], b"NaN" in response.content) == (
        200,
        None,
        False,
    )
    assert response.json()["annotations_per_item"] is None
