"""The leaderboard in the real browser: a manager opens the arena's board (ratings and
win-rate charts drawn, standings in strength order), per category, light, dark and 390 px
without sideways scroll, no console problem; and the annotator who voted never saw a
model's name on the labeling page. Then the judge's pages: the judges list, and the
calibration's charts drawn (the two boards, the confusion, agreement per category), light,
dark and 390 px; and a rating campaign's judge, its model means and agreement per category
drawn, at desktop width and 390 px."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from tests.browser.conftest import log_in
from tests.chat_server import ChatServer
from tests.services.builders import jsonl
from tests.services.campaign_world import ARENA, MODELS, campaign_rows, make_arena, vote
from tests.services.judge_world import biased_judge, judge_arena, letter_rank
from tests.services.test_judges import RATING_PROMPT

from labelworks.config import Settings
from labelworks.domain.prompts import parse_prompt
from labelworks.domain.spec import spec_from_dict
from labelworks.services import passwords
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import set_password
from labelworks.services.ingestion import import_items
from labelworks.services.judges import run_judge
from labelworks.services.projects import apply_spec
from labelworks.services.prompts import push_prompt
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PASSWORD = "correct horse"
CALIBRATION_CHARTS = ("boards", "confusion", "categories")
RUBRIC = "rubric"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the test logs in twice."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def test_the_board_draws_and_the_votes_were_blind(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """Both charts render; the standings are in strength order; the page fits 390 px; an
    evaluator's labeling page shows the prompt and two answers but no model's name. The
    judge's card is listed, and its calibration's three charts render in light and dark,
    without sideways scroll at 390 px; so do a rating campaign's judge's two charts."""
    db = live_server.db
    make_arena(db, prompts=30)
    vote(db, 150)
    settings = Settings(data_dir=live_server.data_dir, llm_backoff=0.01)
    with ChatServer(biased_judge) as chat:
        judge_arena(db, chat.url)
        run_judge(db, ARENA, "gpt-judge", settings=settings)
    _rubric(db, settings)
    add_user(db, "lead@example.com", role="manager", projects=[ARENA, RUBRIC])
    add_user(db, "eve@example.com", role="annotator", projects=[ARENA])
    for email in ("lead@example.com", "eve@example.com"):
        set_password(db, email, PASSWORD)
    page = new_page()
    log_in(page, "lead@example.com", PASSWORD)
    page.goto(f"/projects/{ARENA}/leaderboard?by=category")
    for name in ("ratings", "win-matrix"):
        page.locator(f"[data-chart=chart-{name}][data-rendered=true]").wait_for()
    order = [row.split("\t")[1] for row in page.locator("[data-testid=standing]").all_inner_texts()]
    screenshot(page, "leaderboard")
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.locator("[data-chart=chart-ratings][data-rendered=true]").wait_for()
    screenshot(page, "leaderboard-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-chart=chart-ratings][data-rendered=true]").wait_for()
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "leaderboard-390px")
    judged = _judge_pages(page, screenshot)
    rated = _rating_calibration(page, screenshot)
    evaluator = new_page()
    log_in(evaluator, "eve@example.com", PASSWORD)
    evaluator.goto(f"/projects/{ARENA}/label")
    evaluator.locator("[data-testid=field-pref]").wait_for()
    shown = evaluator.content()
    screenshot(evaluator, "leaderboard-evaluator-task")
    assert (order[0], narrow <= 390) == ("atlas", True)
    assert judged == {"cards": 1, "disagreements": True, "narrow": True}
    assert rated == {"disagreements": True, "narrow": True}
    assert ("reply " in shown, [m for m in MODELS if m in shown]) == (True, [])
    assert (page_log(page).problems(), page_log(evaluator).problems()) == ({}, {})


def _calibration_drawn(page: Page) -> None:
    for name in CALIBRATION_CHARTS:
        page.locator(f"[data-chart=chart-{name}][data-rendered=true]").wait_for()


def _judge_pages(page: Page, screenshot: Screenshot) -> dict[str, object]:
    """From the leaderboard at 390 px: the judges list, then the calibration per category
    (at 390 px, then light and dark at desktop width); what the test asserts."""
    page.get_by_test_id("judges-link").click()
    cards = page.locator("[data-testid=judge]").count()
    narrow = [page.evaluate("() => document.documentElement.scrollWidth")]
    screenshot(page, "judges-390px")
    page.get_by_test_id("calibration-link").click()
    page.get_by_label("Per").fill("category")
    page.get_by_role("button", name="Show").click()
    _calibration_drawn(page)
    narrow.append(page.evaluate("() => document.documentElement.scrollWidth"))
    screenshot(page, "judge-calibration-390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    _calibration_drawn(page)
    rows = page.locator("[data-testid=disagreement]").count()
    screenshot(page, "judge-calibration")
    page.emulate_media(color_scheme="dark")
    page.reload()
    _calibration_drawn(page)
    screenshot(page, "judge-calibration-dark")
    page.emulate_media(color_scheme="light")
    return {"cards": cards, "disagreements": rows > 0, "narrow": max(narrow) <= 390}


def _rubric(db: Database, settings: Settings) -> None:
    """Project 'rubric': the arena's four models on 6 prompts (24 outputs), each rated by
    two people (atlas 4 … dune 1, one of them a point higher on every other output), and
    a judge one point above the second (atlas 5 … dune 2)."""

    def rater(body: dict[str, Any]) -> str:
        content = str(body["messages"][-1]["content"])
        return f"[[{5 - letter_rank(content.split('Answer: ')[1])}]]"

    push_prompt(db, "rater", parse_prompt(RATING_PROMPT))
    with ChatServer(rater) as chat:
        judge = {"endpoint": chat.url, "model": "judge-1", "prompt": "rater@1", "field": "correct"}
        spec = {"name": RUBRIC, "fields": [{"name": "correct", "kind": "rating"}], "overlap": 2,
                "evaluation": {"models": MODELS, "mode": "rating", "seed": 3,
                               "judges": {"gpt-judge": judge}}}  # fmt: skip
        apply_spec(db, spec_from_dict(spec), guidelines=None)
        import_items(db, RUBRIC, jsonl(campaign_rows(6)), format="jsonl", source="rubric.jsonl")
        for who in ("r1", "r2"):
            person = add_user(db, f"{who}@example.com", role="annotator", projects=[RUBRIC])
            while (task := next_task_for(db, RUBRIC, person.user.id)) is not None:
                score = 4 - letter_rank(task.payload["response"])
                score += who == "r1" and task.item_id % 2 == 0
                submit_annotation(db, task.assignment_id, person.user.id,
                                  value={"correct": score}, seconds=1.0,
                                  idempotency_key=f"{who}{task.item_id}")  # fmt: skip
        run_judge(db, RUBRIC, "gpt-judge", settings=settings)


def _rating_calibration(page: Page, screenshot: Screenshot) -> dict[str, object]:
    """The rating judge's calibration per category at desktop width, then at 390 px."""
    page.goto(f"/projects/{RUBRIC}/judges/gpt-judge/calibration?by=category")
    for name in ("means", "categories"):
        page.locator(f"[data-chart=chart-{name}][data-rendered=true]").wait_for()
    rows = page.locator("[data-testid=disagreement]").count()
    screenshot(page, "judge-rating-calibration")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-chart=chart-means][data-rendered=true]").wait_for()
    narrow = page.evaluate("() => document.documentElement.scrollWidth")
    screenshot(page, "judge-rating-calibration-390px")
    return {"disagreements": rows > 0, "narrow": narrow <= 390}
