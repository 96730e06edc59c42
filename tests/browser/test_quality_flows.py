"""What an annotator sees of quality control on the labeling page, in Chromium: a
qualification test announced in the meta line and then ordinary work; a training project's
verdict after each answer, with the expert's answer and explanation; new guidelines shown as
a banner with the diff until they say they have read them. Each step is checked against the
database, the console stays clean, and screenshots go to ``/tmp/lw-shots/`` for people to
look at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from sqlalchemy import select
from tests.browser.conftest import log_in
from tests.browser.test_widgets import NEXT, READY, press
from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion, passwords
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.qualification_report import qualification_report
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.tables import assignments, gold_answers, items

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory

SHOTS = Path("/tmp/lw-shots")
PASSWORD = "correct horse battery"
ANNOTATOR = "cleo@example.com"
MANAGER = "lead@example.com"
LABELS = ["positive", "negative", "neutral"]
# Expert explanations, each with markup that must stay text.
WHY = [
    "Sarcasm: “<b>great</b>, another broken hinge” is negative.",
    "Says “<i>love the battery</i>” and recommends it.",
    "Only describes the box it came in: <u>no opinion</u>.",
    'Returns it <img src=x onerror="window.__xss=1">: the return decides it.',
]
EXPERT = ["negative", "positive", "neutral", "negative"]
GUIDELINES_V1 = "# Sentiment\n\nLabel the feeling of the review.\n"
GUIDELINES_V2 = GUIDELINES_V1 + "\nSarcasm counts as <em>negative</em>.\n"


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot as ``/tmp/lw-shots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: every test logs people in."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@dataclass
class Site:
    server: LiveServer
    manager_token: str

    @property
    def db(self) -> Database:
        return self.server.db


def _project(db: Database, name: str, quality: dict[str, Any], guidelines: str) -> None:
    """A sentiment project with 3 ordinary items and 4 gold items (``EXPERT``, ``WHY``)."""
    spec = {
        "name": name,
        "fields": [{"name": "sentiment", "kind": "choice", "labels": LABELS}],
        "overlap": 1,
        "quality": quality,
    }
    apply_spec(db, spec_from_dict(spec), guidelines=guidelines)
    rows: list[dict[str, Any]] = [{"text": f"An ordinary review, number {i}."} for i in range(3)]
    rows += [
        {"text": f"Review question {n}.", "gold": {"sentiment": label}, "gold_explanation": why}
        for n, (label, why) in enumerate(zip(EXPERT, WHY, strict=True))
    ]
    ingestion.import_items(db, name, jsonl(rows), format="jsonl", source=f"{name}.jsonl")


@pytest.fixture
def site(live_server: LiveServer) -> Iterator[Site]:
    """Three projects (a qualification test, a training project, plain work with
    guidelines), an annotator in all of them and their manager (with a token)."""
    db = live_server.db
    _project(db, "qual", {"qualification": {"items": 2, "pass": 1.0, "retries": 1}}, "# Rules")
    _project(db, "drill", {"training": True}, "# Rules")
    _project(db, "guide", {}, GUIDELINES_V1)
    projects = ["qual", "drill", "guide"]
    add_user(db, ANNOTATOR, role="annotator", name="Cleo", projects=projects)
    made = add_user(db, MANAGER, role="manager", projects=projects, with_token=True)
    assert made.token is not None
    for email in (ANNOTATOR, MANAGER):
        set_password(db, email, PASSWORD)
    yield Site(live_server, made.token)


def _labeling(new_page: PageFactory, project: str) -> Page:
    page = new_page()
    log_in(page, ANNOTATOR, PASSWORD)
    page.goto(f"/projects/{project}/label")
    page.wait_for_function(READY)
    return page


def _shown(page: Page, db: Database) -> tuple[str, str | None]:
    """The shown task's item text and, for a gold item, the expert's label."""
    assignment_id = page.evaluate("window.LW.state.assignmentId")
    with db.read() as conn:
        row = conn.execute(
            select(items.c.payload, gold_answers.c.value)
            .join(assignments, assignments.c.item_id == items.c.id)
            .outerjoin(gold_answers, gold_answers.c.item_id == items.c.id)
            .where(assignments.c.id == assignment_id)
        ).one()
    expert = None if row.value is None else json.loads(row.value)["sentiment"]
    return json.loads(row.payload)["text"], expert


def _answer(page: Page, label: str) -> dict[str, Any]:
    """Pick ``label`` with its number key, submit with Ctrl+Enter and wait for the next
    task (or All done); the page's state before the submit."""
    press(page, str(LABELS.index(label) + 1))
    before: dict[str, Any] = page.evaluate("window.LW.state")
    press(page, "Control+Enter")
    page.wait_for_function(NEXT, arg=before["assignmentId"])
    return before


