"""A project's Overview in the real browser: the manager lands on one screen with the
counts and three charts drawn by the vendored Vega under the strict CSP, reaches every tab,
and nothing overflows a phone."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from playwright.sync_api import Page

from labelworks.services import assignment, users

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, Screenshot

PROJECT = "sentiment-demo"


def _label_some(server: LiveServer, n: int, email: str, vendor: str | None = None) -> None:
    who = users.add_user(server.db, email, role="annotator", vendor=vendor, projects=[PROJECT])
    for k in range(n):
        task = assignment.next_task_for(server.db, PROJECT, who.user.id)
        assert task is not None
        label = ("positive", "negative", "neutral")[k % 3]
        assignment.submit_annotation(
            server.db,
            task.assignment_id,
            who.user.id,
            value={"sentiment": label},
            seconds=3.0,
            idempotency_key=f"{email}-{k}",
        )


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


def test_the_overview_draws_its_charts_and_leads_to_every_tab(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """The three charts render as SVG with marks (the throughput split by vendor once a
    vendor's people work beside the organisation's), the tabs lead to Items, Quality, People
    and Settings, a phone never scrolls sideways, the system's dark mode darkens the page,
    the weekly report opens with its cards and server-drawn charts and downloads as one
    HTML file without script, and the console stays clean."""
    _label_some(demo_server, 6, "chart@example.com")
    _label_some(demo_server, 3, "chart@acme.example", vendor="acme")
    page = page_as("manager")
    page.goto(f"/projects/{PROJECT}")
    states = _drawn(page)
    marks = {
        name: page.locator(
            f"[data-chart='{name}'] svg path, [data-chart='{name}'] svg rect"
        ).count()
        for name in states
    }
    split = page.locator("figure:has([data-chart='chart-throughput']) figcaption").inner_text()
    cells = "figure:has([data-chart='chart-throughput']) tbody td:nth-child(2)"
    vendors = sorted(set(page.locator(cells).all_text_contents()))
    screenshot(page, "overview")
    page.set_viewport_size({"width": 390, "height": 844})
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "overview-390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    screenshot(page, "overview-dark")
    page.emulate_media(color_scheme="light")
    reached = {}
    for tab in ("items", "quality", "people", "settings", "overview"):
        with page.expect_navigation():
            page.get_by_test_id(f"tab-{tab}").click()
        reached[tab] = page.locator("[data-testid=project-tabs] [aria-current=page]").inner_text()
    assert states == dict.fromkeys(["chart-burn-up", "chart-throughput", "chart-labels"], "true")
    assert (split, vendors) == ("Annotations per day, by vendor", ["acme", "internal"])
    assert (all(n > 3 for n in marks.values()), narrow <= 390, dark, reached) == (
        True,
        True,
        "rgb(20, 24, 28)",
        {
            "items": "Items",
            "quality": "Quality",
            "people": "People",
            "settings": "Settings",
            "overview": "Overview",
        },
    )
    with page.expect_navigation():
        page.get_by_test_id("report-link").click()
    report_charts = page.locator("[data-testid=report] figure svg").count()
    report_cards = page.locator("[data-testid=report] .cards .card").count()
    screenshot(page, "weekly-report")
    with page.expect_download() as download:
        page.get_by_test_id("download-html").click()
    report_file = download.value.path().read_text()
    assert (report_charts, report_cards, "<svg" in report_file, "<script" in report_file) == (
        2,
        4,
        True,
        False,
    )
    assert page_log(page).problems() == {}
