"""The coaching page in the real browser: as a manager (both trend charts drawn by the
vendored Vega under the strict CSP, the mistakes, a note added through the form) and as
the annotator, who reaches "My progress" from the labeling page; a screenshot of each."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from playwright.sync_api import Page
from tests.browser.conftest import log_in
from tests.services.coaching_world import ANN, LEAD, PROJECT, build

from labelworks.services.demo import DEMO_PASSWORD
from labelworks.services.passwords import hash_password
from labelworks.storage.engine import utcnow

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot


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
        if (states and all(states.values())) or time.monotonic() > deadline:
            return states
        time.sleep(0.1)


def test_the_coaching_page_as_a_manager_and_as_the_annotator(
    live_server: LiveServer,
    new_page: PageFactory,
    page_log: LogLookup,
    screenshot: Screenshot,
) -> None:
    """The manager sees both charts drawn with lines in them, four mistakes and adds a
    note that heads the log; Ann follows "My progress" to her own page, whose charts are
    drawn too and which shows the note; no console errors on either."""
    build(live_server.db, utcnow().date(), password_hash=hash_password(DEMO_PASSWORD))
    lead = new_page()
    log_in(lead, LEAD)
    lead.goto(f"/projects/{PROJECT}/people/{ANN}")
    manager_charts = _drawn(lead)
    lines = lead.locator("[data-chart='chart-accuracy'] svg path").count()
    mistakes = lead.locator("[data-testid=gold-mistake], [data-testid=review-mistake]").count()
    lead.get_by_test_id("note-body").fill("We went through the Sarcasm section together.")
    with lead.expect_navigation():
        lead.get_by_test_id("add-note").click()
    notice = lead.get_by_test_id("coaching-notice").inner_text()
    first_note = lead.get_by_test_id("note").first.inner_text()
    screenshot(lead, "coaching-manager")

    ann = new_page()
    log_in(ann, ANN)
    ann.goto(f"/projects/{PROJECT}/label")
    with ann.expect_navigation():
        ann.get_by_test_id("my-progress").click()
    own_charts = _drawn(ann)
    title = ann.get_by_test_id("coaching-title").inner_text()
    own_note = ann.get_by_test_id("note").first.inner_text()
    kept = ann.get_by_test_id("answers-kept").count()
    screenshot(ann, "coaching-annotator")

    assert (manager_charts, own_charts) == (
        {"chart-accuracy": "true", "chart-seconds": "true"},
        {"chart-accuracy": "true", "chart-seconds": "true"},
    )
    assert (lines > 0, mistakes, notice) == (True, 4, "Note added to the log.")
    assert "We went through the Sarcasm section together." in first_note
    assert (ann.url.endswith(f"/projects/{PROJECT}/me"), title.startswith("My progress")) == (
        True,
        True,
    )
    assert ("a manager" in own_note, "We went through" in own_note, kept) == (True, True, 1)
    assert (page_log(lead).problems(), page_log(ann).problems()) == ({}, {})
