"""The Evaluation tab in the real browser: a manager scores a model version from the form
and reads its run (per-class bars, confusion matrix, reliability diagram and slices all
drawn), sees it on the tab's chart of latest runs, then compares two versions (the slice
chart drawn, the verdict shown); every page fits 390 px and logs no problem."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from tests.browser.conftest import log_in
from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion, passwords, predictions
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
CHANNELS = ("email", "chat", "phone")
SPEC = {
    "name": PROJECT,
    "description": "Sentiment of support tickets",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": list(LABELS)}],
    "overlap": 1,
    "quality": {"consensus": "majority"},
}
CHARTS = ("classes", "confusion", "reliability", "slices")


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the test logs in once."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def _guess(rng: random.Random, truth: str, skill: float) -> tuple[str, dict[str, float]]:
    """A model's answer and class probabilities: surer when right, as a decent model is."""
    right = rng.random() < skill
    answer = truth if right else rng.choice([x for x in LABELS if x != truth])
    sure = rng.uniform(0.6, 0.98) if right else rng.uniform(0.4, 0.8)
    rest = (1 - sure) / 2
    return answer, {x: (round(sure, 4) if x == answer else round(rest, 4)) for x in LABELS}


def _seed(db: Database) -> None:
    """200 tickets over three channels, 150 decided; v1 right 72% of the time, v2 84% but
    weaker on phone tickets; a manager with a password."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nHow the customer feels.")
    rng = random.Random(3)
    truth = [rng.choice(LABELS) for _ in range(200)]
    rows = [
        {
            "external_id": f"t{i}",
            "text": f"ticket {i}",
            "metadata": {"channel": CHANNELS[i % 3]},
        }
        for i in range(200)
    ]
    ingestion.import_items(db, PROJECT, jsonl(rows), format="jsonl", source="tickets.jsonl")
    person = add_user(db, "bo@example.com", role="annotator", projects=[PROJECT]).user.id
    for k in range(150):
        task = next_task_for(db, PROJECT, person)
        assert task is not None
        value = {"sentiment": truth[task.item_id - 1]}
        submit_annotation(db, task.assignment_id, person, value=value, seconds=2.0,
                          idempotency_key=f"k{k}")  # fmt: skip
    for version, skill in (("1", 0.72), ("2", 0.84)):
        pushed: list[dict[str, Any]] = []
        for i in range(200):
            weaker = version == "2" and CHANNELS[i % 3] == "phone"
            answer, probabilities = _guess(rng, truth[i], 0.6 if weaker else skill)
            pushed.append({"item": f"t{i}", "model": "ticket-bert", "version": version,
                           "value": {"sentiment": answer}, "score": max(probabilities.values()),
                           "probabilities": {"sentiment": probabilities}})  # fmt: skip
        predictions.push(db, PROJECT, pushed)
    add_user(db, "lead@example.com", role="manager", projects=[PROJECT])
    set_password(db, "lead@example.com", PASSWORD)


def test_a_manager_scores_and_compares_model_versions(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """From the tab's form to the run page with its four charts drawn; then the compare
    page's verdict and slice chart; light, dark and 390 px without sideways scroll."""
    _seed(live_server.db)
    page = new_page()
    log_in(page, "lead@example.com", PASSWORD)
    page.goto(f"/projects/{PROJECT}/evaluation")
    screenshot(page, "evaluation-tab")
    page.select_option("[data-testid=run-model]", "ticket-bert@2")
    page.fill("[data-testid=run-slice]", "channel")
    with page.expect_navigation():
        page.click("[data-testid=run-now]")
    for name in CHARTS:
        page.locator(f"[data-chart=chart-{name}][data-rendered=true]").wait_for()
    title = page.inner_text("[data-testid=run-title]")
    headline = page.inner_text("[data-testid=figure-headline] b")
    drawn = {name: page.locator(f"[data-chart=chart-{name}] svg").count() > 0 for name in CHARTS}
    screenshot(page, "evaluation-run")
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.locator("[data-chart=chart-confusion][data-rendered=true]").wait_for()
    screenshot(page, "evaluation-run-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-chart=chart-classes][data-rendered=true]").wait_for()
    narrow_run = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "evaluation-run-390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/projects/{PROJECT}/evaluation")
    page.locator("[data-chart=chart-latest-runs][data-rendered=true]").wait_for()
    runs = page.locator("[data-testid=eval-run]").count()
    screenshot(page, "evaluation-tab-with-run")

    page.goto(f"/projects/{PROJECT}/evaluation/compare")
    page.select_option("[data-testid=compare-a]", "ticket-bert@1")
    page.select_option("[data-testid=compare-b]", "ticket-bert@2")
    page.fill("input[name=slice]", "channel")
    with page.expect_navigation():
        page.click("[data-testid=compare-now]")
    page.locator("[data-chart=chart-compare-slices][data-rendered=true]").wait_for()
    verdict = page.inner_text("[data-testid=verdict]")
    screenshot(page, "evaluation-compare")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-chart=chart-compare-slices][data-rendered=true]").wait_for()
    narrow_compare = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "evaluation-compare-390px")
    assert (title, headline.endswith("%"), drawn) == (
        "ticket-bert@2 on sentiment against final labels",
        True,
        dict.fromkeys(CHARTS, True),
    )
    assert (runs, verdict in ("B is better", "no clear difference")) == (1, True)
    assert (narrow_run <= 390, narrow_compare <= 390) == (True, True)
    assert page_log(page).problems() == {}
