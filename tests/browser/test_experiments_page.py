"""The Experiments pages in the real browser: reached from the Quality tabs, the
experiment's three charts (shares, seconds, differences) drawn by the vendored Vega under
the strict CSP, the verdict and the power on screen, nothing overflowing a phone, and no
console error."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from playwright.sync_api import Page
from tests.services import experiment_world

from labelworks.services.demo import DEMO_PASSWORD
from labelworks.services.passwords import hash_password
from labelworks.services.users import add_user

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

from tests.browser.conftest import log_in

CHARTS = ["chart-shares", "chart-seconds", "chart-differences"]


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


def test_the_experiment_page_draws_its_charts(
    live_server: LiveServer,
    new_page: PageFactory,
    page_log: LogLookup,
    screenshot: Screenshot,
) -> None:
    """A manager goes Quality → Experiments → 'guide' and sees the verdict, the three
    charts drawn with their dots and intervals, and the power; at 390 px wide nothing
    scrolls sideways."""
    db = live_server.db
    experiment_world.build(db)
    add_user(
        db, "boss@example.com", role="manager", projects=[experiment_world.PROJECT],
        password_hash=hash_password(DEMO_PASSWORD),
    )  # fmt: skip
    page = new_page()
    log_in(page, "boss@example.com")
    page.goto(f"/projects/{experiment_world.PROJECT}/quality")
    with page.expect_navigation():
        page.get_by_test_id("experiments-tab").click()
    with page.expect_navigation():
        page.get_by_role("link", name="guide").click()
    states = _drawn(page)
    marks = {
        name: page.locator(
            f"[data-chart='{name}'] svg path, [data-chart='{name}'] svg line"
        ).count()
        for name in CHARTS
    }
    verdict = page.get_by_test_id("verdict").locator("p.lead").inner_text()
    power = page.get_by_test_id("power").inner_text()
    screenshot(page, "experiment")
    page.set_viewport_size({"width": 390, "height": 844})
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "experiment-390px")
    assert states == dict.fromkeys(CHARTS, "true")
    assert all(n >= 4 for n in marks.values()), marks
    assert (verdict.startswith("B is "), "Design effect" in power, narrow <= 390) == (
        True,
        True,
        True,
    ), (verdict, narrow)
    assert page_log(page).problems() == {}
