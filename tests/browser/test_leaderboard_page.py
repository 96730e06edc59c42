"""The leaderboard in the real browser: a manager opens the arena's board (ratings and
win-rate charts drawn, standings in strength order), per category, light, dark and 390 px
without sideways scroll, no console problem; and the annotator who voted never saw a
model's name on the labeling page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from tests.browser.conftest import log_in
from tests.services.campaign_world import ARENA, MODELS, make_arena, vote

from labelworks.services import passwords
from labelworks.services.auth import set_password
from labelworks.services.users import add_user

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PASSWORD = "correct horse"


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
    evaluator's labeling page shows the prompt and two answers but no model's name."""
    db = live_server.db
    make_arena(db, prompts=30)
    vote(db, 150)
    add_user(db, "lead@example.com", role="manager", projects=[ARENA])
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
    evaluator = new_page()
    log_in(evaluator, "eve@example.com", PASSWORD)
    evaluator.goto(f"/projects/{ARENA}/label")
    evaluator.locator("[data-testid=field-pref]").wait_for()
    shown = evaluator.content()
    screenshot(evaluator, "leaderboard-evaluator-task")
    assert (order[0], narrow <= 390) == ("atlas", True)
    assert ("reply " in shown, [m for m in MODELS if m in shown]) == (True, [])
    assert (page_log(page).problems(), page_log(evaluator).problems()) == ({}, {})
