"""The People tab and the overall people page in the real browser, on people_world's
project: every chart is drawn by the vendored Vega under the strict CSP, the table shows
each person with intervals and warning badges that open into their explanation, the
period form lives in the URL, names lead to each person's page, a vendor's manager sees
their own people only, and nothing overflows a phone."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page
from tests.services import people_world

from labelworks.services.demo import DEMO_PASSWORD
from labelworks.services.passwords import hash_password

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

from tests.browser.conftest import log_in

URL = f"/projects/{people_world.PROJECT}/people"
CHARTS = ["chart-speed", "chart-time", "chart-weeks"]


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


def test_the_people_tab_and_the_overall_page(
    live_server: LiveServer,
    new_page: PageFactory,
    page_log: LogLookup,
    screenshot: Screenshot,
) -> None:
    world = people_world.build(live_server.db, password_hash=hash_password(DEMO_PASSWORD))
    page = new_page()
    log_in(page, world.admin.email)
    page.goto(URL)
    states = _drawn(page)
    marks = {name: _marks(page, name) for name in CHARTS}
    rows = page.get_by_test_id("person-row")
    people = [rows.nth(i).get_by_test_id("person-link").inner_text() for i in range(rows.count())]
    headline = page.get_by_test_id("people-headline").inner_text()
    screenshot(page, "people-tab")
    sign = page.get_by_test_id("people-table").get_by_test_id("sign-straight_lining")
    sign.locator("summary").click()
    explained = sign.locator("p").inner_text()
    link = page.get_by_test_id("person-link").first.get_attribute("href")
    page.set_viewport_size({"width": 390, "height": 844})
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.fill("input[name=period]", world.week_a)
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    query = parse_qs(urlsplit(page.url).query)
    label = page.get_by_test_id("period-label").inner_text()
    week_rows = page.get_by_test_id("person-row").count()

    page.goto("/people/analytics")
    overall = _drawn(page)
    overall_rows = page.get_by_test_id("person-row").count()
    screenshot(page, "people-overall")

    walled = new_page()
    log_in(walled, world.acme.email)
    walled.goto(URL)
    _drawn(walled)
    seen = {e for e in ("ada@", "ben@", "cy@", "dee@") if e in walled.content()}

    assert states == dict.fromkeys(CHARTS, "true")
    assert all(n >= 3 for n in marks.values()), marks
    assert people == [
        "cy@globex.example",
        "dee@inhouse.example",
        "ada@acme.example",
        "ben@acme.example",
    ]
    assert "4\npeople, 2 with warning signs" in headline and "80.6%" not in headline
    assert "14 of their 20 answers (70%) were 'positive'" in explained
    assert link == f"{URL}/cy%40globex.example"
    assert narrow <= 390
    assert (query, label, week_rows) == ({"period": [world.week_a]}, world.week_a, 4)
    assert overall == dict.fromkeys(CHARTS, "true") and overall_rows == 4
    assert seen == {"ada@", "ben@"}
    assert page_log(page).problems() == {}
    assert page_log(walled).problems() == {}