def _meta(page: Page) -> str:
    """The meta line, without the lease's clock time."""
    return page.locator("[data-testid=item-meta]").inner_text().split(" · reserved")[0]


def test_a_qualification_test_then_ordinary_work(
    site: Site, new_page: PageFactory, page_log: LogLookup
) -> None:
    """The meta line announces each test question; two right answers pass the test, and
    the next task is ordinary work with no note; the manager's Quality page says Passed."""
    page = _labeling(new_page, "qual")
    steps = []
    for _ in range(2):
        text, expert = _shown(page, site.db)
        steps.append((_meta(page), text.startswith("Review question"), expert is not None))
        if not steps[1:]:
            shoot(page, "qualification-question")
        assert expert is not None
        _answer(page, expert)
    text, expert = _shown(page, site.db)
    work = (page.locator("[data-testid=item-meta]").inner_text(), text, expert)
    status = page.evaluate("window.LW.state.status")
    shoot(page, "qualification-passed-work")
    (cleo,) = [m for m in qualification_report(site.db, "qual").members if m.role == "annotator"]
    assert steps == [
        ("Qualification test, attempt 1 of 2: question 1 of 2", True, True),
        ("Qualification test, attempt 1 of 2: question 2 of 2", True, True),
    ]
    assert (work[0].startswith("Reserved for you until "), work[1][:19], work[2]) == (
        True,
        "An ordinary review,",
        None,
    )
    assert (status, cleo.state.value, cleo.correct) == (
        {"text": "Saved.", "kind": "ok"},
        "qualified",
        2,
    )
    manager = new_page()
    log_in(manager, MANAGER, PASSWORD)
    manager.goto("/projects/qual/quality")
    row = manager.locator("[data-testid=qualification-member]", has_text="Cleo")
    passed = row.locator(".pill").inner_text()
    shoot(manager, "qualification-quality-page")
    assert passed == "Passed"
    assert (page_log(page).problems(), page_log(manager).problems()) == ({}, {})


def test_training_feedback_after_each_answer(
    site: Site, new_page: PageFactory, page_log: LogLookup
) -> None:
    """A wrong answer is answered "Not quite." with the expert's label and explanation (its
    markup shown as text, nothing run), a right one "Right."; the meta line says it is
    training."""
    page = _labeling(new_page, "drill")
    meta = _meta(page)
    text, expert = _shown(page, site.db)
    assert expert is not None
    question = int(text.removeprefix("Review question ").rstrip("."))
    wrong = next(label for label in LABELS if label != expert)
    _answer(page, wrong)
    after_wrong = page.evaluate("window.LW.state.status")
    markup = page.locator("[data-testid=status-message] :is(b, i, u, img)").count()
    ran = page.evaluate("typeof window.__xss")
    shoot(page, "training-feedback-wrong")
    _, expert2 = _shown(page, site.db)
    assert expert2 is not None
    _answer(page, expert2)
    after_right = page.evaluate("window.LW.state.status")
    shoot(page, "training-feedback-right")
    assert (meta, expert) == (
        "Training: each answer is followed by the expert's answer",
        EXPERT[question],
    )
    assert (after_wrong, markup, ran) == (
        {
            "text": f"Not quite. The expert's answer: sentiment: {expert}. {WHY[question]}",
            "kind": "warn",
        },
        0,
        "undefined",
    )
    assert (after_right["kind"], after_right["text"].split(" The expert's answer: ")[0]) == (
        "ok",
        "Right.",
    )
    assert page_log(page).problems() == {}


