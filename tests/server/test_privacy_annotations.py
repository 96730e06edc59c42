"""The privacy policy over HTTP for what people submitted and for item metadata: the review,
adjudication, escalation and item pages and routes, and the export, per audience."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.test_members_pages import Site
from tests.server.worlds import (
    PASSWORD,
    REVIEWS,
    add_people,
    fast_passwords,
    staff,
    two_projects,
)

from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.server.app import create_app
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import set_password
from labelworks.storage.engine import Database

PEOPLE = staff("reviews", acme_reviewer=True)
EMAIL = "jane.doe@mail.test"
PHONE = "+44 20 7946 0958"
CARD = "4111 1111 1111 1111"
OWNER = "owner@crm.test"
FOUND = (EMAIL, PHONE, CARD, OWNER)
# Only in-house managers and admins see items as stored; reviewers get them masked.
POLICY = {"detect": ["email", "phone", "card"], "audiences": {"reviewer": "redact"}}
QUALITY = {"review": {"first_n": 1}, "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9}}
ROUTES = {
    "review API": "/api/v1/projects/reviews/reviews",
    "review page": "/projects/reviews/review",
    "item API": "/api/v1/projects/reviews/items/1",
    "item page": "/projects/reviews/items/1",
    "adjudication API": "/api/v1/projects/reviews/adjudication",
    "adjudication page": "/projects/reviews/adjudication",
    "escalations API": "/api/v1/projects/reviews/escalations",
    "escalations page": "/projects/reviews/escalations",
    "export": "/api/v1/projects/reviews/export?format=csv&aggregate=majority",
}


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """One item with an email and a card number in its metadata, answered 'neg' by the
    acme annotator (a note with an email and a phone number) and 'pos' by the globex one
    (a note with a card number, flagged with a comment quoting the phone number): both
    reviewed, the item waiting for adjudication."""
    fast_passwords(monkeypatch)
    spec = {**REVIEWS, "privacy": POLICY, "quality": QUALITY}
    rows = [{"text": "Parcel arrived late", "metadata": {"owner": OWNER, "card": CARD}}]
    two_projects(db, spec, rows, other_rows=0)
    tokens, ids = add_people(db, PEOPLE)
    for email, *_ in PEOPLE.values():
        set_password(db, email, PASSWORD)
    answers = [
        ("ann1", {"sentiment": "neg", "note": f"write {EMAIL} or ring {PHONE}"}, None),
        ("ann2", {"sentiment": "pos", "note": f"paid by {CARD}"}, f"is {PHONE} theirs?"),
    ]
    for k, (who, value, comment) in enumerate(answers):
        task = next_task_for(db, "reviews", ids[who])
        assert task is not None
        flag = None if comment is None else Flag("ambiguous", comment)
        submit_annotation(
            db,
            task.assignment_id,
            ids[who],
            value=value,
            seconds=1.0,
            idempotency_key=f"k{k}",
            flag=flag,
        )
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db, tokens)


def _seen(site: Site, who: str) -> dict[str, tuple[int, list[str]]]:
    """Per route: the status ``who`` gets and which found values the answer holds."""
    client, _ = site.session(PEOPLE[who][0])
    client.headers["Authorization"] = f"Bearer {site.tokens[who]}"
    out = {}
    for name, url in ROUTES.items():
        answer = client.get(url)
        out[name] = (answer.status_code, [v for v in FOUND if v in answer.text])
    return out


def test_managers_see_answers_and_metadata_as_stored(site: Site) -> None:
    """The in-house manager (show) gets every found value on every route that has it."""
    assert _seen(site, "manager") == {
        "review API": (200, [EMAIL, PHONE, CARD]),
        "review page": (200, [EMAIL, PHONE, CARD]),
        "item API": (200, list(FOUND)),
        "item page": (200, list(FOUND)),
        "adjudication API": (200, [EMAIL, PHONE, CARD]),
        "adjudication page": (200, [EMAIL, PHONE, CARD]),
        "escalations API": (200, [PHONE, CARD]),
        "escalations page": (200, [PHONE, CARD]),
        "export": (200, list(FOUND)),
    }


@pytest.mark.parametrize("who", ["acme_rev", "acme_lead", "reviewer"])
def test_redacted_audiences_never_receive_a_found_value(site: Site, who: str) -> None:
    """A vendor's reviewer and manager and the in-house reviewer (all redact) get no found
    value from annotations, comments or metadata on any route; vendor staff are refused
    adjudication and escalations."""
    walled = PEOPLE[who][2] is not None
    refused = (403, [])
    assert _seen(site, who) == {
        "review API": (200, []),
        "review page": (200, []),
        "item API": (200, []),
        "item page": (200, []),
        "adjudication API": refused if walled else (200, []),
        "adjudication page": refused if walled else (200, []),
        "escalations API": refused if walled else (200, []),
        "escalations page": refused if walled else (200, []),
        "export": (200, []),
    }
