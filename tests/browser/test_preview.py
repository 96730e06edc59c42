"""A manager's preview of the labeling page in Chromium: items in import order with a banner,
answers checked but not stored, no lease taken; "Label for real" leases as an annotator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from sqlalchemy import func, select
from tests.browser.test_widgets import READY

from labelworks.services import passwords
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, assignments

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup

PROJECT = "sentiment-demo"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for the demo people: these tests are about the preview."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def _stored(db: Database) -> tuple[int, int]:
    """Assignments and annotations in the database."""
    with db.read() as conn:
        leases = conn.execute(select(func.count()).select_from(assignments)).scalar_one()
        answers = conn.execute(select(func.count()).select_from(annotations_table)).scalar_one()
    return int(leases), int(answers)


def _state(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("window.LW.state")
    return result


def _wait_for(page: Page, assignment: str) -> None:
    page.wait_for_function(
        "(id) => window.LW && window.LW.state.assignmentId === id && !window.LW.state.busy",
        arg=assignment,
    )


def test_manager_previews_without_leasing_then_labels_for_real(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """The manager sees the banner and item 1, a valid answer moves on to item 2 with nothing
    stored, an empty required answer is refused by the page, and "Label for real" takes one
    lease; no console errors."""
    page = page_as("manager")
    before = _stored(demo_server.db)
    page.goto(f"/projects/{PROJECT}/label")
    page.wait_for_function(READY)
    first = _state(page)["assignmentId"]
    banner = page.locator("[data-testid=preview-banner]").inner_text()
    note = page.locator("[data-testid=task-note]").inner_text()
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    _wait_for(page, "preview-2")
    status = page.locator("[data-testid=status-message]").inner_text()
    after_preview = _stored(demo_server.db)
    page.click("[data-testid=work-link]")
    page.wait_for_function(READY)
    leased = _state(page)["assignmentId"]
    assert (
        first,
        banner.startswith("Preview."),
        note.startswith("Preview of item 1 ("),
        status,
        after_preview,
        isinstance(leased, int),
        page.locator("[data-testid=working-banner]").is_visible(),
        _stored(demo_server.db),
        page_log(page).problems(),
    ) == (
        "preview-1",
        True,
        True,
        "Preview: that answer would be accepted. Nothing was saved.",
        before,
        True,
        True,
        (before[0] + 1, before[1]),
        {},
    )
