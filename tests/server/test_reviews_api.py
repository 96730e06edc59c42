"""The review routes in-process with Bearer tokens: the queue page by page and by status,
accept, reject (the item back to its annotator) and fix, the outcomes report, refused
decisions, and who may do each behind which vendor wall; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.server.worlds import REVIEWS, Bearer, add_people, api_client, staff, two_projects
from tests.services.builders import jsonl

from labelworks.domain.gold import wilson_bounds
from labelworks.services import assignment, ingestion
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    **REVIEWS,
    "overlap": 1,
    "quality": {"review": {"first_n": 2, "reasons": ["wrong label", "incomplete"]}},
}
PEOPLE = staff(manages_other=True, acme_reviewer=True)
# Who labels in turn, and what: items 1-6 in order; each one's first two are reviewed, so
# reviews 1-4 are items 1 (ann1), 2 (ann2), 3 (ann1) and 4 (ann2).
TURNS = [
    ("ann1", {"sentiment": "pos", "note": "ACME-NOTE-1"}),
    ("ann2", {"sentiment": "neg", "note": "GLOBEX-NOTE-2"}),
    ("ann1", {"sentiment": "pos"}),
    ("ann2", {"sentiment": "pos"}),
    ("ann1", {"sentiment": "neg"}),
    ("ann2", {"sentiment": "neg"}),
]
URL = "/api/v1/projects/reviews"


@dataclass
class Env(Bearer):
    ids: dict[str, int]
    db: Database

    def ok(self, who: str, url: str) -> Any:
        response = self.call(who, "GET", url)
        assert response.status_code == 200, response.text
        return response.json()

    def decide(self, who: str, review_id: int, body: Any) -> httpx.Response:
        return self.call(who, "POST", f"{URL}/reviews/{review_id}", json=body)


def _label(db: Database, uid: int, project: str, value: dict[str, Any], key: str) -> int:
    task = assignment.next_task_for(db, project, uid)
    assert task is not None
    assignment.submit_annotation(
        db, task.assignment_id, uid, value=value, seconds=1.0, idempotency_key=key
    )
    return task.item_id


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'reviews' (first two of everyone's annotations reviewed; six items labelled
    in turn by an acme and a globex annotator: reviews 1-4 pending) and 'other' (one item,
    also reviewed, labelled by its manager), with an admin, an in-house and an acme manager,
    an in-house and an acme reviewer, and a manager of 'other' only."""
    two_projects(db, SPEC, [{"text": f"review {i}"} for i in range(6)])
    tokens, ids = add_people(db, PEOPLE)
    for k, (who, value) in enumerate(TURNS):
        assert _label(db, ids[who], "reviews", value, f"{who}-{k}") == k + 1
    _label(db, ids["manager"], "other", {"sentiment": "pos"}, "other")  # review 5
    with api_client(db, tmp_path) as client:
        yield Env(client, tokens, ids, db)


