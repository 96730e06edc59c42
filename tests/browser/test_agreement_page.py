"""The Agreement page in the real browser: every chart is drawn by the vendored Vega under the
strict CSP (the annotator heatmap, each annotator against the rest, the confusion matrix,
the per-label kappa, a spans field's F1 heatmap), the filters live in the URL and narrow
the figures, a contested item leads to its page, a vendor's manager sees only their
vendor, and nothing overflows a phone."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page
from tests.services.agreement_world import ANNOTATORS, PROJECT, build

from labelworks.services.demo import DEMO_PASSWORD
from labelworks.services.passwords import hash_password
from labelworks.services.users import add_user

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

from tests.browser.conftest import log_in

URL = f"/projects/{PROJECT}/agreement"
CHARTS = [
    "chart-pairs-sentiment",
    "chart-rest-sentiment",
    "chart-confusion-sentiment",
    "chart-labels-sentiment",
    "chart-f1-names",
]


def _drawn(page: Page, timeout: float = 15.0) -> dict[str, str | None]:
    """Each chart's state once none is still drawing (polled from Python: the CSP forbids
    the string bodies ``wait_for_function`` would evaluate)."""
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


def _marks(page: Page, chart: str) -> int:
    return page.locator(f"[data-chart='{chart}'] svg path, [data-chart='{chart}'] svg rect").count()


def test_the_agreement_page_draws_every_chart_and_filters_in_the_url(
    live_server: LiveServer,
    new_page: PageFactory,
    page_log: LogLookup,
    screenshot: Screenshot,
) -> None:
    db = live_server.db
    build(db, n_items=45)
    password = hash_password(DEMO_PASSWORD)
    for email, vendor in (("boss@example.com", None), ("lead@acme.example", "acme")):
        add_user(
            db, email, role="manager", vendor=vendor, projects=[PROJECT], password_hash=password
        )
    page = new_page()
    log_in(page, "boss@example.com")
    page.goto(URL)
    states = _drawn(page)
    marks = {name: _marks(page, name) for name in CHARTS}
    alpha = page.get_by_test_id("coefficient-krippendorff_alpha").inner_text()
    screenshot(page, "agreement")
    page.set_viewport_size({"width": 390, "height": 844})
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "agreement-390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="dark")
    screenshot(page, "agreement-dark")
    page.emulate_media(color_scheme="light")

    # The filters: a preset period, then a vendor, each kept in the URL.
    all_time = page.get_by_test_id("agreement-field").first.locator("h2").first.inner_text()
    with page.expect_navigation():
        page.locator(".presets a", has_text="7 days").click()
    week = (
        parse_qs(urlsplit(page.url).query),
        page.get_by_test_id("agreement-scope").inner_text(),
        page.get_by_test_id("agreement-field").first.locator("h2").first.inner_text(),
    )
    page.goto(URL)
    page.get_by_test_id("filter-vendor").select_option("globex")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    vendor = (
        parse_qs(urlsplit(page.url).query).get("vendor"),
        page.get_by_test_id("agreement-scope").inner_text(),
    )
    page.goto(URL)
    _drawn(page)
    link = page.get_by_test_id("contested-link").first
    target = link.get_attribute("href")
    with page.expect_navigation():
        link.click()
    landed = urlsplit(page.url).path

    walled = new_page()
    log_in(walled, "lead@acme.example")
    walled.goto(URL)
    _drawn(walled)
    body = walled.content()
    screenshot(walled, "agreement-vendor-manager")
    seen = {email for email, _, _ in ANNOTATORS if email in body}

    assert states == dict.fromkeys(CHARTS, "true")
    assert all(n > 3 for n in marks.values()), marks
    assert ("95%" in alpha, narrow <= 390) == (True, True)
    assert week[0] == {"period": ["7d"]}
    assert "from" in week[1] and week[2] != all_time
    assert vendor == (["globex"], vendor[1])
    assert "by globex's annotators" in vendor[1]
    assert (
        target is not None and landed == target and target.startswith(f"/projects/{PROJECT}/items/")
    )
    assert seen == {"ada@acme.example", "ben@acme.example", "cy@acme.example"}
    assert page_log(page).problems() == {}
    assert page_log(walled).problems() == {}
