"""The gold-question routes in-process with Bearer tokens: expert answers (mark, list,
unmark), the gold report, auto-pause and pausing by hand, reinstating and requeueing; who
may do each; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.server.worlds import REVIEWS, Bearer, add_people, api_client, staff, two_projects

from labelworks.domain.gold import wilson_bounds
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {**REVIEWS, "overlap": 1}
PEOPLE = staff()
ANSWER = {"sentiment": "neg", "note": "EXPERT-NOTE"}
WHY = "EXPERT-WHY: the reviewer is being sarcastic"
URL = "/api/v1/projects/reviews"


class Env(Bearer):
    def mark(self, who: str, item_id: int, body: Any) -> httpx.Response:
        return self.call(who, "PUT", f"{URL}/items/{item_id}/gold", json=body)

    def label(self, who: str, answer: dict[int, dict[str, Any]] | None = None) -> int:
        """Lease the next task and submit ``answer[item]`` (default ``pos``); its item id
        (tasks carry no item id: item ``n`` is "review n-1")."""
        task = self.call(who, "POST", f"{URL}/next").json()
        item = int(task["item"]["payload"]["text"].removeprefix("review ")) + 1
        value = (answer or {}).get(item, {"sentiment": "pos"})
        body = {"value": value, "idempotency_key": f"{who}-{task['assignment_id']}"}
        done = self.call(
            who, "POST", f"/api/v1/assignments/{task['assignment_id']}/submit", json=body
        )
        assert done.status_code == 200, done.text
        return item


def _env(db: Database, tmp_path: Path, quality: dict[str, Any] | None = None) -> Env:
    rows = [{"text": f"review {i}"} for i in range(6)]
    two_projects(db, {**SPEC, "quality": quality or {}}, rows, other={"quality": {}})
    tokens, _ = add_people(db, PEOPLE)
    return Env(api_client(db, tmp_path), tokens)


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'reviews' (six items, no gold yet) and 'other' (one item, id 7), with an
    admin, an in-house and an acme manager, a reviewer, an acme and a globex annotator, and
    a manager of 'other' only."""
    built = _env(db, tmp_path)
    with built.client:
        yield built


@pytest.fixture
def gold_env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """The same world where every lease tries gold first and two wrong answers in two
    gold items pause an annotator (the 95% interval's top is then under 90%)."""
    built = _env(db, tmp_path, {"gold_rate": 1.0, "auto_pause": {"min_gold": 2, "below": 0.9}})
    with built.client:
        yield built


def _page(env: Env, who: str, query: str = "") -> dict[str, Any]:
    """A page of the gold list with each ``created_at`` checked to be UTC and dropped."""
    response = env.call(who, "GET", f"{URL}/gold{query}")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    for row in page["items"]:
        stamp = datetime.fromisoformat(row.pop("created_at"))
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
    return page


def _row(
    item_id: int, value: dict[str, Any], why: str = "", answered: int = 0, correct: int = 0
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "external_id": None,
        "value": value,
        "explanation": why,
        "answered": answered,
        "correct": correct,
    }


def test_mark_list_replace_and_unmark_gold(env: Env) -> None:
    """Managers and admins mark gold (a second answer replaces the first), the list pages
    through every gold item with its answer, and unmarking returns an item to work."""
    marked = [
        env.mark("manager", 1, {"value": {"sentiment": "pos"}}),
        env.mark("admin", 2, {"value": ANSWER, "explanation": WHY}),
        env.mark("manager", 4, {"value": {"sentiment": "pos"}, "explanation": "first"}),
        env.mark("manager", 4, {"value": {"sentiment": "neg"}, "explanation": "second"}),
    ]
    first = _page(env, "manager", "?limit=2")
    second = _page(env, "admin", f"?after={first['next_after']}&limit=2")
    unmarked = env.call("manager", "DELETE", f"{URL}/items/2/gold")
    again = env.call("manager", "DELETE", f"{URL}/items/2/gold")
    assert [(r.status_code, r.content) for r in (*marked, unmarked)] == [(204, b"")] * 5
    assert (again.status_code, again.json()) == (
        404,
        {"code": "not_found", "message": "item 2 is not gold"},
    )
    assert (first, second, _page(env, "manager")) == (
        {"items": [_row(1, {"sentiment": "pos"}), _row(2, ANSWER, WHY)], "next_after": 2},
        {"items": [_row(4, {"sentiment": "neg"}, "second")], "next_after": None},
        {
            "items": [_row(1, {"sentiment": "pos"}), _row(4, {"sentiment": "neg"}, "second")],
            "next_after": None,
        },
    )