def _stamped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``created_at`` checked to be UTC and dropped (``decided_at`` too, when
    set)."""
    for row in rows:
        for key in ("created_at", "decided_at"):
            stamp = row.pop(key)
            if key == "created_at" or stamp is not None:
                moment = datetime.fromisoformat(stamp)
                assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
    return rows


def _review(rid: int, item: int, who: str, value: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "annotation_id": item,
        "item_id": item,
        "external_id": None,
        "payload": {"text": f"review {item - 1}"},
        "value": value,
        "annotator": PEOPLE[who][0],
        "vendor": PEOPLE[who][2],
        "why": "first_n",
        "status": rest.get("status", "pending"),
        "reason": rest.get("reason"),
        "comment": rest.get("comment", ""),
        "fixed_value": rest.get("fixed_value"),
    }


R1 = _review(1, 1, "ann1", TURNS[0][1])
R2 = _review(2, 2, "ann2", TURNS[1][1])
R3 = _review(3, 3, "ann1", TURNS[2][1])
R4 = _review(4, 4, "ann2", TURNS[3][1])


def test_the_queue_page_by_page_by_status_and_behind_a_wall(env: Env) -> None:
    """Pages of one follow next_after through the four pending reviews with the item, the
    value, the annotator and why; acme's reviewer sees acme's two only; a bad status is a
    422 naming it."""
    pages, after = [], 0
    while after is not None:
        page = env.ok("reviewer", f"{URL}/reviews?limit=1&after={after}")
        pages.append((_stamped(page["items"]), page["next_after"]))
        after = page["next_after"]
    walled = env.ok("acme_rev", f"{URL}/reviews")
    bad = env.call("reviewer", "GET", f"{URL}/reviews?status=done")
    assert pages == [([R1], 1), ([R2], 2), ([R3], 3), ([R4], 4), ([], None)]
    assert (_stamped(walled["items"]), walled["next_after"]) == ([R1, R3], None)
    assert (bad.status_code, bad.json()["code"], bad.json()["location"]["field"]) == (
        422,
        "invalid_input",
        "query.status",
    )


def test_accept_reject_fix_then_the_queue_the_report_and_the_rework(env: Env) -> None:
    """The reviewer accepts review 1, rejects 2 with a reason and a comment and fixes 3
    (204 each); the pending queue keeps 4 alone, ``all`` shows each outcome, a second
    decision is a 409; the report puts ann2 (0 of 1) before ann1 (1 of 2) with Wilson
    intervals; ann2's rejected item is their next task."""
    decided = [
        env.decide("reviewer", 1, {"decision": "accept"}),
        env.decide(
            "reviewer", 2, {"decision": "reject", "reason": "wrong label", "comment": "sarcasm"}
        ),
        env.decide(
            "reviewer", 3, {"decision": "fix", "value": {"sentiment": "neg"}, "comment": "typo"}
        ),
    ]
    again = env.decide("manager", 1, {"decision": "accept"})
    pending = env.ok("reviewer", f"{URL}/reviews")
    everything = env.ok("manager", f"{URL}/reviews?status=all")
    report = env.ok("manager", f"{URL}/reviews/report")
    rework = env.call("ann2", "POST", f"{URL}/next").json()
    assert [(r.status_code, r.content) for r in decided] == [(204, b"")] * 3
    assert (again.status_code, again.json()) == (
        409,
        {"code": "conflict", "message": "review 1 was already decided (accepted)"},
    )
    assert _stamped(pending["items"]) == [R4]
    assert _stamped(everything["items"]) == [
        {**R1, "status": "accepted"},
        {**R2, "value": None, "status": "rejected", "reason": "wrong label", "comment": "sarcasm"},
        {**R3, "status": "fixed", "fixed_value": {"sentiment": "neg"}, "comment": "typo"},
        R4,
    ]
    half, none = wilson_bounds(1, 2), wilson_bounds(0, 1)
    assert report == {
        "project": "reviews",
        "annotators": [
            {
                "annotator": "ann2@globex.example",
                "vendor": "globex",
                "pending": 1,
                "accepted": 0,
                "rejected": 1,
                "fixed": 0,
                "decided": 1,
                "acceptance": 0.0,
                "low": none[0],
                "high": none[1],
            },
            {
                "annotator": "ann1@acme.example",
                "vendor": "acme",
                "pending": 0,
                "accepted": 1,
                "rejected": 0,
                "fixed": 1,
                "decided": 2,
                "acceptance": 0.5,
                "low": half[0],
                "high": half[1],
            },
        ],
    }
    assert rework["item"]["payload"] == {"text": "review 1"}


