"""The lot routes in-process with Bearer tokens: creating a lot (its exact plan and drawn
sample), listing it, its view with the sample, auditors' verdicts accepting or rejecting
it, refused bodies (extra keys, NaN, no selection, rates no plan meets), and who may do
each: managers create, reviewers audit, annotators and vendors' staff are refused; on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, add_people, api_client, staff, two_projects

from labelworks.services import assignment
from labelworks.stats.acceptance import sampling_plan
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "lots",
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
}
PEOPLE = staff("lots", manages_other=True, acme_reviewer=True)
ITEMS = 30
URL = "/api/v1/projects/lots/lots"
LOT = {"name": "batch 1", "aql": 0.02, "ltpd": 0.2, "import_id": 1, "seed": 1}


@dataclass
class Env(Bearer):
    db: Database

    def ok(self, who: str, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    def lot(self, **changes: Any) -> dict[str, Any]:
        return dict(self.ok("manager", "POST", URL, 201, json={**LOT, **changes}))


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'lots' (30 items of one import, labelled in turn by an acme and a globex
    annotator) and 'other', with an admin, an in-house and an acme manager, an in-house and
    an acme reviewer, and a manager of 'other' only."""
    two_projects(db, SPEC, [{"text": f"review {i} <b>"} for i in range(ITEMS)], other_rows=0)
    tokens, ids = add_people(db, PEOPLE)
    for k in range(ITEMS):
        uid = ids["ann1" if k % 2 == 0 else "ann2"]
        task = assignment.next_task_for(db, "lots", uid)
        assert task is not None
        assignment.submit_annotation(
            db, task.assignment_id, uid, value={"sentiment": "pos"}, seconds=1.0,
            idempotency_key=f"k{k}",
        )  # fmt: skip
    with api_client(db, tmp_path) as client:
        yield Env(client, tokens, db)


def test_a_manager_creates_a_lot_with_the_exact_plan(env: Env) -> None:
    """The plan is the stats core's for the lot's size; the list and the view show it, the
    view with the drawn sample, each with its item's content and no verdict yet."""
    lot = env.lot()
    plan = sampling_plan(ITEMS, 0.02, 0.2)
    assert (lot["name"], lot["size"], lot["status"], lot["decision"]) == (
        "batch 1",
        ITEMS,
        "auditing",
        None,
    )
    assert (lot["plan"]["sample_size"], lot["plan"]["acceptance_number"]) == (
        plan.sample_size,
        plan.acceptance_number,
    )
    assert lot["selector"]["import_id"] == 1 and lot["created_at"].endswith("Z")
    assert [x["id"] for x in env.ok("reviewer", "GET", URL)] == [lot["id"]]
    view = env.ok("reviewer", "GET", f"{URL}/{lot['id']}")
    assert (view["summary"], view["audited"], view["defects"]) == (plan.summary, 0, 0)
    assert len(view["samples"]) == plan.sample_size
    first = view["samples"][0]
    assert first["payload"]["text"].startswith("review ") and first["value"] == {"sentiment": "pos"}
    assert (first["verdict"], first["note"]) == (None, "")


def test_the_same_seed_draws_the_same_sample(env: Env) -> None:
    one, two = env.lot(name="a"), env.lot(name="b")
    samples = [
        [s["annotation_id"] for s in env.ok("manager", "GET", f"{URL}/{x['id']}")["samples"]]
        for x in (one, two)
    ]
    assert samples[0] == samples[1]


def test_auditing_every_sample_ok_accepts_the_lot(env: Env) -> None:
    """Each verdict returns the lot; the last one accepts it with the evidence, and a
    verdict after that is a 409."""
    lot = env.lot()
    samples = env.ok("reviewer", "GET", f"{URL}/{lot['id']}")["samples"]
    statuses = []
    for s in samples:
        done = env.ok(
            "reviewer",
            "POST",
            f"{URL}/{lot['id']}/samples/{s['annotation_id']}",
            json={"defect": False, "note": "fine"},
        )
        statuses.append(done["status"])
    assert statuses == ["auditing"] * (len(samples) - 1) + ["accepted"]
    decision = done["decision"]
    assert (decision["accepted"], decision["defects"]) == (True, 0)
    assert {"summary", "plan", "rate_upper_bound"} <= set(decision)
    assert done["decided_at"] is not None
    view = env.ok("reviewer", "GET", f"{URL}/{lot['id']}")
    assert (view["audited"], {s["note"] for s in view["samples"]}) == (len(samples), {"fine"})
    again = env.call(
        "reviewer",
        "POST",
        f"{URL}/{lot['id']}/samples/{samples[0]['annotation_id']}",
        json={"defect": True},
    )
    assert again.status_code == 409, again.text


