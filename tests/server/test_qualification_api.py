"""The qualification routes in-process with Bearer tokens: each member's standing (blocked
first, vendor walls, no expert answers), letting a blocked member try again, who may do
each, and a training project's trainees; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.qualification_world import SPEC, WHY, QualWorld, build, qualification_world

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.storage.engine import Database

URL = "/api/v1/projects/qual"


@dataclass
class Env:
    world: QualWorld
    client: TestClient

    def call(self, who: str, method: str, url: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.world.tokens[who]}"}
        return self.client.request(method, url, headers=headers)

    def report(self, who: str) -> dict[str, Any]:
        response = self.call(who, "GET", f"{URL}/qualification")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """The qualification world behind the app."""
    world = qualification_world(db)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(world, client)


def member(
    email: str,
    name: str,
    role: str,
    vendor: str | None,
    state: str,
    **counts: Any,
) -> dict[str, Any]:
    """A member's row: nothing answered, nothing served, unless ``counts`` says otherwise."""
    return {
        "email": email,
        "name": name,
        "role": role,
        "vendor": vendor,
        "state": state,
        "qualified_at": None,
        "failed_attempts": 0,
        "attempt": 1 if state in ("not_started", "testing") else None,
        "answered": 0,
        "correct": 0,
        "questions_left": 6,
        "gold_answered": 0,
        "gold_correct": 0,
        **counts,
    }


FAY = member(
    "fay@globex.example",
    "Fay Fail",
    "annotator",
    "globex",
    "blocked",
    failed_attempts=2,
    questions_left=2,
    gold_answered=4,
    gold_correct=1,
)
MO = member(
    "mo@example.com",
    "Mo Midway",
    "annotator",
    None,
    "testing",
    answered=1,
    correct=1,
    questions_left=5,
    gold_answered=1,
    gold_correct=1,
)
BOSS = member("boss@example.com", "Bo Boss", "manager", None, "not_started")
LEAD = member("lead@acme.example", "", "manager", "acme", "not_started")
NEO = member("neo@example.com", "Neo New", "annotator", None, "not_started")
REV = member("rev@example.com", "", "reviewer", None, "not_started")
PAT = member(
    "pat@acme.example",
    "Pat Pass",
    "annotator",
    "acme",
    "qualified",
    qualified_at="2026-01-01T12:00:04Z",
    answered=2,
    correct=2,
    questions_left=4,
    gold_answered=2,
    gold_correct=2,
)
RULE = {"items": 2, "pass": 1.0, "retries": 1}


def test_report_lists_every_member_blocked_first(env: Env) -> None:
    """A manager gets the rule and every member's standing: the blocked one first, then
    the one mid-test, those not started, and the one who passed (with when); the test's
    own notes counted the attempts; no expert explanation is in the answer."""
    response = env.call("manager", "GET", f"{URL}/qualification")
    assert response.json() == {
        "project": "qual",
        "rule": RULE,
        "training": False,
        "gold_items": 6,
        "members": [FAY, MO, BOSS, LEAD, NEO, REV, PAT],
    }
    assert (WHY in response.text, env.world.notes["fay"]) == (
        False,
        [
            "qualification test, attempt 1 of 2: question 1 of 2",
            "qualification test, attempt 1 of 2: question 2 of 2",
            "qualification test, attempt 2 of 2: question 1 of 2",
            "qualification test, attempt 2 of 2: question 2 of 2",
        ],
    )


def test_who_may_read_the_report(env: Env) -> None:
    """Reviewers and admins read it whole, a vendor's manager only their vendor's people;
    annotators are refused (403)."""
    lead = env.report("acme_lead")
    refused = env.call("pat", "GET", f"{URL}/qualification")
    assert (
        env.report("reviewer")["members"],
        env.report("admin")["members"],
        lead["members"],
        (refused.status_code, refused.json()["code"]),
    ) == (
        [FAY, MO, BOSS, LEAD, NEO, REV, PAT],
        [FAY, MO, BOSS, LEAD, NEO, REV, PAT],
        [LEAD, PAT],
        (403, "permission_denied"),
    )