def test_gold_items_leave_the_queue_and_come_back_when_unmarked(env: Env) -> None:
    """With no gold rate, nobody is served a gold item; once unmarked, it is work again."""
    for item in (1, 2, 3, 4, 5):
        assert env.mark("manager", item, {"value": {"sentiment": "pos"}}).status_code == 204
    served = env.label("ann1")
    empty = env.call("ann1", "POST", f"{URL}/next")
    assert env.call("manager", "DELETE", f"{URL}/items/3/gold").status_code == 204
    back = env.label("ann1")
    assert (served, empty.status_code, back) == (6, 204, 3)


def test_bad_expert_answers_are_refused_and_change_nothing(env: Env) -> None:
    """A label the schema lacks, an empty or missing value, an unknown key, an explanation
    over 10,000 characters, a body that is not an object, and items that are not the
    project's: each a 4xx naming the problem, and no item became gold."""
    bodies = {
        "unknown label": (1, {"value": {"sentiment": "meh"}}),
        "empty value": (1, {"value": {}}),
        "no value": (1, {"explanation": "x"}),
        "value not an object": (1, {"value": ["pos"]}),
        "extra key": (1, {"value": {"sentiment": "pos"}, "weight": 2}),
        "long explanation": (1, {"value": {"sentiment": "pos"}, "explanation": "x" * 10_001}),
        "not an object": (1, ["pos"]),
        "other project's item": (7, {"value": {"sentiment": "pos"}}),
        "no such item": (999, {"value": {"sentiment": "pos"}}),
    }
    seen = {}
    for name, (item, body) in bodies.items():
        r = env.mark("manager", item, body)
        seen[name] = (
            r.status_code,
            r.json()["code"],
            (r.json().get("location") or {}).get("field"),
        )
    assert seen == {
        "unknown label": (422, "invalid_annotation", "sentiment"),
        "empty value": (422, "invalid_input", "value"),
        "no value": (422, "invalid_input", "value"),
        "value not an object": (422, "invalid_input", "value"),
        "extra key": (422, "invalid_input", "weight"),
        "long explanation": (422, "invalid_input", "explanation"),
        "not an object": (422, "invalid_input", None),
        "other project's item": (404, "not_found", None),
        "no such item": (404, "not_found", None),
    }
    assert _page(env, "manager") == {"items": [], "next_after": None}


def test_expert_answers_are_kept_from_everyone_but_in_house_managers(env: Env) -> None:
    """A vendor's manager, a reviewer and an annotator get 403 and a manager of another
    project 404 from every expert-answer route, and no answer reaches any of them."""
    assert env.mark("manager", 1, {"value": ANSWER, "explanation": WHY}).status_code == 204
    seen = {}
    for who in ("acme_lead", "reviewer", "ann1", "outsider"):
        answers = [
            env.call(who, "GET", f"{URL}/gold"),
            env.mark(who, 1, {"value": {"sentiment": "pos"}}),
            env.mark(who, 2, {"value": {"sentiment": "pos"}}),
            env.call(who, "DELETE", f"{URL}/items/1/gold"),
        ]
        leaked = [r for r in answers if b"EXPERT" in r.content]
        seen[who] = ([r.status_code for r in answers], {r.json()["code"] for r in answers}, leaked)
    assert seen == {
        "acme_lead": ([403] * 4, {"permission_denied"}, []),
        "reviewer": ([403] * 4, {"permission_denied"}, []),
        "ann1": ([403] * 4, {"permission_denied"}, []),
        "outsider": ([404] * 4, {"not_found"}, []),
    }
    assert _page(env, "admin") == {"items": [_row(1, ANSWER, WHY)], "next_after": None}


def _share(correct: int, total: int) -> dict[str, Any]:
    low, high = wilson_bounds(correct, total)
    return {
        "correct": correct,
        "total": total,
        "accuracy": correct / total,
        "low": low,
        "high": high,
    }


NO_SHARE = {"correct": 0, "total": 0, "accuracy": None, "low": None, "high": None}


def _report(env: Env, who: str) -> tuple[int, Any]:
    response = env.call(who, "GET", f"{URL}/gold/report")
    body = response.json()
    for row in body.get("annotators", []) if response.status_code == 200 else []:
        if row["paused_at"] is not None:
            assert datetime.fromisoformat(row["paused_at"]).utcoffset() is not None
            row["paused_at"] = "<when>"
    return response.status_code, body


