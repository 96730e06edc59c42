"""The privacy policy through HTTP: the work API and item page per audience, the screening
report's route (and SDK method) and its Settings → Privacy page per role; on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
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
from labelworks.domain.pii import MASK
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.auth import set_password
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

PEOPLE = staff("reviews")
PAGE = "/projects/reviews/settings/privacy"
API = "/api/v1/projects/reviews/pii"
TEXT = "Refund to DE89 3704 0044 0532 0130 00, mail ann@example.com"
MASKED = f"Refund to {MASK * 27}, mail {MASK * 15}"
POLICY = {"detect": ["email", "iban"], "audiences": {"annotator": "flag", "reviewer": "redact"}}


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'reviews' with a privacy policy, one item with an IBAN and an email and one
    without, and the usual staff (an acme manager and annotator behind a vendor)."""
    fast_passwords(monkeypatch)
    rows = [{"text": TEXT}, {"text": "fine"}]
    two_projects(db, {**REVIEWS, "overlap": 1, "privacy": POLICY}, rows, other_rows=0)
    tokens, _ids = add_people(db, PEOPLE)
    for email, *_ in PEOPLE.values():
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db, tokens)


def _bearer(site: Site, who: str) -> TestClient:
    client = TestClient(site.app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {site.tokens[who]}"
    return client


def test_the_work_api_masks_for_a_vendor_and_flags_for_the_rest(site: Site) -> None:
    """The acme annotator's leased item comes masked with the kinds found; the stored item
    is unchanged."""
    task = _bearer(site, "ann1").post("/api/v1/projects/reviews/next").json()
    with site.db.read() as conn:
        stored = item_store.get(conn, 1)
    assert stored is not None
    assert (task["item"]["payload"], task["item"]["pii"], task["item"]["pii_note"]) == (
        {"text": MASKED},
        ["email", "iban"],
        "Personal data masked (email, iban) in text.",
    )
    assert stored.payload == {"text": TEXT}


def test_the_item_page_per_audience(site: Site) -> None:
    """An in-house manager reads the item as stored; the acme manager reads it masked with
    the warning; the reviewer (redact) likewise."""
    seen = {}
    for who in ("manager", "acme_lead", "reviewer"):
        client, _ = site.session(who)
        body = client.get("/projects/reviews/items/1").text
        seen[who] = (TEXT in body, MASKED in body, texts(body, "pii-note"))
    note = ["Personal data masked (email, iban) in text."]
    assert seen == {
        "manager": (True, False, []),
        "acme_lead": (False, True, note),
        "reviewer": (False, True, note),
    }


def test_the_report_route_and_the_sdk(site: Site) -> None:
    """The route answers managers with counts and masked samples, never the values; the SDK
    method returns the same report."""
    answer = _bearer(site, "manager").get(API)
    via_sdk = Client.from_httpx(TestClient(site.app), site.tokens["manager"]).pii_report("reviews")
    report = answer.json()
    assert (
        answer.status_code,
        report["by_kind"],
        report["affected"],
        report["listed"],
        TEXT[10:37] in answer.text or "ann@example.com" in answer.text,
        via_sdk == report,
    ) == (
        200,
        {"iban": 1, "email": 1},
        1,
        [
            {
                "item_id": 1,
                "external_id": None,
                "kinds": ["email", "iban"],
                "keys": ["text"],
                "samples": [f"D{MASK * 25}0", f"a{MASK * 13}m"],
            }
        ],
        False,
        True,
    )


def test_the_page_and_route_per_role(site: Site) -> None:
    """Managers and admins get the page and the report; reviewers and annotators are
    refused; a manager of another project is told it does not exist."""
    seen = {}
    for who in PEOPLE:
        client, _ = site.session(who)
        page = client.get(PAGE)
        seen[who] = (page.status_code, _bearer(site, who).get(API).status_code)
    assert seen == {
        "admin": (200, 200),
        "manager": (200, 200),
        "acme_lead": (200, 200),
        "reviewer": (403, 403),
        "ann1": (403, 403),
        "ann2": (403, 403),
        "outsider": (404, 404),
    }


def test_the_page_shows_the_policy_the_chart_and_the_affected_items(site: Site) -> None:
    """The page states the policy per audience, draws findings by kind, and links each
    affected item; found values appear masked only."""
    client, _ = site.session("manager")
    body = client.get(PAGE).text
    assert (
        texts(body, "pii-summary"),
        'data-testid="chart-pii-kinds"' in body,
        re.findall(r'href="([^"]+)" data-testid="pii-item-link"', body),
        "ann@example.com" in body,
        'data-testid="settings-tab-privacy"' in body,
    ) == (
        ["2 items screened · 1 affected · 2 findings"],
        True,
        ["/projects/reviews/items/1"],
        False,
        True,
    )
