"""Escalation over HTTP with Bearer tokens: flags on the submit and skip bodies, the queue,
resolving (with and without gold), the edge-case library and its search, and who may do
each; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import REVIEWS, Bearer, add_people, api_client, staff, two_projects

from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {**REVIEWS, "overlap": 2}
PEOPLE = staff()
URL = "/api/v1/projects/reviews"
SARCASM = {"kind": "ambiguous", "comment": "Sarcastic? 'Great, it broke on day two.'"}
WELSH = {"kind": "edge_case", "comment": "Written in Welsh."}


class Env(Bearer):
    def lease(self, who: str) -> tuple[int, str]:
        """The caller's next assignment id and its item's text."""
        task = self.call(who, "POST", f"{URL}/next").json()
        return task["assignment_id"], task["item"]["payload"]["text"]

    def work(self, who: str, action: str, body: dict[str, Any]) -> tuple[int, str, int]:
        """Lease, then submit or skip with ``body``; (assignment, item text, status)."""
        assignment, text = self.lease(who)
        url = f"/api/v1/assignments/{assignment}/{action}"
        return assignment, text, self.call(who, "POST", url, json=body).status_code

    def queue(self, who: str, status: str = "open") -> list[dict[str, Any]]:
        answer = self.call(who, "GET", f"{URL}/escalations", params={"status": status})
        assert answer.status_code == 200, answer.text
        rows: list[dict[str, Any]] = answer.json()["items"]
        for row in rows:
            assert datetime.fromisoformat(row.pop("created_at")).utcoffset() is not None
            resolved = row.pop("resolved_at")
            assert resolved is None or datetime.fromisoformat(resolved).utcoffset() is not None
        return rows


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'reviews' (texts "review 0".."review 5", overlap 2) and 'other', with an
    admin, an in-house and an acme manager, a reviewer, an acme and a globex annotator, and
    a manager of 'other' only."""
    two_projects(db, SPEC, [{"text": f"review {i}"} for i in range(6)])
    tokens, _ = add_people(db, PEOPLE)
    with api_client(db, tmp_path) as client:
        yield Env(client, tokens)


def _flag_two(env: Env) -> list[int]:
    """ann1 submits item 1 with SARCASM, ann2 skips item 1 with WELSH; the two ids."""
    submit = {"value": {"sentiment": "neg"}, "idempotency_key": "k1", "flag": SARCASM}
    assert env.work("ann1", "submit", submit)[2] == 200
    assert env.work("ann2", "skip", {"flag": WELSH})[2] == 204
    return [row["id"] for row in env.queue("manager")]


def test_flags_ride_on_submits_and_skips(env: Env) -> None:
    """A submit and a skip carrying a flag each open one escalation, listed oldest first
    with the item, the kind, the comment and who flagged it (vendor included)."""
    submit = {"value": {"sentiment": "neg"}, "idempotency_key": "k1", "flag": SARCASM}
    done = [env.work("ann1", "submit", submit), env.work("ann2", "skip", {"flag": WELSH})]
    open_ = {"status": "open", "answer": None, "note": "", "guideline_section": None}
    unresolved = {**open_, "made_gold": False, "resolved_by": None, "url": None}
    assert [status for _, _, status in done] == [200, 204]
    assert env.queue("manager") == [
        {
            "id": 1,
            "item_id": 1,
            "external_id": None,
            "payload": {"text": "review 0"},
            **SARCASM,
            "annotation": {"sentiment": "neg"},
            "flagged_by": "ann1@acme.example",
            "flagged_by_name": "",
            "vendor": "acme",
            **unresolved,
        },
        {
            "id": 2,
            "item_id": 1,
            "external_id": None,
            "payload": {"text": "review 0"},
            **WELSH,
            "annotation": None,
            "flagged_by": "ann2@globex.example",
            "flagged_by_name": "",
            "vendor": "globex",
            **unresolved,
        },
    ]


def test_bad_flags_are_refused_and_change_nothing(env: Env) -> None:
    """A flag of an unknown kind, with a blank, missing or over-long comment, or with an
    unknown key is a 422 naming what is wrong; the lease stays, nothing is flagged."""
    assignment, _ = env.lease("ann1")
    flags = {
        "kind": {"kind": "weird", "comment": "x"},
        "blank": {"kind": "ambiguous", "comment": "   "},
        "missing": {"kind": "ambiguous"},
        "long": {"kind": "edge_case", "comment": "x" * 2001},
        "extra": {**SARCASM, "severity": 3},
    }
    seen = {}
    for name, flag in flags.items():
        answer = env.call(
            "ann1", "POST", f"/api/v1/assignments/{assignment}/skip", json={"flag": flag}
        )
        seen[name] = (answer.status_code, answer.json()["message"])
    body = "request body"
    assert seen == {
        "kind": (422, f"{body}, field 'flag.kind': Input should be 'ambiguous' or 'edge_case'"),
        "blank": (422, "flag.comment must be 1 to 2000 characters"),
        "missing": (422, f"{body}, field 'flag.comment': Field required"),
        "long": (
            422,
            f"{body}, field 'flag.comment': String should have at most 2000 characters",
        ),
        "extra": (422, f"{body}, field 'flag.severity': Extra inputs are not permitted"),
    }
    assert (env.lease("ann1")[0], env.queue("manager")) == (assignment, [])