def test_gold_report_scores_answers_and_auto_pauses(gold_env: Env) -> None:
    """Each annotator is served both gold items first; ann1 (one right) keeps working, ann2
    (none right) is paused with the reason in the report and in their next task's 403; the
    report is whole for managers and reviewers, walled for acme's manager, and refused to
    annotators; the gold list counts each item's answers."""
    env = gold_env
    assert env.mark("manager", 1, {"value": {"sentiment": "pos"}}).status_code == 204
    assert env.mark("manager", 2, {"value": ANSWER, "explanation": WHY}).status_code == 204
    empty = _report(env, "manager")
    wrong = {1: {"sentiment": "neg"}, 2: {"sentiment": "pos", "note": "EXPERT-NOTE"}}
    ann1 = sorted(env.label("ann1") for _ in range(2))
    ann2 = sorted(env.label("ann2", wrong) for _ in range(2))
    paused = env.call("ann2", "POST", f"{URL}/next")
    working = env.call("ann1", "POST", f"{URL}/next")
    reason = (
        "paused: 0 of 2 gold answers correct (0%, 95% interval 0%–66%) is below the "
        "project's bar of 90%; a manager can reinstate you"
    )
    row1 = {
        "email": "ann1@acme.example",
        "name": "",
        "vendor": "acme",
        "overall": _share(1, 2),
        "fields": {"note": _share(0, 1), "sentiment": _share(1, 2)},
        "paused": None,
        "paused_at": None,
    }
    row2 = {
        "email": "ann2@globex.example",
        "name": "",
        "vendor": "globex",
        "overall": _share(0, 2),
        "fields": {"note": _share(1, 1), "sentiment": _share(0, 2)},
        "paused": reason,
        "paused_at": "<when>",
    }
    whole = {
        "project": "reviews",
        "gold_items": 2,
        "gold_rate": 1.0,
        "auto_pause": {"min_gold": 2, "below": 0.9},
        "annotators": [row2, row1],
    }
    assert (ann1, ann2, working.status_code) == ([1, 2], [1, 2], 200)
    assert (paused.status_code, paused.json()) == (
        403,
        {"code": "annotator_paused", "message": f"you are paused in project 'reviews': {reason}"},
    )
    assert empty == (200, {**whole, "annotators": []})
    assert {who: _report(env, who) for who in ("admin", "manager", "reviewer", "acme_lead")} == {
        "admin": (200, whole),
        "manager": (200, whole),
        "reviewer": (200, whole),
        "acme_lead": (200, {**whole, "annotators": [row1]}),
    }
    assert [_report(env, who)[0] for who in ("ann1", "outsider")] == [403, 404]
    assert _page(env, "manager")["items"] == [
        _row(1, {"sentiment": "pos"}, answered=2, correct=1),
        _row(2, ANSWER, WHY, answered=2, correct=0),
    ]


def test_pause_by_hand_then_reinstate(env: Env) -> None:
    """A paused annotator's next task is a 403 naming who paused them and why, the report
    lists them with no gold answered (accuracy and interval null, never NaN), and once
    reinstated they are served again."""
    pause = env.call(
        "manager",
        "POST",
        f"{URL}/members/ANN1@acme.example/pause",
        json={"reason": "  labels far too fast  "},
    )
    refused = env.call("ann1", "POST", f"{URL}/next")
    report = _report(env, "manager")
    other = env.call("ann2", "POST", f"{URL}/next")
    reinstated = env.call("manager", "POST", f"{URL}/members/ann1@acme.example/reinstate")
    again = env.call("manager", "POST", f"{URL}/members/ann1@acme.example/reinstate")
    served = env.call("ann1", "POST", f"{URL}/next")
    why = "paused by boss@example.com: labels far too fast"
    assert [(r.status_code, r.content) for r in (pause, reinstated)] == [(204, b"")] * 2
    assert (refused.status_code, refused.json()) == (
        403,
        {"code": "annotator_paused", "message": f"you are paused in project 'reviews': {why}"},
    )
    assert report[1]["annotators"] == [
        {
            "email": "ann1@acme.example",
            "name": "",
            "vendor": "acme",
            "overall": NO_SHARE,
            "fields": {},
            "paused": why,
            "paused_at": "<when>",
        }
    ]
    assert (other.status_code, served.status_code, again.status_code, again.json()) == (
        200,
        200,
        404,
        {
            "code": "not_found",
            "message": "user 'ann1@acme.example' is not paused in project 'reviews'",
        },
    )