def test_changed_guidelines_banner_then_work(
    site: Site, new_page: PageFactory, page_log: LogLookup
) -> None:
    """After the manager applies a spec with new guidelines, the annotator's next task is
    held back by a banner with the changelog and the diff; "I have read version 2" records
    it and loads the next task, made under version 2, saying the side panel still shows
    version 1; its reload link brings version 2 into the panel and the same task back."""
    page = _labeling(new_page, "guide")
    spec = {
        "name": "guide",
        "fields": [{"name": "sentiment", "kind": "choice", "labels": LABELS}],
        "overlap": 1,
        "guidelines": GUIDELINES_V2,
        "guidelines_changelog": "Sarcasm is negative",
    }
    applied = httpx.put(
        f"{site.server.url}/api/v1/projects/guide",
        json=spec,
        headers={"Authorization": f"Bearer {site.manager_token}"},
    )
    assert applied.status_code == 200, applied.text
    first = page.evaluate("window.LW.state.assignmentId")
    press(page, "1")
    press(page, "Control+Enter")
    banner = page.locator("[data-testid=guidelines-banner]")
    banner.locator("[data-testid=acknowledge-button]").wait_for()
    shown = (
        banner.locator("strong").inner_text(),
        banner.locator("[data-testid=guidelines-diff]").inner_text().splitlines(),
        banner.locator("[data-testid=acknowledge-button]").inner_text(),
        page.evaluate("window.LW.state.status"),
    )
    shoot(page, "guidelines-banner")
    banner.locator("[data-testid=acknowledge-button]").click()
    page.wait_for_function(NEXT, arg=first)
    after = (
        banner.inner_text(),
        page.evaluate("window.LW.state.status"),
        page.evaluate("window.LW.state.guidelineVersion"),
    )
    shoot(page, "guidelines-acknowledged")
    second = page.evaluate("window.LW.state.assignmentId")
    with page.expect_navigation():
        banner.get_by_role("link").click()
    page.wait_for_function(READY)
    reloaded = (
        banner.is_hidden(),
        page.locator("[data-testid=guidelines] summary").inner_text(),
        "Sarcasm counts as" in (page.locator("[data-testid=guidelines]").text_content() or ""),
        page.evaluate("window.LW.state.assignmentId") == second,
    )
    assert shown[0].startswith("The guidelines changed (version 1 → 2).")
    assert shown[1:] == (
        [
            "--- version 1",
            "+++ version 2",
            "@@ -2,2 +2,4 @@",
            " ",
            " Label the feeling of the review.",
            "+",
            "+Sarcasm counts as <em>negative</em>.",
        ],
        "I have read version 2",
        {"text": "Read what changed in the guidelines, then continue.", "kind": "warn"},
    )
    assert after == (
        "The guidelines panel still shows version 1. Reload the page to read version 2 in full. "
        "Dismiss",
        {"text": "Thanks: guidelines version 2 acknowledged.", "kind": "ok"},
        2,
    )
    assert reloaded == (True, "Guidelines v2", True, True)
    # Chromium notes the held-back lease's 409 as a failed resource; nothing else is logged.
    url = site.server.url
    assert page_log(page).problems() == {
        "console_errors": [
            f"{url}/projects/guide/label: Failed to load resource: the server responded with "
            f"a status of 409 (Conflict) [{url}/api/v1/projects/guide/next]"
        ]
    }