def test_resolving_fills_the_library(env: Env) -> None:
    """A reviewer resolves with an answer, a note and a section (the case comes back with
    its library URL); a bad answer is a 422 and a second resolution a 409; the library
    lists the case and finds it by any of its texts; the queue keeps the other one."""
    first, second = _flag_two(env)
    resolve = f"{URL}/escalations/{first}/resolve"
    note = "Sarcasm about a defect is negative."
    bad = env.call("reviewer", "POST", resolve, json={"note": "x", "answer": {"sentiment": "meh"}})
    body = {"note": note, "answer": {"sentiment": "neg"}, "guideline_section": "3.2 Sarcasm"}
    done = env.call("reviewer", "POST", resolve, json=body)
    again = env.call("reviewer", "POST", resolve, json={"note": "again"})
    resolved = done.json()
    assert datetime.fromisoformat(resolved.pop("resolved_at")).utcoffset() is not None
    del resolved["created_at"]
    library = f"{URL}/edge-cases"
    searches = {
        q: [c["id"] for c in env.call("reviewer", "GET", library, params={"q": q}).json()["items"]]
        for q in ("SARCASM", "3.2", "review 0", "welsh")
    }
    assert (bad.status_code, bad.json()["code"], again.status_code, again.json()["code"]) == (
        422,
        "invalid_annotation",
        409,
        "conflict",
    )
    assert resolved == {
        "id": first,
        "item_id": 1,
        "external_id": None,
        "payload": {"text": "review 0"},
        **SARCASM,
        "annotation": {"sentiment": "neg"},
        "flagged_by": "ann1@acme.example",
        "flagged_by_name": "",
        "vendor": "acme",
        "status": "resolved",
        "answer": {"sentiment": "neg"},
        "note": note,
        "guideline_section": "3.2 Sarcasm",
        "made_gold": False,
        "resolved_by": "rev@example.com",
        "url": f"/projects/reviews/edge-cases#case-{first}",
    }
    assert searches == {"SARCASM": [first], "3.2": [first], "review 0": [first], "welsh": []}
    assert [r["id"] for r in env.queue("reviewer")] == [second]
    assert [r["id"] for r in env.queue("reviewer", "resolved")] == [first]
    assert [r["id"] for r in env.queue("reviewer", "all")] == [first, second]


def test_making_it_gold(env: Env) -> None:
    """``make_gold`` from a reviewer is a 403 and changes nothing; from a manager it makes
    the item gold with the answer and the note as its explanation."""
    first, _ = _flag_two(env)
    resolve = f"{URL}/escalations/{first}/resolve"
    body = {"note": "Negative.", "answer": {"sentiment": "neg"}, "make_gold": True}
    refused = env.call("reviewer", "POST", resolve, json=body)
    done = env.call("manager", "POST", resolve, json=body)
    gold = env.call("manager", "GET", f"{URL}/gold").json()["items"]
    assert (refused.status_code, done.status_code, done.json()["made_gold"]) == (403, 200, True)
    assert [(g["item_id"], g["value"], g["explanation"]) for g in gold] == [
        (1, {"sentiment": "neg"}, "Negative.")
    ]


def test_who_may_work_the_queue(env: Env) -> None:
    """Annotators and a vendor's manager get 403 on the queue, resolving and the library,
    a manager of another project 404, and nobody anonymous gets in; bad paging is a 422."""
    (first, _) = _flag_two(env)
    routes = {
        "queue": ("GET", f"{URL}/escalations", None),
        "resolve": ("POST", f"{URL}/escalations/{first}/resolve", {"note": "n"}),
        "library": ("GET", f"{URL}/edge-cases", None),
    }
    seen = {
        (who, name): env.call(who, method, url, json=body).status_code
        for who in ("ann1", "ann2", "acme_lead", "outsider")
        for name, (method, url, body) in routes.items()
    }
    anonymous = env.client.get(f"{URL}/escalations").status_code
    bad = [
        env.call("manager", "GET", f"{URL}/escalations", params=params).status_code
        for params in ({"status": "closed"}, {"limit": 0}, {"limit": 201}, {"after": -1})
    ]
    expected = {(who, name): 403 for who in ("ann1", "ann2", "acme_lead") for name in routes}
    expected |= {("outsider", name): 404 for name in routes}
    assert (seen, anonymous, bad) == (expected, 401, [422, 422, 422, 422])
    assert [r["status"] for r in env.queue("manager")] == ["open", "open"]
