"""The privacy policy over HTTP where it was still missing: a vendor's annotator (redact)
marking a span over a masked email, the span error that never quotes the item, the item
API's warning, and an item filter holding personal data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import REVIEWS, Bearer, add_people, api_client, staff, two_projects

from labelworks.domain.pii import MASK
from labelworks.storage.engine import Database

PEOPLE = staff("reviews")
EMAIL = "jane.doe@mail.test"
TEXTS = [f"Mail {EMAIL} now", f"Or {EMAIL} later"]
SPANS = {"name": "ents", "kind": "spans", "labels": ["CONTACT", "WORD"], "required": False}
# The defaults: vendors' staff (the acme annotator and manager) see values masked.
POLICY = {"detect": ["email"]}


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Bearer]:
    """Project 'reviews' with a spans field and two items holding an email, under the
    default policy; the app in-process."""
    spec = {**REVIEWS, "fields": [*REVIEWS["fields"], SPANS], "privacy": POLICY, "overlap": 1}
    two_projects(db, spec, [{"text": t} for t in TEXTS], other_rows=0)
    tokens, _ = add_people(db, PEOPLE)
    with api_client(db, tmp_path) as client:
        yield Bearer(client, tokens)


def _lease(api: Bearer) -> tuple[int, str]:
    """The acme annotator's next task: its assignment and the text as served."""
    answer = api.call("ann1", "POST", "/api/v1/projects/reviews/next")
    assert answer.status_code == 200
    body = answer.json()
    return body["assignment_id"], body["item"]["payload"]["text"]


def _submit(api: Bearer, assignment_id: int, value: dict[str, Any], key: str) -> Any:
    body = {"value": value, "idempotency_key": key}
    return api.call("ann1", "POST", f"/api/v1/assignments/{assignment_id}/submit", json=body)


def test_a_span_sent_over_a_masked_email_is_stored_with_the_email(api: Bearer) -> None:
    """The acme annotator marks the masked email with the masked text: accepted, stored
    with the email (the in-house manager reads it), shown masked to the acme manager with
    the item API's warning."""
    assignment_id, shown = _lease(api)
    span = {"start": 5, "end": 23, "label": "CONTACT", "text": shown[5:23]}
    answer = _submit(api, assignment_id, {"sentiment": "neg", "ents": [span]}, "k1")
    item = "/api/v1/projects/reviews/items/1"
    stored = api.call("manager", "GET", item).json()
    masked = api.call("acme_lead", "GET", item).json()
    assert (shown, answer.status_code) == (f"Mail {MASK * 18} now", 200)
    assert (
        [a["value"]["ents"] for a in stored["annotations"]],
        stored["pii"],
        stored["pii_note"],
    ) == ([[{**span, "text": EMAIL}]], [], None)
    assert (
        masked["payload"]["text"],
        [a["value"]["ents"] for a in masked["annotations"]],
        masked["pii"],
        masked["pii_note"],
    ) == (
        shown,
        [[span]],
        ["email"],
        "Personal data masked (email) in text, annotations.",
    )


def test_a_wrong_span_text_is_refused_without_any_of_the_items_text(api: Bearer) -> None:
    """A span whose text is wrong where nothing is masked is a 422 naming the span and its
    offsets; the answer holds no slice of the item's text (of four characters or more:
    shorter ones are common words), and nothing is stored."""
    assignment_id, _ = _lease(api)
    span = {"start": 0, "end": 4, "label": "WORD", "text": "Mial"}
    answer = _submit(api, assignment_id, {"sentiment": "neg", "ents": [span]}, "k1")
    stored = api.call("manager", "GET", "/api/v1/projects/reviews/items/1").json()
    text = TEXTS[0]
    slices = {text[i:j] for i in range(len(text)) for j in range(i + 4, len(text) + 1)}
    assert (answer.status_code, answer.json(), stored["annotations"]) == (
        422,
        {
            "code": "invalid_annotation",
            "message": "field 'ents[0].text': does not match the text of 'text' at 0..4",
            "location": {"file": None, "line": None, "field": "ents[0].text"},
        },
        [],
    )
    assert [s for s in slices if s in answer.text] == []


def test_an_item_filter_holding_a_masked_email_is_refused_to_the_vendor(api: Bearer) -> None:
    """The acme manager (redact) searching items for the email gets a 422 naming the filter
    and the kind; the in-house manager's same search finds both items."""
    url = f"/api/v1/projects/reviews/items?q={EMAIL}"
    refused = api.call("acme_lead", "GET", url)
    found = api.call("manager", "GET", url)
    assert (refused.status_code, refused.json()["message"], EMAIL in refused.text) == (
        422,
        "the q filter holds personal data (email), which project 'reviews' masks for you: "
        "filter by other words",
        False,
    )
    assert [i["id"] for i in found.json()["items"]] == [1, 2]
