"""The Vendors pages by session: the cards and the stacked weekly chart, a vendor's
scorecard, charts, breaches, statement and CSV, the comparison picker, the admins' terms
form (saved whole, or refused naming the field with what was typed kept), and vendor
walls (another vendor is a 404, reviewers get a 403)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, api_client, csrf_of, fast_passwords, log_in
from tests.services.vendor_world import World, build

from labelworks.services import vendor_facts
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.services.vendors import get_terms
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, monkeypatch: pytest.MonkeyPatch) -> World:
    fast_passwords(monkeypatch)
    found = build(db)
    add_user(db, "root@inhouse.example", role="admin")
    for email in (
        "root@inhouse.example",
        "lead@inhouse.example",
        "boss@acme.example",
        "rev@inhouse.example",
    ):
        set_password(db, email, PASSWORD)
    return found


@pytest.fixture
def browser(db: Database, tmp_path: Path, world: World) -> Iterator[TestClient]:
    with api_client(db, tmp_path) as client:
        yield client


def _chart(html: str, name: str) -> dict[str, object]:
    found = re.search(
        rf'<script type="application/json" id="chart-{name}">(.*?)</script>', html, re.S
    )
    assert found is not None, name
    spec: dict[str, object] = json.loads(found.group(1))
    return spec


def test_vendors_page_cards_and_weekly_chart(browser: TestClient) -> None:
    """A manager sees a card per vendor with volume, accuracy and its interval, cost per
    accepted label and SLA status, the chart's rows per week and vendor, and the nav link."""
    html = log_in(browser, "lead@inhouse.example").get("/vendors").text
    assert '<a href="/vendors">Vendors</a>' in html
    cards = re.findall(r'data-testid="vendor-card" data-vendor="([^"]+)"', html)
    assert cards == ["acme", "beta"]
    for words in (
        "SLA breached",
        "0.250 USD",
        "per accepted label · 1.25 USD in all",
        "95%: 9–91% · 1/2",
        "0.040 EUR",
        "SLA no targets",
        "billed in all: <b>0.20 EUR</b>, <b>1.25 USD</b>",
    ):
        assert words in html, words
    spec = _chart(html, "weekly-volume")
    assert spec["data"] == {
        "values": [
            {"week": "2026-W10", "vendor": "acme", "delivered": 5},
            {"week": "2026-W10", "vendor": "beta", "delivered": 5},
        ]
    }
    bad = browser.get("/vendors?period=March")
    assert (bad.status_code, "is not one of YYYY-MM" in bad.text) == (422, True)


def test_vendor_page_scorecard_statement_and_compare(browser: TestClient) -> None:
    """acme's March: the headline, three charts with their targets, the breaches, the
    statement's total with its CSV, and the comparison with beta."""
    log_in(browser, "lead@inhouse.example")
    html = browser.get("/vendors/acme?period=2026-03&compare=beta&project=sentiment").text
    for words in (
        "50 min</b>",
        'target 45 min, 80% within: <span class="error">missed</span>',
        "P90 lease to submit 50 min, over the 45 min target",
        'data-testid="statement-total">1.25 USD<',
        "5 billed · 0 held until reviewed",
        'href="/vendors/acme/statement.csv?period=2026-03"',
        "No clear difference: acme 50.0%, beta 100.0%",
    ):
        assert words in html, words
    quality = _chart(html, "quality")
    assert [layer["mark"]["type"] for layer in quality["layer"]] == ["area", "line", "rule"]  # type: ignore[index]
    final = _chart(html, "final")
    assert final["data"] == {"values": [{"week": "2026-W10", "hours": 30.0}]}
    lease = _chart(html, "lease")
    assert [layer["mark"]["type"] for layer in lease["layer"]] == ["line", "rule"]  # type: ignore[index]
    csv = browser.get("/vendors/acme/statement.csv?period=2026-03")
    assert (csv.status_code, csv.text.count("\n"), csv.headers["content-type"]) == (
        200,
        6,
        "text/csv; charset=utf-8",
    )
    empty = browser.get("/vendors/acme?period=2025-01").text
    assert "No work in 2025-01" in empty and "No annotations by acme in 2025-01" in empty


def test_terms_form(browser: TestClient, db: Database) -> None:
    """An admin saves beta's terms from the form; a bad number is refused naming the field,
    what was typed stays in the form and nothing changes; a manager has no form."""
    lead = log_in(browser, "lead@inhouse.example").get("/vendors/beta").text
    assert 'data-testid="terms-form"' not in lead
    browser.post("/logout", data={"csrf_token": csrf_of(lead)})
    page = log_in(browser, "root@inhouse.example").get("/vendors/beta").text
    form = {
        "csrf_token": csrf_of(page),
        "currency": "EUR",
        "rate_choice": "0.05",
        "rate_spans": "0.2",
        "percentile": "95",
        "weekly_volume": "100",
        "contact": "Beta <ops>",
    }
    saved = browser.post("/vendors/beta/terms", data=form, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, "/vendors/beta")
    shown = browser.get("/vendors/beta").text
    assert "beta&#39;s terms are saved." in shown and "Beta &lt;ops&gt;" in shown
    terms = get_terms(db, "beta").terms
    assert terms is not None and (terms.per_annotation, terms.sla.percentile) == (
        {"choice": 0.05, "spans": 0.2},
        95.0,
    )
    bad = browser.post("/vendors/beta/terms", data={**form, "quality_floor": "high"})
    assert (bad.status_code, "quality_floor must be a number, not &#39;high&#39;" in bad.text) == (
        422,
        True,
    )
    assert 'value="high"' in bad.text and get_terms(db, "beta").terms == terms
    stale = browser.post("/vendors/beta/terms", data={**form, "csrf_token": "x"})
    assert stale.status_code == 403


def test_vendor_walls_on_pages(browser: TestClient) -> None:
    """acme's manager sees acme's card only and beta's page does not exist for them; a
    reviewer is refused the Vendors page and has no link to it."""
    log_in(browser, "boss@acme.example")
    html = browser.get("/vendors").text
    assert re.findall(r'data-vendor="([^"]+)"', html) == ["acme"]
    assert "beta" not in html
    for url in ("/vendors/beta", "/vendors/internal", "/vendors/beta/statement.csv?period=2026-03"):
        assert browser.get(url).status_code == 404, url
    acme = browser.get("/vendors/acme").text
    assert "beta" not in acme and 'data-testid="terms-form"' not in acme
    browser.post("/logout", data={"csrf_token": csrf_of(acme)})
    log_in(browser, "rev@inhouse.example")
    assert browser.get("/vendors").status_code == 403
    assert 'href="/vendors"' not in browser.get("/").text


def test_a_big_installation_measures_in_the_background(
    browser: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When nothing is kept and the installation is big, the pages answer at once with
    "Measuring…" (reloading themselves) while the facts are gathered; then the cards."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(vendor_facts, "INLINE_UP_TO", 0)
    monkeypatch.setattr(vendor_facts, "runner", queued.append)
    log_in(browser, "lead@inhouse.example")
    first = browser.get("/vendors?period=2026-W10").text
    one = browser.get("/vendors/acme?period=2026-W10").text
    assert 'data-testid="vendors-measuring"' in first and 'http-equiv="refresh"' in first
    assert 'data-testid="vendor-measuring"' in one and 'data-testid="scorecard"' not in one
    assert len(queued) == 1  # one gathering for the period, whichever page asked
    for job in queued:
        job()
    ready = browser.get("/vendors?period=2026-W10").text
    assert re.findall(r'data-vendor="([^"]+)"', ready) == ["acme", "beta"]
    assert 'http-equiv="refresh"' not in ready
