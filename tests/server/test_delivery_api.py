"""The acceptance route in-process with Bearer tokens, and the SDK's ``acceptance`` over it:
the report's whole shape, null (never NaN) where a figure is undefined, and who may read
it; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import add_people, api_client, staff, two_projects

from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.services import delivery
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 2,
    "quality": {
        "consensus": "majority",
        "acceptance": {"agreement": {"lower_bound": 0.5}, "all_final": True},
    },
}
# The common staff, with in-house annotators.
PEOPLE = {
    **staff(),
    "ann1": ("ann1@example.com", "annotator", None, ["reviews"]),
    "ann2": ("ann2@example.com", "annotator", None, ["reviews"]),
}
URL = "/api/v1/projects/reviews/acceptance"
T0 = datetime(2026, 1, 1, 12, 0, 0)


@dataclass
class Env:
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, int]

    def get(self, who: str | None, url: str = URL) -> httpx.Response:
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(url, headers=headers)


def _label(db: Database, annotator: int, answers: list[str]) -> None:
    """Lease and submit every task, answering item i (``text`` "review i") answers[i]."""
    k = 0
    while task := next_task_for(db, "reviews", annotator, now=T0):
        i = int(task.payload["text"].removeprefix("review "))
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value={"sentiment": answers[i]},
            seconds=1.0,
            idempotency_key=f"{annotator}-{k}",
            now=T0,
        )
        k += 1


def _env(db: Database, tmp_path: Path) -> Env:
    rows = [{"text": f"review {i}"} for i in range(4)]
    two_projects(db, SPEC, rows, other={"quality": {}}, other_rows=0)
    tokens, ids = add_people(db, PEOPLE)
    return Env(api_client(db, tmp_path), tokens, ids)


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'reviews' (four items, overlap 2, majority, acceptance: agreement >= 0.5 and
    all final) with two annotators, a manager, an acme manager, a reviewer, an admin, and
    a manager of 'other' only; nothing labelled yet."""
    built = _env(db, tmp_path)
    with built.client:
        yield built


def _stamp(body: dict[str, Any]) -> dict[str, Any]:
    """The body with ``generated_at`` checked to be UTC and dropped."""
    stamp = datetime.fromisoformat(body.pop("generated_at"))
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
    return body


def test_the_route_returns_the_whole_acceptance_report(env: Env, db: Database) -> None:
    """After two annotators agree on every item: the criteria, agreement with its interval,
    gold figures and counts, exactly as the service measures them."""
    _label(db, env.ids["ann1"], ["pos", "neg", "pos", "neg"])
    _label(db, env.ids["ann2"], ["pos", "neg", "pos", "neg"])
    response = env.get("manager")
    report = delivery.acceptance_report(db, "reviews")
    assert (response.status_code, _stamp(response.json())) == (
        200,
        {
            "project": "reviews",
            "accepted": True,
            "criteria": [c.to_dict() for c in report.criteria],
            "agreement": [
                {
                    "field": "sentiment",
                    "metric": "krippendorff_alpha",
                    "estimate": 1.0,
                    "low": 1.0,
                    "high": 1.0,
                    "items": 4,
                    "annotations": 8,
                }
            ],
            "gold": {"correct": 0, "total": 0, "accuracy": None, "low": None, "high": None},
            "counts": {
                "final": 4,
                "adjudicated": 0,
                "adjudication": 0,
                "pending": 0,
                "gold": 0,
                "open_escalations": 0,
            },
        },
    )
    assert [c["met"] for c in response.json()["criteria"]] == [True, True]


def test_undefined_figures_are_null_not_nan(env: Env, db: Database) -> None:
    """Every annotation the same label: alpha is undefined, so the estimate, its interval
    and the criterion's value are null and the criterion is not met."""
    _label(db, env.ids["ann1"], ["pos"] * 4)
    _label(db, env.ids["ann2"], ["pos"] * 4)
    body = env.get("reviewer").json()
    (agreement,) = body["agreement"]
    first = body["criteria"][0]
    assert (
        (agreement["estimate"], agreement["low"], agreement["high"]),
        (first["name"], first["met"], first["value"], first["low"]),
        body["accepted"],
    ) == ((None, None, None), ("agreement.sentiment", False, None, None), False)


def test_who_may_read_acceptance(env: Env) -> None:
    """Admins, managers and reviewers read it; a vendor's manager and an annotator are
    refused (403), a manager of another project is told it does not exist, and an
    anonymous caller must authenticate."""
    got = {who: env.get(who) for who in [*PEOPLE, None] if who != "ann2"}
    walled = "acceptance figures combine every vendor's work; vendors' staff may not read them"
    assert {who: r.status_code for who, r in got.items()} == {
        "admin": 200,
        "manager": 200,
        "acme_lead": 403,
        "reviewer": 200,
        "ann1": 403,
        "outsider": 404,
        None: 401,
    }
    assert [got[w].json() for w in ("acme_lead", "ann1", "outsider")] == [
        {"code": "permission_denied", "message": walled},
        {"code": "permission_denied", "message": "an annotator may not review project 'reviews'"},
        {"code": "not_found", "message": "project 'reviews' does not exist"},
    ]


def test_the_sdk_reads_acceptance_and_raises_the_servers_errors(env: Env, db: Database) -> None:
    """client.acceptance gives the route's body (generated_at a UTC datetime); a vendor's
    manager gets PermissionDenied and an unknown project NotFound."""
    _label(db, env.ids["ann1"], ["pos", "neg", "pos", "neg"])
    manager = Client.from_httpx(env.client, env.tokens["manager"])
    lead = Client.from_httpx(env.client, env.tokens["acme_lead"])
    body = manager.acceptance("reviews")
    stamp = body.pop("generated_at")
    raw = env.get("manager").json()
    raw.pop("generated_at")
    assert (body, stamp.tzinfo is not None and stamp.utcoffset().total_seconds() == 0) == (
        raw,
        True,
    )
    with pytest.raises(E.PermissionDenied):
        lead.acceptance("reviews")
    with pytest.raises(E.NotFound):
        manager.acceptance("nope")
