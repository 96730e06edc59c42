"""Settings → Webhooks in the real browser: a manager adds a webhook pointing at a real
receiver (its secret shown once), presses Ping, and after the server's own dispatcher sent
it the log shows it delivered with the receiver's 200; the deliveries chart is drawn; the
console stays clean."""

from __future__ import annotations

import time

from playwright.sync_api import Page
from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, Screenshot
from tests.webhook_receiver import Receiver

from labelworks.services.demo import DEMO_PROJECT

URL = f"/projects/{DEMO_PROJECT}/settings/webhooks"


def _drawn(page: Page, timeout: float = 15.0) -> str | None:
    """The chart's state once drawn (polled from Python: the CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    box = page.locator("[data-chart='chart-webhook-days']")
    while True:
        state = box.get_attribute("data-rendered")
        if state or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def test_add_a_webhook_ping_it_and_read_the_log(
    demo_server: LiveServer,
    page_as: LoginFactory,
    page_log: LogLookup,
    screenshot: Screenshot,
) -> None:
    """Add → secret card; Ping → notice; the receiver gets the signed ping; reloaded, the
    log says delivered 200 and the chart is drawn with its bars."""
    page = page_as("manager")
    with Receiver() as hook:
        page.goto(URL)
        empty = page.get_by_test_id("no-webhooks").is_visible()
        page.fill("[data-testid=webhook-url]", hook.url)
        page.check("input[name=events][value='item.finalised']")
        page.check("input[name=events][value='lot.rejected']")
        page.click("[data-testid=webhook-add]")
        secret = page.get_by_test_id("webhook-secret-value").inner_text()
        page.goto(URL)
        page.click("[data-testid=webhook-ping]")
        notice = page.get_by_test_id("webhooks-notice").inner_text()
        (got,) = hook.wait_for(1, timeout=20)
        for _ in range(50):  # the log is written once the receiver's answer is in
            page.reload()
            if page.get_by_test_id("delivery-status").inner_text() != "pending":
                break
            time.sleep(0.1)
        state = _drawn(page)
        bars = page.locator("[data-chart='chart-webhook-days'] svg path").count()
        shot = screenshot(page, "webhooks")
    assert (empty, len(secret), got.verified(secret), got.json["event"]) == (
        True,
        43,
        True,
        "ping",
    )
    assert notice.startswith("Ping queued to webhook 1 (delivery 1)")
    assert (
        page.get_by_test_id("delivery-status").inner_text(),
        page.get_by_test_id("delivery-response").inner_text(),
        page.get_by_test_id("webhook-state").inner_text(),
        state,
        bars > 0,
        shot.is_file(),
    ) == ("delivered", "200", "active", "true", True, True)
    assert page_log(page).problems() == {}
