"""The coaching routes in-process with Bearer tokens: a manager reads a person's page and
adds notes, an annotator reads only their own page (with the team's medians and nobody
else's name), a vendor's manager gets 404 for another vendor's person exactly as for an
unknown address, and bad note bodies are refused with the field named, changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, api_client
from tests.services.coaching_world import (
    ANN,
    BEN,
    BOSS,
    CY,
    GIL,
    LEAD,
    PROJECT,
    REV,
    CoachingWorld,
    build,
)

from labelworks.domain.period import week_of
from labelworks.storage.engine import Database, utcnow

BASE = f"/api/v1/projects/{PROJECT}"


def page_url(email: str) -> str:
    return f"{BASE}/people/{email}/coaching"


def notes_url(email: str) -> str:
    return f"{BASE}/people/{email}/notes"


@dataclass
class Env(Bearer):
    world: CoachingWorld

    def json(self, who: str, method: str, url: str, status: int, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    world = build(db, utcnow().date(), tokens=True)
    with api_client(db, tmp_path) as client:
        yield Env(client, world.tokens, world)


def test_a_manager_reads_the_page_with_mistakes_trend_and_headline(env: Env) -> None:
    """The in-house manager's answer: Ann's wrong gold answers with the expert's answers
    and sections, her review mistakes, two weeks of trend against acme's medians, and the
    headline shares with their intervals; times say they are UTC."""
    body = env.json(LEAD, "GET", page_url(ANN), 200)
    weeks = [week_of(d) for d in env.world.weeks]
    assert (body["email"], body["vendor"], body["team_vendor"], body["own"]) == (
        ANN,
        "acme",
        "acme",
        False,
    )
    assert [
        (m["kind"], m["summary"], m["value"], m["expert"], m["guideline"]["section"])
        for m in [*body["gold_mistakes"], *body["review_mistakes"]]
    ] == [
        ("gold", "Great food, rude staff", {"sentiment": "positive"}, {"sentiment": "neutral"},
         "Mixed feelings"),
        ("gold", "What a lovely day, my car broke down", {"sentiment": "positive"},
         {"sentiment": "negative"}, "Sarcasm"),
        ("review", "ordinary review 1", {"sentiment": "positive"}, None, "Mixed feelings"),
        ("review", "ordinary review 0", {"sentiment": "positive"}, None, "Sarcasm"),
    ]  # fmt: skip
    assert [
        (w["week"], w["gold_correct"], w["gold_answered"], w["team_gold_people"],
         w["median_seconds"], w["team_median_seconds"])
        for w in body["trend"]
    ] == [(weeks[0], 1, 3, 3, 6.0, 6.0), (weeks[1], 0, 0, 0, 40.0, 40.0)]  # fmt: skip
    gold, acceptance = body["headline"]["gold"], body["headline"]["acceptance"]
    assert (gold["correct"], gold["total"], round(gold["low"], 4), round(gold["high"], 4)) == (
        1,
        3,
        0.0615,
        0.7923,
    )
    assert (acceptance["correct"], acceptance["total"], body["headline"]["annotations"]) == (
        0,
        2,
        5,
    )
    assert body["review_mistakes"][0]["at"].endswith("Z")
    assert (body["may_add_note"], body["expert_answers_shown"]) == (True, True)


def test_an_annotator_reads_only_their_own_page(env: Env) -> None:
    """Ann's /me page is her page without the expert's answers or guideline links; it
    names nobody else; anyone else's page is 403 whether they exist or not, for her and
    for a reviewer."""
    own = env.call(ANN, "GET", f"{BASE}/me/coaching")
    same = env.json(ANN, "GET", page_url(ANN), 200)
    refused = {
        (who, email): (r.status_code, r.json()["code"])
        for who, email in ((ANN, BEN), (ANN, "nobody@example.com"), (REV, ANN))
        if (r := env.call(who, "GET", page_url(email)))
    }
    mistakes = own.json()["gold_mistakes"]
    assert (own.status_code, own.json()) == (200, same)
    assert [(m["expert"], m["explanation"], m["guideline"]["url"]) for m in mistakes] == [
        (None, None, None)
    ] * 2
    assert [e for e in (BEN, CY, GIL, BOSS, LEAD, REV) if e in own.text] == []
    assert refused == {
        (ANN, BEN): (403, "permission_denied"),
        (ANN, "nobody@example.com"): (403, "permission_denied"),
        (REV, ANN): (403, "permission_denied"),
    }


def test_a_vendor_manager_gets_404_for_another_vendors_person(env: Env) -> None:
    """Acme's manager reads Ann's page without expert answers; Gil (globex) is a 404
    worded as for an unknown address, to read and to write about."""
    ann = env.json(BOSS, "GET", page_url(ANN), 200)
    answers = {
        email: [
            env.call(BOSS, "GET", page_url(email)),
            env.call(BOSS, "POST", notes_url(email), json={"body": "hi"}),
        ]
        for email in (GIL, "nobody@example.com")
    }
    assert [(m["expert"], m["explanation"]) for m in ann["gold_mistakes"]] == [(None, None)] * 2
    assert {
        email: [(r.status_code, r.json()["message"]) for r in found]
        for email, found in answers.items()
    } == {
        GIL: [(404, f"user '{GIL}' does not exist")] * 2,
        "nobody@example.com": [(404, "user 'nobody@example.com' does not exist")] * 2,
    }
    assert env.json(LEAD, "GET", page_url(GIL), 200)["notes"] == []


def test_notes_are_added_by_managers_and_bad_bodies_change_nothing(env: Env) -> None:
    """A manager's note comes back trimmed with its author (201) and heads the log;
    missing, empty, blank, too long, extra-keyed and non-JSON bodies are 422 naming the
    problem; an annotator is 403 before their body is read; the log holds one note."""
    added = env.json(LEAD, "POST", notes_url(ANN), 201, json={"body": "  Read Sarcasm.  "})
    bad = [
        {"json": {}},
        {"json": {"body": ""}},
        {"json": {"body": "   "}},
        {"json": {"body": "x" * 5001}},
        {"json": {"body": "ok", "pinned": True}},
        {"content": b"not json", "headers": {"content-type": "application/json"}},
    ]
    refused = [env.call(LEAD, "POST", notes_url(ANN), **kwargs) for kwargs in bad]
    annotator = env.call(ANN, "POST", notes_url(ANN), content=b"not json")
    notes = env.json(ANN, "GET", f"{BASE}/me/coaching", 200)["notes"]
    assert (added["body"], added["author"], added["created_at"].endswith("Z")) == (
        "Read Sarcasm.",
        LEAD,
        True,
    )
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(422, "invalid_input")] * 6
    assert [r.json()["message"] for r in refused[2:]] == [
        "field 'body': a note must not be empty",
        "request body: String should have at most 5000 characters",
        "request body, field 'pinned': Extra inputs are not permitted",
        "request body, line 1: invalid JSON: Expecting value (column 1)",
    ]
    assert (annotator.status_code, annotator.json()["code"]) == (403, "permission_denied")
    assert [(n["id"], n["body"], n["author"]) for n in notes] == [
        (added["id"], "Read Sarcasm.", "a manager")
    ]
