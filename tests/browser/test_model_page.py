"""The Model tab in the real browser: a manager reads three versions of a project's baseline
model (its learning curve drawn), trains a fourth with Train now and sees the job's row
follow it until the new version is on the page; the page fits 390 px; its Active learning
page draws uncertainty against random order; an annotator then gets the model's suggestion
prefilled on the labeling page."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from tests.browser.conftest import log_in
from tests.browser.test_widgets import current_task
from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assist, ingestion, passwords
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PROJECT = "support"
PASSWORD = "correct horse"
LABELS = ("positive", "negative", "neutral")
WORDS = {
    "positive": ["great", "love", "fast", "perfect", "happy", "recommend"],
    "negative": ["broken", "late", "refund", "awful", "rude", "never"],
    "neutral": ["okay", "arrived", "average", "fine", "expected", "normal"],
}
FILLER = ["the", "box", "order", "delivery", "product", "price", "support", "app", "again"]
SPEC = {
    "name": PROJECT,
    "description": "Sentiment of support tickets",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": list(LABELS)}],
    "overlap": 1,
    "quality": {"consensus": "majority"},
    # Far from due when seeded (160 learnt, 180 decided): the server's minute check starts
    # no training of its own while the test runs.
    "assist": {"field": "sentiment", "every": 50, "min_labels": 40},
}


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the test logs in twice."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def _tickets(n: int) -> tuple[list[str], dict[str, str]]:
    """n tickets whose words lean to their sentiment (with a word of another), and the
    label a person gives each (right nine times in ten)."""
    rng = random.Random(5)
    texts, given = [], {}
    for i in range(n):
        truth = rng.choice(LABELS)
        other = rng.choice([label for label in LABELS if label != truth])
        words = [*rng.sample(WORDS[truth], 2), rng.choice(WORDS[other]), *rng.sample(FILLER, 3)]
        rng.shuffle(words)
        text = f"ticket {i}: {' '.join(words)}"
        texts.append(text)
        given[text] = truth if rng.random() < 0.9 else rng.choice(LABELS)
    return texts, given


def _label(db: Database, person: int, given: dict[str, str], n: int, key: str) -> None:
    for k in range(n):
        task = next_task_for(db, PROJECT, person)
        assert task is not None
        value = {"sentiment": given[str(task.payload["text"])]}
        submit_annotation(db, task.assignment_id, person, value=value, seconds=2.0,
                          idempotency_key=f"{key}{k}")  # fmt: skip


def _seed(db: Database) -> None:
    """300 tickets; versions 1-3 learnt from 60, 110 and 160 final labels, 20 decided
    since; a manager, and an annotator who has labelled nothing."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nHow the customer feels.")
    texts, given = _tickets(300)
    rows = jsonl([{"text": t} for t in texts])
    ingestion.import_items(db, PROJECT, rows, format="jsonl", source="tickets.jsonl")
    labeller = add_user(db, "bo@example.com", role="annotator", projects=[PROJECT]).user.id
    for email, role in (("lead@example.com", "manager"), ("ada@example.com", "annotator")):
        add_user(db, email, role=role, projects=[PROJECT])
        set_password(db, email, PASSWORD)
    for stage, n in enumerate((60, 50, 50)):
        _label(db, labeller, given, n, f"s{stage}-")
        assist.train(db, PROJECT)
    _label(db, labeller, given, 20, "after-")


