"""The Review page in Chromium, as the demo's reviewer.

The demo's sentiment project turns review on for each annotator's first two annotations;
Ada (Acme Labeling), Grace (Borealis Data) and Alan (in-house) label through the services.
The reviewer finds the Review page from the project page, accepts the first card with the
A key, fixes one of Grace's with a label button and a comment, and rejects one of Alan's
with a reason; each comes back with a notice and the outcomes table follows. Screenshots go
to ``/tmp/lw-shots/`` for people to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, reviews, users
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup

SHOTS = Path("/tmp/lw-shots")
PROJECT = "sentiment-demo"
REASONS = ["wrong label", "missed sarcasm", "guideline not followed"]
# What each annotator answers, task by task: two each, so all are reviewed as their first two
# (none is left to the random draw at the rate).
ANSWERS = {
    "ada@demo.labelworks": ["positive", "negative"],
    "grace@demo.labelworks": ["positive", "neutral"],
    "alan@demo.labelworks": ["negative", "negative"],
}


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot as ``/tmp/lw-shots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _seed(db: Database) -> None:
    """Review on (first two of everyone's); the three annotators label in turn."""
    spec = project_service.get_project(db, PROJECT).spec.model_dump(mode="json", by_alias=True)
    quality = {"review": {"first_n": 2, "rate": 0.1, "reasons": REASONS}}
    project_service.apply_spec(db, spec_from_dict({**spec, "quality": quality}), guidelines=None)
    for email, labels in ANSWERS.items():
        uid = users.user_by_email(db, email).id
        for n, label in enumerate(labels):
            task = assignment.next_task_for(db, PROJECT, uid)
            assert task is not None
            assignment.submit_annotation(
                db,
                task.assignment_id,
                uid,
                value={"sentiment": label},
                seconds=4.0,
                idempotency_key=f"{email}-{n}",
            )


def _card(page: Page, who: str, n: int = 0) -> tuple[int, str]:
    """The ``n``-th card of ``who``'s work: its review id and its item's text."""
    card = page.locator("[data-testid=review]", has_text=who).nth(n)
    return int(card.get_attribute("data-review") or 0), card.locator(".text").first.inner_text()


def test_a_reviewer_accepts_fixes_and_rejects(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """The reviewer reaches the page from the project page and sees six cards with their
    item text, annotator, why and value; A accepts the card in focus, a label button fixes
    one with its comment, a reason rejects another; each redirect shows what happened, the
    outcomes table and the service agree, and the console stays clean."""
    db = demo_server.db
    _seed(db)
    page = page_as("reviewer")
    page.goto(f"/projects/{PROJECT}")
    with page.expect_navigation():
        page.get_by_test_id("review-link").click()
    cards = page.locator("[data-testid=review]")
    who = cards.locator("[data-testid=annotator]").all_inner_texts()
    why = cards.locator("[data-testid=why]").all_inner_texts()
    values = cards.locator("[data-testid=value] dl.answer").all_inner_texts()
    waiting = page.get_by_test_id("waiting").inner_text()
    focused = page.evaluate("() => document.activeElement.dataset.review")
    shoot(page, "review")
    assert page.url.endswith(f"/projects/{PROJECT}/review")
    assert (waiting, who, why) == (
        "6 annotations waiting for review",
        ["ada@demo.labelworks"] * 2 + ["grace@demo.labelworks"] * 2 + ["alan@demo.labelworks"] * 2,
        ["one of their first 2"] * 6,
    )
    assert [v.split() for v in values] == [
        ["sentiment", label] for labels in ANSWERS.values() for label in labels[:2]
    ]
    first, first_text = _card(page, "ada@demo.labelworks")
    assert (focused, len(first_text) > 20) == (str(first), True)

    with page.expect_navigation():
        page.keyboard.press("a")
    accepted = page.get_by_test_id("review-notice").inner_text()

    fixed, _ = _card(page, "grace@demo.labelworks", 1)
    grace = page.locator(f"#review-{fixed}")
    grace.get_by_test_id("fix-comment").fill("mixed, but the last line recommends it")
    with page.expect_navigation():
        grace.get_by_role("button", name="positive").click()
    fixed_notice = page.get_by_test_id("review-notice").inner_text()

    rejected, _ = _card(page, "alan@demo.labelworks")
    alan = page.locator(f"#review-{rejected}")
    alan.focus()
    page.keyboard.press("r")
    on_reason = page.evaluate("() => document.activeElement.dataset.testid")
    alan.get_by_test_id("reason").select_option("missed sarcasm")
    alan.get_by_test_id("reject-comment").fill("read the last sentence again")
    with page.expect_navigation():
        alan.get_by_test_id("reject").click()
    rejected_notice = page.get_by_test_id("review-notice").inner_text()
    rows = [
        row.split("\t")[0].split("\n")[0]
        for row in page.locator("[data-testid=outcome]").all_inner_texts()
    ]
    plots = page.locator("svg.interval title").all_text_contents()
    page.get_by_test_id("outcomes").scroll_into_view_if_needed()
    shoot(page, "review-after")
    left = page.locator("[data-testid=review]").count()
    decided = {
        r.id: (r.status, r.reason, r.comment, r.fixed_value)
        for r in reviews.review_queue(db, PROJECT, status=None)
        if r.status != "pending"
    }
    assert (accepted, fixed_notice, rejected_notice, on_reason, left) == (
        f"Accepted item {_item(db, first)} by ada@demo.labelworks.",
        f"Fixed item {_item(db, fixed)} by grace@demo.labelworks: sentiment: positive. "
        "The original is kept beside it.",
        f"Rejected item {_item(db, rejected)} by alan@demo.labelworks (missed sarcasm): it "
        "waits for alan@demo.labelworks as their next task.",
        "reason",
        3,
    )
    assert decided == {
        first: ("accepted", None, "", None),
        fixed: ("fixed", None, "mixed, but the last line recommends it", {"sentiment": "positive"}),
        rejected: ("rejected", "missed sarcasm", "read the last sentence again", None),
    }
    assert rows == ["alan@demo.labelworks", "grace@demo.labelworks", "ada@demo.labelworks"]
    assert plots == [
        "alan@demo.labelworks: 0% accepted (0 of 1), 95% interval 0% to 79%",
        "grace@demo.labelworks: 0% accepted (0 of 1), 95% interval 0% to 79%",
        "ada@demo.labelworks: 100% accepted (1 of 1), 95% interval 21% to 100%",
    ]
    assert page_log(page).problems() == {}


def _item(db: Database, review_id: int) -> int:
    found = reviews.review_queue(db, PROJECT, status=None, after=review_id - 1, limit=1)
    return found[0].item_id


def test_a_fix_in_json_is_refused_in_place_then_saved(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """On the boxes project the card shows the image with the annotator's box drawn over
    it; F opens the fix with the boxes as JSON; JSON that does not parse comes back at
    the card with the reason and the text as typed (nothing changed); a corrected box is
    saved. The console logs nothing but the refused post's 422."""
    db = demo_server.db
    project = "boxes-demo"
    spec = project_service.get_project(db, project).spec.model_dump(mode="json", by_alias=True)
    quality = {"review": {"first_n": 1}}
    project_service.apply_spec(db, spec_from_dict({**spec, "quality": quality}), guidelines=None)
    uid = users.user_by_email(db, "ada@demo.labelworks").id
    task = assignment.next_task_for(db, project, uid)
    assert task is not None
    box = {"label": "circle", "x": 40, "y": 30, "width": 90, "height": 70}
    assignment.submit_annotation(
        db, task.assignment_id, uid, value={"objects": [box]}, seconds=9.0, idempotency_key="b"
    )
    page = page_as("reviewer")
    page.goto(f"/projects/{project}/review")
    card = page.locator("[data-testid=review]").first
    drawn = card.locator("svg.boxes title").all_text_contents()
    page.keyboard.press("f")
    typing = page.evaluate("() => document.activeElement.dataset.testid")
    card.get_by_test_id("fix-json").fill('[{"label": "circle", "x": 40')
    card.get_by_test_id("fix-comment").fill("too loose")
    with page.expect_navigation():
        card.get_by_test_id("fix").click()
    card = page.locator("[data-testid=review]").first
    error = card.get_by_test_id("review-error").inner_text()
    kept = (
        card.get_by_test_id("fix-json").input_value(),
        card.get_by_test_id("fix-comment").input_value(),
    )
    still = [r.status for r in reviews.review_queue(db, project, status=None)]
    shoot(page, "review-boxes-refused")
    tight = {"label": "circle", "x": 45, "y": 35, "width": 80, "height": 60}
    card.get_by_test_id("fix-json").fill(json.dumps([tight]))
    with page.expect_navigation():
        card.get_by_test_id("fix").click()
    notice = page.get_by_test_id("review-notice").inner_text()
    shoot(page, "review-boxes-fixed")
    (done,) = reviews.review_queue(db, project, status=None)
    assert (drawn, typing, kept, still) == (
        ["circle"],
        "fix-json",
        ('[{"label": "circle", "x": 40', "too loose"),
        ["pending"],
    )
    assert error == (
        "field 'objects' is not valid JSON (line 1, column 29): Expecting ',' delimiter: "
        "line 1 column 29 (char 28). Nothing was changed."
    )
    assert (notice, done.status, done.fixed_value, done.comment) == (
        f"Fixed item {done.item_id} by ada@demo.labelworks: objects: "
        '[{"label": "circle", "x": 45, "y": 35, "width": 80, "height": 60}]. '
        "The original is kept beside it.",
        "fixed",
        {"objects": [tight]},
        "too loose",
    )
    url = f"{demo_server.url}/projects/{project}/review/{done.id}"
    assert page_log(page).problems() == {
        "console_errors": [
            f"{url}: Failed to load resource: the server responded with a status of 422 "
            f"(Unprocessable Entity) [{url}]"
        ]
    }