def test_bad_decisions_are_refused_and_change_nothing(env: Env) -> None:
    """An unknown decision, a rejection without a known reason, a fix without a value or
    with a label the schema lacks, an unknown key, an over-long comment, a body that is
    not an object, another project's review and an unknown one: each a 4xx naming the
    problem; the reviewer's own work is a 403; all four reviews still wait."""
    more = jsonl([{"text": "one more"}])
    ingestion.import_items(env.db, "reviews", more, format="jsonl", source="c.jsonl")
    own = _label(env.db, env.ids["reviewer"], "reviews", {"sentiment": "pos"}, "mine")
    bodies: dict[str, tuple[int, Any]] = {
        "unknown decision": (1, {"decision": "approve"}),
        "no decision": (1, {"comment": "x"}),
        "reject, no reason": (1, {"decision": "reject"}),
        "reject, unknown reason": (1, {"decision": "reject", "reason": "ugly"}),
        "fix, no value": (1, {"decision": "fix"}),
        "fix, empty value": (1, {"decision": "fix", "value": {}}),
        "fix, unknown label": (1, {"decision": "fix", "value": {"sentiment": "meh"}}),
        "extra key": (1, {"decision": "accept", "weight": 2}),
        "long comment": (1, {"decision": "accept", "comment": "x" * 2001}),
        "not an object": (1, ["accept"]),
        "other project's review": (5, {"decision": "accept"}),
        "no such review": (999, {"decision": "accept"}),
        "own work": (6, {"decision": "accept"}),
    }
    seen = {}
    for name, (rid, body) in bodies.items():
        r = env.decide("reviewer", rid, body)
        seen[name] = (r.status_code, r.json()["code"], r.json()["message"])
    pending = [r["id"] for r in env.ok("manager", f"{URL}/reviews")["items"]]
    assert own == 8
    assert seen == {
        "unknown decision": (
            422,
            "invalid_input",
            "request body, field 'decision': Input should be 'accept', 'reject' or 'fix'",
        ),
        "no decision": (422, "invalid_input", "request body, field 'decision': Field required"),
        "reject, no reason": (
            422,
            "invalid_input",
            "reason must be one of: wrong label, incomplete",
        ),
        "reject, unknown reason": (
            422,
            "invalid_input",
            "reason must be one of: wrong label, incomplete",
        ),
        "fix, no value": (422, "invalid_input", "a fix needs the corrected value"),
        "fix, empty value": (422, "invalid_input", "a fix needs the corrected value"),
        "fix, unknown label": (
            422,
            "invalid_annotation",
            "field 'sentiment': 'meh' is not one of the labels 'pos', 'neg'",
        ),
        "extra key": (
            422,
            "invalid_input",
            "request body, field 'weight': Extra inputs are not permitted",
        ),
        "long comment": (
            422,
            "invalid_input",
            "request body, field 'comment': String should have at most 2000 characters",
        ),
        "not an object": (
            422,
            "invalid_input",
            "request body: Input should be a valid dictionary or instance of ReviewDecisionIn",
        ),
        "other project's review": (
            404,
            "not_found",
            "review 5 does not exist in project 'reviews'",
        ),
        "no such review": (404, "not_found", "review 999 does not exist in project 'reviews'"),
        "own work": (403, "permission_denied", "nobody reviews their own work"),
    }
    assert pending == [1, 2, 3, 4, 6]


def test_who_may_read_and_decide(env: Env) -> None:
    """Annotators get 403 and another project's manager 404 from every review route; the
    acme manager and reviewer read and decide acme's work, and another vendor's review
    does not exist for them (404); the in-house reviewer decides anyone's."""
    routes = [
        ("GET", f"{URL}/reviews", None),
        ("GET", f"{URL}/reviews/report", None),
        ("POST", f"{URL}/reviews/1", {"decision": "accept"}),
        ("POST", f"{URL}/reviews/2", {"decision": "accept"}),
    ]
    seen = {}
    for who in ("ann1", "outsider", "acme_lead", "acme_rev", "reviewer"):
        answers = [env.call(who, method, url, json=body) for method, url, body in routes]
        leaked = [r.request.url.path for r in answers if b"GLOBEX" in r.content]
        seen[who] = ([r.status_code for r in answers], leaked)
    assert seen == {
        "ann1": ([403] * 4, []),
        "outsider": ([404] * 4, []),
        "acme_lead": ([200, 200, 204, 404], []),
        "acme_rev": ([200, 200, 409, 404], []),
        "reviewer": ([200, 200, 409, 204], [f"{URL}/reviews"]),
    }


def test_a_report_before_any_decision_has_no_acceptance(env: Env) -> None:
    """With nothing decided, acceptance and its interval are null, never NaN."""
    response = env.call("reviewer", "GET", f"{URL}/reviews/report")
    assert (response.status_code, b"NaN" in response.content) == (200, False)
    assert [
        (a["annotator"], a["pending"], a["decided"], a["acceptance"], a["low"], a["high"])
        for a in response.json()["annotators"]
    ] == [
        ("ann1@acme.example", 2, 0, None, None, None),
        ("ann2@globex.example", 2, 0, None, None, None),
    ]
