"""Escalation in Chromium, end to end: an annotator flags one task with the Flag button
("Flag and skip") and another with Ctrl+Shift+F ("Flag and submit", after answering);
the demo's lead finds both on the Escalations page from the project page, resolves one with
a label button, a note and a guideline section, and finds it in the Edge-case library by
searching. Every step is checked in the database; screenshots go to ``/tmp/lw-shots/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from sqlalchemy import select
from tests.browser.test_widgets import NEXT, go_label, press

from labelworks.services import passwords
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, assignments, escalations

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup

SHOTS = Path("/tmp/lw-shots")
PROJECT = "sentiment-demo"
UNCOVERED = "A review of the delivery van, not of the product: the guidelines do not say."
UNSURE = "Praise, then 'returned it': is that positive or negative?"
NOTE = "Judge the product, not the delivery: an off-topic review is neutral."


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for the demo people (autouse: before the demo is seeded)."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot as ``/tmp/lw-shots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def state(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate("window.LW.state")
    return found


def _stored(db: Database) -> list[tuple[Any, ...]]:
    """Each escalation with its assignment's state and the annotation's value, if any."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                escalations.c.kind,
                escalations.c.comment,
                escalations.c.status,
                assignments.c.state,
                annotations_table.c.value,
            )
            .join(assignments, assignments.c.id == escalations.c.assignment_id)
            .outerjoin(annotations_table, annotations_table.c.assignment_id == assignments.c.id)
            .order_by(escalations.c.id)
        ).all()
    return [tuple(r) for r in rows]


def _flag_two(page: Page, db: Database) -> tuple[int, int]:
    """The annotator flags the first task with the button and skips it, then answers the
    second, flags it with the keyboard and submits; the two assignment ids."""
    first = go_label(page, db, PROJECT).assignment_id
    dialog = page.locator("[data-testid=flag-dialog]")
    page.locator("[data-testid=flag-button]").click()
    opened = dialog.is_visible()
    press(page, "Escape")
    kept = (dialog.is_visible(), state(page)["assignmentId"])
    page.locator("[data-testid=flag-button]").click()
    page.locator("[data-testid=flag-edge-case]").check()
    page.locator("[data-testid=flag-comment]").fill(UNCOVERED)
    shoot(page, "escalation-flag-dialog")
    page.locator("[data-testid=flag-skip]").click()
    page.wait_for_function(NEXT, arg=first)
    skipped = state(page)["status"]
    second = state(page)["assignmentId"]
    press(page, "2")  # the second label: negative
    press(page, "Control+Shift+F")
    by_key = dialog.is_visible()
    page.keyboard.type(UNSURE)
    page.locator("[data-testid=flag-submit]").click()
    page.wait_for_function(NEXT, arg=second)
    assert (opened, kept, by_key) == (True, (False, first), True)
    assert (skipped, state(page)["status"]) == (
        {"text": "Skipped, and flagged for an expert.", "kind": "ok"},
        {"text": "Saved, and flagged for an expert.", "kind": "ok"},
    )
    return first, second


def test_an_annotator_flags_and_an_expert_resolves(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """Flags from the labeling page reach the queue; the lead resolves one there with a
    label button, and it appears in the library, found by a search for a word of its note."""
    db = demo_server.db
    annotator = page_as("annotator")
    _flag_two(annotator, db)
    assert _stored(db) == [
        ("edge_case", UNCOVERED, "open", "skipped", None),
        ("ambiguous", UNSURE, "open", "submitted", '{"sentiment":"negative"}'),
    ]

    lead = page_as("manager")
    lead.goto(f"/projects/{PROJECT}")
    link = lead.locator("[data-testid=escalations-link]")
    linked = link.inner_text()
    link.click()
    lead.wait_for_url(re.compile(r"/escalations$"))
    cases = lead.locator("[data-testid=escalation]")
    listed = [
        (
            c.locator("[data-testid=kind]").inner_text(),
            c.locator("[data-testid=comment]").inner_text(),
        )
        for c in cases.all()
    ]
    shoot(lead, "escalation-queue")
    first = cases.first
    first.locator("label.pick", has_text="neutral").click()
    first.locator("[data-testid=note-input]").fill(NOTE)
    first.locator("[data-testid=section-input]").fill("2.1 What to judge")
    with lead.expect_navigation():
        first.locator("[data-testid=resolve]").click()
    notice = lead.locator("[data-testid=escalation-notice]").inner_text()
    left = [c.inner_text() for c in lead.locator("[data-testid=comment]").all()]
    shoot(lead, "escalation-resolved")

    lead.locator("[data-testid=library-link]").click()
    lead.locator("input[name=q]").fill("DELIVERY")
    with lead.expect_navigation():
        lead.locator("[data-testid=library-search] button").click()
    found = lead.locator("[data-testid=edge-case]")
    case_id = found.first.get_attribute("data-id")
    shown = (
        found.count(),
        found.first.locator("[data-testid=comment]").inner_text(),
        found.first.locator("dl.answer").inner_text(),
        found.first.locator("[data-testid=note]").inner_text(),
        found.first.locator("[data-testid=cite]").inner_text(),
    )
    shoot(lead, "escalation-library")
    lead.goto(f"/projects/{PROJECT}/edge-cases#case-{case_id}")
    targeted = lead.evaluate("() => document.querySelector(':target')?.id")

    assert (" ".join(linked.split()), listed) == (
        "2 flags waiting for an expert →",
        [("Edge case", UNCOVERED), ("Ambiguous", UNSURE)],
    )
    assert (notice, left) == ("Flag 1 is resolved and in the edge-case library.", [UNSURE])
    assert shown == (
        1,
        UNCOVERED,
        "sentiment\nneutral",
        NOTE,
        f"/projects/{PROJECT}/edge-cases#case-1",
    )
    assert (case_id, targeted) == ("1", "case-1")
    assert _stored(db)[0][2] == "resolved"
    assert (page_log(annotator).problems(), page_log(lead).problems()) == ({}, {})