def test_defects_reject_the_lot_and_set_its_work_aside(env: Env) -> None:
    lot = env.lot()
    samples = env.ok("admin", "GET", f"{URL}/{lot['id']}")["samples"]
    for s in samples:
        done = env.ok(
            "admin",
            "POST",
            f"{URL}/{lot['id']}/samples/{s['annotation_id']}",
            json={"defect": True},
        )
    assert done["status"] == "rejected" and done["decision"]["accepted"] is False
    view = env.ok("admin", "GET", f"{URL}/{lot['id']}")
    assert view["defects"] == len(samples)
    assert {s["value"] for s in view["samples"] if s["value"] is not None} == set()


def test_a_date_range_and_a_vendor_select_lots(env: Env) -> None:
    """``since``/``until`` with an offset and ``vendor`` select; globex's half is 15."""
    everything = env.lot(import_id=None, since="2000-01-01T01:00:00+01:00", until=None)
    globex = env.lot(import_id=None, vendor="globex")
    assert (everything["size"], globex["size"]) == (ITEMS, ITEMS // 2)
    assert everything["selector"]["since"].startswith("2000-01-01")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LOT, "extra": 1}, "extra"),
        ({**LOT, "aql": 2}, "aql"),
        ({**LOT, "name": ""}, "name"),
        ({"name": "x", "aql": 0.01}, "ltpd"),
        ({**LOT, "name": "a\u0000b"}, "name"),
        ({**LOT, "vendor": "\u0000"}, "vendor"),
        ({**LOT, "since": "0001-01-01T00:00:00+01:00"}, "since"),
    ],
)
def test_bad_bodies_are_refused_by_field(env: Env, body: dict[str, Any], field: str) -> None:
    response = env.call("manager", "POST", URL, json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert env.ok("manager", "GET", URL) == []


def test_nan_and_impossible_lots_are_refused(env: Env) -> None:
    """NaN is not JSON; no selection, an empty one and an LTPD below the AQL are 422s."""
    nan = b'{"name": "x", "aql": NaN, "ltpd": 0.2, "import_id": 1}'
    response = env.call("manager", "POST", URL, content=nan)
    assert response.status_code == 422, response.text
    messages = []
    for changes in (
        {"import_id": None},
        {"import_id": None, "vendor": "nobody"},
        {"aql": 0.3, "ltpd": 0.2},
    ):
        bad = env.call("manager", "POST", URL, json={**LOT, **changes})
        assert bad.status_code == 422, bad.text
        messages.append(bad.json()["message"])
    assert messages == [
        "say which annotations form the lot: an import, a vendor or dates (since, until)",
        "no annotations match that lot",
        "ltpd must exceed aql, got aql=0.3 and ltpd=0.2",
    ]
    assert env.ok("manager", "GET", URL) == []


def test_missing_lots_and_samples_are_404(env: Env) -> None:
    lot = env.lot()
    sampled = {
        s["annotation_id"] for s in env.ok("manager", "GET", f"{URL}/{lot['id']}")["samples"]
    }
    outside = next(i for i in range(1, ITEMS + 1) if i not in sampled)
    for method, url, body in (
        ("GET", f"{URL}/999", None),
        ("POST", f"{URL}/999/samples/1", {"defect": False}),
        ("POST", f"{URL}/{lot['id']}/samples/{outside}", {"defect": False}),
    ):
        response = env.call("manager", method, url, json=body)
        assert response.status_code == 404, (url, response.text)
    bad = env.call("manager", "POST", f"{URL}/{lot['id']}/samples/1", json={"defect": "x"})
    assert bad.status_code == 422
    nul = env.call(
        "manager", "POST", f"{URL}/{lot['id']}/samples/1", json={"defect": True, "note": "\u0000"}
    )
    assert nul.status_code == 422 and "note" in nul.text


def test_who_may_do_what(env: Env) -> None:
    """Annotators and non-members are refused everything; reviewers list, view and audit
    but may not create; vendors' staff (even a vendor's manager) may not make, see or
    audit a lot, which mixes every vendor's work."""
    lot = env.lot()
    sample = env.ok("manager", "GET", f"{URL}/{lot['id']}")["samples"][0]["annotation_id"]
    routes = {
        "list": ("GET", URL, None),
        "create": ("POST", URL, LOT),
        "view": ("GET", f"{URL}/{lot['id']}", None),
        "audit": ("POST", f"{URL}/{lot['id']}/samples/{sample}", {"defect": False}),
    }
    seen = {
        (who, name): env.call(who, method, url, json=body).status_code
        for who in ("reviewer", "acme_rev", "acme_lead", "ann1", "ann2", "outsider")
        for name, (method, url, body) in routes.items()
    }
    expected = {
        **{("reviewer", n): 200 for n in ("list", "view", "audit")},
        ("reviewer", "create"): 403,
        **{("acme_rev", n): 403 for n in routes},
        **{("acme_lead", n): 403 for n in routes},
        **{(a, n): 403 for a in ("ann1", "ann2") for n in routes},
        **{("outsider", n): 404 for n in routes},
    }
    assert seen == expected
