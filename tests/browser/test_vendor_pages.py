"""The Vendors pages in the real browser: the cards and the weekly volume stacked by vendor,
then a vendor's page with its three charts (volume against the weekly target, gold
accuracy with its band against the floor, turnaround against the SLA), its breaches, the
statement and the comparison, all drawn by the vendored Vega under the strict CSP."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from playwright.sync_api import Page
from sqlalchemy import update
from tests.services.builders import jsonl, make_project
from tests.services.vendor_world import ACME_TERMS, build, work

from labelworks.services import ingestion
from labelworks.services.auth import set_password
from labelworks.services.users import add_member
from labelworks.services.vendors import set_terms
from labelworks.storage.engine import Database
from labelworks.storage.tables import items

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PASSWORD = "correct horse battery"


def _weeks_of_work(db: Database) -> None:
    """Five weeks of both vendors on a second project with gold, acme slowing down and
    missing gold more often in its last weeks."""
    project = make_project(
        db, name="reviews", overlap=2, quality={"consensus": "majority", "gold_rate": 0.25}
    )
    truth = {f"gold {i}": ("positive", "negative")[i % 2] for i in range(10)}
    rows = [{"text": t, "gold": {"sentiment": v}} for t, v in truth.items()]
    rows += [{"text": f"review {i}"} for i in range(60)]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="weeks.jsonl")
    with db.write() as conn:
        conn.execute(update(items).values(created_at=datetime(2026, 2, 2, 8)))
    for who in ("ann@acme.example", "ann@beta.example", "lead@inhouse.example"):
        add_member(db, project, who)
    from labelworks.services.users import user_by_email

    acme = user_by_email(db, "ann@acme.example").id
    beta = user_by_email(db, "ann@beta.example").id
    monday = datetime(2026, 2, 2, 9)
    for week in range(5):
        start = monday + timedelta(weeks=week)
        wrong = {t: ("negative" if v == "positive" else "positive") for t, v in truth.items()}
        acme_says = wrong if week >= 3 else truth
        work(db, project, acme, start, [15 + 10 * week] * (6 - week // 2), 40.0, acme_says)
        work(db, project, beta, start + timedelta(days=1), [25] * 5, 30.0, truth)


def _drawn(page: Page, timeout: float = 15.0) -> dict[str, str | None]:
    """Each chart's state once none is still drawing (waited for from Python: the CSP
    forbids the string bodies ``wait_for_function`` would evaluate)."""
    deadline = time.monotonic() + timeout
    while True:
        boxes = page.locator("[data-chart]")
        states = {
            str(boxes.nth(i).get_attribute("data-chart")): boxes.nth(i).get_attribute(
                "data-rendered"
            )
            for i in range(boxes.count())
        }
        if all(states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(0.1)


def test_vendor_pages_draw_their_charts(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """The list's stacked chart and the vendor page's three charts render as SVG with
    marks; the cards, breaches, statement and comparison are on the page; the console
    stays clean."""
    from tests.browser.conftest import log_in

    db = live_server.db
    build(db)
    _weeks_of_work(db)
    set_terms(db, "acme", {**ACME_TERMS, "sla": {**ACME_TERMS["sla"], "weekly_volume": 6}})
    set_password(db, "lead@inhouse.example", PASSWORD)
    page = new_page()
    log_in(page, "lead@inhouse.example", PASSWORD)
    page.click("nav >> text=Vendors")
    listed = _drawn(page)
    cards = page.locator("[data-testid=vendor-card]").count()
    bars = page.locator("[data-chart='chart-weekly-volume'] svg path").count()
    screenshot(page, "vendors")
    page.click("[data-testid=vendor-card][data-vendor=acme] h2 a")
    # February: a month long gone, typed in the address (the picker offers recent ones).
    page.goto(page.url + "?period=2026-02")
    page.select_option("select[name=compare]", "beta")
    page.select_option("select[name=project]", "reviews")
    with page.expect_navigation():
        page.click("#compare button")
    states = _drawn(page)
    marks = {name: page.locator(f"[data-chart='{name}'] svg path").count() for name in states}
    breaches = page.locator("[data-testid=breach]").count()
    total = page.locator("[data-testid=statement-total]").inner_text()
    reading = page.locator("[data-testid=comparison-reading]").inner_text()
    screenshot(page, "vendor")
    assert (cards, listed, bars > 0) == (
        2,
        {"chart-weekly-volume": "true"},
        True,
    )
    assert states == {
        "chart-volume": "true",
        "chart-quality": "true",
        "chart-lease": "true",
        "chart-final": "true",
    }
    assert all(n > 0 for n in marks.values()), marks
    assert breaches > 0 and total.endswith("USD") and reading.startswith(("acme", "beta", "No"))
    assert page_log(page).problems() == {}