def test_retry_gives_a_blocked_member_a_fresh_attempt(env: Env) -> None:
    """After a manager's retry the blocked member is on attempt 1 again and is served a
    fresh test question; before it, their next task is refused with the reason."""
    url = f"{URL}/members/fay@globex.example/qualification/retry"
    before = env.call("fay", "POST", f"{URL}/next")
    done = env.call("manager", "POST", url)
    after = env.call("fay", "POST", f"{URL}/next")
    fay = next(m for m in env.report("manager")["members"] if m["email"] == FAY["email"])
    assert (before.status_code, before.json()) == (
        403,
        {
            "code": "not_qualified",
            "message": "project 'qual': you did not pass the qualification test (2 attempts, "
            "at least 100% of 2 answers needed); ask a manager to let you try again",
        },
    )
    assert (done.status_code, done.content, after.status_code) == (204, b"", 200)
    assert (after.json()["progress"]["note"], after.json()["item"]["payload"]["text"][:9]) == (
        "qualification test, attempt 1 of 2: question 1 of 2",
        "question ",
    )
    assert fay == {**FAY, "state": "not_started", "failed_attempts": 0, "attempt": 1,
                   "questions_left": 1}  # fmt: skip


def test_retry_is_refused_where_it_must_be(env: Env) -> None:
    """Annotators and reviewers may not (403); a vendor's manager cannot reach another
    vendor's people (404), nor can anyone reach strangers; a member who passed has
    nothing to retry (404); the blocked member stays blocked throughout."""
    base = f"{URL}/members"
    attempts = {
        "annotator": ("mo", f"{base}/fay@globex.example/qualification/retry"),
        "reviewer": ("reviewer", f"{base}/fay@globex.example/qualification/retry"),
        "other vendor": ("acme_lead", f"{base}/fay@globex.example/qualification/retry"),
        "stranger": ("manager", f"{base}/nobody@example.com/qualification/retry"),
        "passed": ("manager", f"{base}/pat@acme.example/qualification/retry"),
    }
    seen = {}
    for name, (who, url) in attempts.items():
        r = env.call(who, "POST", url)
        seen[name] = (r.status_code, r.json()["code"], r.json()["message"])
    fay = next(m for m in env.report("manager")["members"] if m["email"] == FAY["email"])
    assert seen == {
        "annotator": (403, "permission_denied", "an annotator may not manage project 'qual'"),
        "reviewer": (403, "permission_denied", "a reviewer may not manage project 'qual'"),
        "other vendor": (404, "not_found", "user 'fay@globex.example' does not exist"),
        "stranger": (404, "not_found", "user 'nobody@example.com' does not exist"),
        "passed": (
            404,
            "not_found",
            "user 'pat@acme.example' has already qualified in project 'qual'",
        ),
    }
    assert fay == FAY


def test_a_training_projects_trainees(db: Database, tmp_path: Path) -> None:
    """In a training project everyone is a trainee: the report counts each one's answers
    and right answers and the questions they have not had yet, with no rule."""
    world = build(db, {**SPEC, "name": "drill", "quality": {"training": True}})
    world.answer("pat", ["pos", "neg", "pos"], project="drill")
    world.answer("mo", ["neg"], project="drill")
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {world.tokens['manager']}"}
        body = client.get("/api/v1/projects/drill/qualification", headers=headers).json()
    training = {"state": "training", "attempt": None}
    assert body == {
        "project": "drill",
        "rule": None,
        "training": True,
        "gold_items": 6,
        "members": [
            {**BOSS, **training},
            {**FAY, **training, "failed_attempts": 0, "questions_left": 6, "gold_answered": 0,
             "gold_correct": 0},
            {**LEAD, **training},
            {**MO, **training, "answered": 0, "correct": 0, "gold_correct": 0},
            {**NEO, **training},
            {**PAT, **training, "qualified_at": None, "answered": 0, "correct": 0,
             "questions_left": 3, "gold_answered": 3},
            {**REV, **training},
        ],
    }  # fmt: skip