def test_pause_and_reinstate_refusals(env: Env) -> None:
    """Bad reasons are 422; people who are not members, nobody, or behind another vendor's
    wall are 404; reviewers and annotators get 403; acme's manager may pause acme's own."""
    pause = f"{URL}/members/{{}}/pause"
    calls = {
        "empty reason": ("manager", "ann1@acme.example", {"reason": ""}),
        "blank reason": ("manager", "ann1@acme.example", {"reason": "   "}),
        "long reason": ("manager", "ann1@acme.example", {"reason": "x" * 2001}),
        "no reason": ("manager", "ann1@acme.example", {}),
        "extra key": ("manager", "ann1@acme.example", {"reason": "x", "until": "monday"}),
        "not a member": ("manager", "out@example.com", {"reason": "x"}),
        "nobody": ("manager", "nobody@example.com", {"reason": "x"}),
        "other vendor": ("acme_lead", "ann2@globex.example", {"reason": "x"}),
        "reviewer": ("reviewer", "ann1@acme.example", {"reason": "x"}),
        "annotator": ("ann2", "ann1@acme.example", {"reason": "x"}),
        "outsider": ("outsider", "ann1@acme.example", {"reason": "x"}),
        "own vendor": ("acme_lead", "ann1@acme.example", {"reason": "x"}),
    }
    seen = {}
    for name, (who, email, body) in calls.items():
        r = env.call(who, "POST", pause.format(email), json=body)
        seen[name] = (r.status_code, r.json()["code"] if r.content else None)
    reinstate = {
        who: env.call(who, "POST", f"{URL}/members/ann1@acme.example/reinstate").status_code
        for who in ("reviewer", "ann1", "outsider", "acme_lead")
    }
    assert seen == {
        "empty reason": (422, "invalid_input"),
        "blank reason": (422, "invalid_input"),
        "long reason": (422, "invalid_input"),
        "no reason": (422, "invalid_input"),
        "extra key": (422, "invalid_input"),
        "not a member": (404, "not_found"),
        "nobody": (404, "not_found"),
        "other vendor": (404, "not_found"),
        "reviewer": (403, "permission_denied"),
        "annotator": (403, "permission_denied"),
        "outsider": (404, "not_found"),
        "own vendor": (204, None),
    }
    assert reinstate == {"reviewer": 403, "ann1": 403, "outsider": 404, "acme_lead": 204}


def _statuses(env: Env) -> dict[int, str]:
    rows = env.call("manager", "GET", f"{URL}/items").json()["items"]
    return {r["id"]: r["status"] for r in rows}


def test_requeue_sends_work_back_to_the_queue(env: Env) -> None:
    """Requeueing counts the annotations sent back, their items are new again and served
    to someone else (never to the same person), and a second requeue finds nothing."""
    done = sorted(env.label("ann1") for _ in range(2))
    before = _statuses(env)
    requeued = env.call(
        "manager",
        "POST",
        f"{URL}/members/ann1@acme.example/requeue",
        json={"reason": "failed the audit"},
    )
    after = _statuses(env)
    redone = sorted(env.label("ann2") for _ in range(2))
    again = env.call("admin", "POST", f"{URL}/members/ann1@acme.example/requeue")
    mine = env.label("ann1")
    assert (done, requeued.status_code, requeued.json()) == ([1, 2], 200, {"requeued": 2})
    assert (before, after) == (
        {1: "complete", 2: "complete", 3: "new", 4: "new", 5: "new", 6: "new"},
        dict.fromkeys(range(1, 7), "new"),
    )
    assert (redone, mine, again.status_code, again.json()) == ([1, 2], 3, 200, {"requeued": 0})


def test_requeue_refusals(env: Env) -> None:
    """Reviewers and annotators get 403, other projects' managers and another vendor's
    manager 404, a reason over 2,000 characters or an unknown key 422; nothing moved."""
    env.label("ann2")
    url = f"{URL}/members/ann2@globex.example/requeue"
    seen = {
        "reviewer": env.call("reviewer", "POST", url, json={}),
        "annotator": env.call("ann1", "POST", url),
        "outsider": env.call("outsider", "POST", url),
        "other vendor": env.call("acme_lead", "POST", url),
        "long reason": env.call("manager", "POST", url, json={"reason": "x" * 2001}),
        "extra key": env.call("manager", "POST", url, json={"why": "x"}),
        "nobody": env.call("manager", "POST", f"{URL}/members/nobody@example.com/requeue"),
    }
    assert {k: (r.status_code, r.json()["code"]) for k, r in seen.items()} == {
        "reviewer": (403, "permission_denied"),
        "annotator": (403, "permission_denied"),
        "outsider": (404, "not_found"),
        "other vendor": (404, "not_found"),
        "long reason": (422, "invalid_input"),
        "extra key": (422, "invalid_input"),
        "nobody": (404, "not_found"),
    }
    assert _statuses(env)[1] == "complete"
