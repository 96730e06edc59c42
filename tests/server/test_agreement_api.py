"""``GET /api/v1/projects/{project}/agreement`` in-process with Bearer tokens: the report
equals the service's (and so the stats core's), ``field``, ``since``, ``until`` and
``vendor`` narrow it, bad values are 422s saying why, and a vendor-walled manager reads
their own vendor only; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import REVIEWS, Bearer, add_people, api_client, staff, two_projects

from labelworks.services import agreement, assignment
from labelworks.stats.agreement import bootstrap_ci, krippendorff_alpha
from labelworks.stats.ratings import Ratings
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {**REVIEWS, "overlap": 2}
# Both annotators label items 1-6; they split on items 2 and 5.
ANSWERS = {
    "ann1": ["pos", "pos", "neg", "pos", "neg", "neg"],
    "ann2": ["pos", "neg", "neg", "pos", "pos", "neg"],
}
URL = "/api/v1/projects/reviews/agreement"


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[tuple[Bearer, Database]]:
    """Project 'reviews' (overlap 2, six items each labelled by ann1 and ann2) and 'other',
    with the people of ``staff``."""
    two_projects(db, SPEC, [{"text": f"review {i}"} for i in range(6)])
    tokens, ids = add_people(db, staff())
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
        yield Bearer(client, tokens), db


def test_the_report_is_the_services_with_the_stats_cores_alpha(
    env: tuple[Bearer, Database],
) -> None:
    """A reviewer's report equals the service's to_dict, and its alpha is the stats core's
    bootstrap on the same pairs."""
    bearer, db = env
    response = bearer.call("reviewer", "GET", URL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == agreement.project_agreement(db, "reviews").to_dict()
    pairs = list(zip(ANSWERS["ann1"], ANSWERS["ann2"], strict=True))
    r = Ratings.from_matrix([list(p) for p in pairs], categories=["pos", "neg"])
    value, low, high = bootstrap_ci(krippendorff_alpha, r, n_resamples=1000, seed=20260601)
    field = body["fields"]["sentiment"]
    assert (list(body["fields"]), field["items"], field["ratings"], field["annotators"]) == (
        ["sentiment"],
        6,
        12,
        2,
    )
    assert field["krippendorff_alpha"] == pytest.approx({"value": value, "low": low, "high": high})
    assert field["pairwise"]["annotators"] == ["ann1@acme.example", "ann2@globex.example"]


def test_field_filter_and_refusals(env: tuple[Bearer, Database]) -> None:
    """``?field=sentiment`` gives that field; an unknown field is a 422 naming the fields,
    a text field a 422 saying why; the acme manager gets 403, an annotator 403."""
    bearer, _ = env
    whole = bearer.call("manager", "GET", URL).json()
    one = bearer.call("manager", "GET", URL, params={"field": "sentiment"})
    unknown = bearer.call("manager", "GET", URL, params={"field": "mood"})
    text = bearer.call("manager", "GET", URL, params={"field": "note"})
    assert (one.status_code, one.json()) == (200, whole)
    assert [(r.status_code, r.json()["code"], r.json()["message"]) for r in (unknown, text)] == [
        (422, "invalid_input", "unknown field 'mood' (fields: 'sentiment', 'note')"),
        (
            422,
            "invalid_input",
            "agreement is measured on choice, rating, pairwise, spans, boxes and segments "
            "fields; 'note' is a text field",
        ),
    ]
    walled = bearer.call("acme_lead", "GET", URL, params={"vendor": "globex"})
    assert (walled.status_code, walled.json()["message"]) == (
        403,
        "behind a vendor wall you read acme's work only",
    )
    assert bearer.call("ann1", "GET", URL).status_code == 403
    assert bearer.call("outsider", "GET", URL).status_code == 404


def test_period_and_vendor_filters(env: tuple[Bearer, Database]) -> None:
    """``since``/``until`` (ISO dates, offsets converted to UTC) and ``vendor`` give the
    service's report with those filters; the acme manager's report is acme's whatever they
    ask; bad dates, an empty period and an unknown vendor are 422s."""
    bearer, db = env
    params = {"since": "2000-01-01", "until": "2999-01-01T00:00:00+02:00", "vendor": "globex"}
    got = bearer.call("reviewer", "GET", URL, params=params)
    expected = agreement.project_agreement(
        db,
        "reviews",
        since=datetime(2000, 1, 1),
        until=datetime(2998, 12, 31, 22, 0),
        vendor="globex",
    )
    walled = bearer.call("acme_lead", "GET", URL)
    acme = agreement.project_agreement(db, "reviews", vendor="acme").to_dict()
    assert (got.status_code, got.json()) == (200, expected.to_dict())
    assert (walled.status_code, walled.json()) == (200, acme)
    assert acme["fields"]["sentiment"]["items"] == 0  # one acme annotator: nothing to compare
    refused = [
        bearer.call("reviewer", "GET", URL, params=p)
        for p in (
            {"since": "2026-02-30"},
            {"since": "2026-01-02", "until": "2026-01-01"},
            {"vendor": "initech"},
            {"vendor": "x" * 201},
        )
    ]
    assert [r.status_code for r in refused] == [422, 422, 422, 422]
    assert refused[1].json()["message"] == "since must be before until"
    assert refused[2].json()["message"] == "unknown vendor 'initech'"