def test_the_model_page_trains_and_the_labeling_page_suggests(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """The learning curve draws; Train now's job row shows, ends succeeded and the page then
    shows v4; nothing scrolls sideways at 390 px; the Active learning page draws its
    comparison of uncertainty and random order; the annotator's task comes with v4's
    suggestion prefilled and marked."""
    db = live_server.db
    _seed(db)
    page = new_page()
    log_in(page, "lead@example.com", PASSWORD)
    page.goto(f"/projects/{PROJECT}/model")
    curve = page.locator("[data-chart=chart-learning-curve]")
    page.locator("[data-chart=chart-learning-curve][data-rendered]").wait_for()
    drawn = (curve.get_attribute("data-rendered"), curve.locator("svg path").count() > 6)
    before = page.locator("[data-testid=version]").count()
    screenshot(page, "model-page")
    # charts.js picks its colours as it draws: reload in dark mode to see the dark chart.
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.locator("[data-chart=chart-learning-curve][data-rendered=true]").wait_for()
    screenshot(page, "model-page-dark")
    page.emulate_media(color_scheme="light")
    page.reload()

    with page.expect_navigation():
        page.click("[data-testid=train-now]")
    notice = page.inner_text("[data-testid=model-notice]")
    first = page.get_attribute("tr[data-testid=job]", "data-state")
    progress = page.locator("tr[data-testid=job] [data-testid=job-progress]").count()
    # jobs.js follows the job and reloads the page once it has ended.
    page.locator("tr[data-testid=job][data-state=succeeded]").wait_for(timeout=60_000)
    version = page.inner_text("[data-testid=figure-version] b")
    after = page.locator("[data-testid=version]").count()
    outcome = page.inner_text("[data-testid=job-outcome]")
    screenshot(page, "model-page-trained")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-chart=chart-learning-curve][data-rendered=true]").wait_for()
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "model-page-390px")
    # The Active learning page: uncertainty against random order, drawn.
    with page.expect_navigation():
        page.click("[data-testid=curve-link]")
    strategies = page.locator("[data-chart=chart-strategies]")
    page.locator("[data-chart=chart-strategies][data-rendered]").wait_for()
    compared = (
        strategies.get_attribute("data-rendered"),
        strategies.locator("svg path").count() > 6,
        page.inner_text("[data-testid=routing-order]"),
        page.evaluate("() => document.documentElement.scrollWidth") <= 390,
    )
    screenshot(page, "model-curve-390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "model-curve")
    manager_problems = page_log(page).problems()

    annotator = new_page()
    log_in(annotator, "ada@example.com", PASSWORD)
    annotator.goto(f"/projects/{PROJECT}/label")
    badge = annotator.locator("[data-testid=field-sentiment] [data-testid=suggestion-badge]")
    badge.wait_for()
    task = current_task(annotator, db)
    shown = annotator.evaluate("window.LW.state")
    screenshot(annotator, "model-suggestion-on-labeling")
    assert (drawn, before, first in ("queued", "running", "succeeded"), progress) == (
        ("true", True),
        3,
        True,
        1,
    )
    assert (notice, version, after, outcome.startswith("version 4: "), narrow <= 390) == (
        "Training job 1 started; its progress shows below.",
        "v4",
        4,
        True,
        True,
    )
    score = badge.inner_text().rsplit("(", 1)[1].split(")")[0]
    assert (shown["value"], shown["suggested"], badge.inner_text()) == (
        {"sentiment": task.suggestions[0]["sentiment"]},
        {"sentiment": True},
        f"suggestion from labelworks-baseline:sentiment ({score}): edit or confirm",
    )
    assert compared == ("true", True, "sequential", True)
    assert (manager_problems, page_log(annotator).problems()) == ({}, {})


def test_without_assist_or_a_model_the_page_says_what_to_do(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """A project without assist gets the YAML to turn it on; one with assist but too few
    final labels says how many more the first training needs; both fit 390 px."""
    db = live_server.db
    apply_spec(db, spec_from_dict({**SPEC, "name": "plain", "assist": None}), guidelines=None)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    add_user(db, "lead@example.com", role="manager", projects=["plain", PROJECT])
    set_password(db, "lead@example.com", PASSWORD)
    page = new_page()
    log_in(page, "lead@example.com", PASSWORD)
    seen = {}
    for name, testid in (("plain", "model-off"), (PROJECT, "no-model")):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"/projects/{name}/model")
        screenshot(page, f"model-page-{testid}")
        page.set_viewport_size({"width": 390, "height": 844})
        narrow = page.evaluate("() => document.documentElement.scrollWidth")
        screenshot(page, f"model-page-{testid}-390px")
        seen[name] = (page.locator(f"[data-testid={testid}] h3").inner_text(), narrow <= 390)
    assert seen == {
        "plain": ("Turn on the baseline model", True),
        PROJECT: ("No model yet", True),
    }
    assert page_log(page).problems() == {}
