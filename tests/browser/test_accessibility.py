"""Every page, in light and dark mode, checked in Chromium with axe-core (vendored in
``tests/browser/vendor``, never downloaded): no serious or critical violation. The pages are
found from the app's routes, so a new page is checked without being listed here; managers
see every project page, annotators every kind of labeling page, and each page is kept as a
screenshot under ``test-artifacts/screenshots/a11y-*``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page
from tests.chat_server import ChatServer
from tests.services.campaign_world import make_arena, vote
from tests.services.judge_world import ARENA, biased_judge, judge_arena

from labelworks.config import Settings
from labelworks.domain.prompts import prompt_from_dict
from labelworks.server.app import ROUTERS
from labelworks.services import passwords, prompts, users
from labelworks.services.demo import DEMO_BUILDERS, DEMO_MANAGER, DEMO_PASSWORD
from labelworks.services.judges import run_judge

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, Screenshot

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
PROJECT = "sentiment-demo"
# What each path parameter of a page is filled with; pages with others are not visited.
FILLS = {"project": PROJECT, "item_id": "1", "lot_id": "1", "version": "1", "prompt": "judge",
         "email": "ada@demo.labelworks"}  # fmt: skip
# The demo has no prompts: the test pushes two versions of 'judge' for the prompt's page.
JUDGE = {"description": "Is the answer faithful?", "variables": ["source", "answer"],
         "template": "Source: {{ source }}\nAnswer: {{ answer }}\nReply yes or no.\n"}  # fmt: skip
# Routes that answer fragments for htmx or stream files (the weekly report's download),
# not pages; and /docs, the API
# reference drawn by the vendored Swagger UI, whose markup is not ours to change (its
# operation summaries nest buttons, and its version stamps are grey on grey).
NOT_PAGES = ("/media/", "/ready", "/docs", "/download")
SERIOUS = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => [v.id, v.nodes.slice(0, 3).map((n) => n.target.join(" "))]);
}"""


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for the demo people: these tests are about the pages."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def manager_pages() -> list[str]:
    """Every page of the app (GET, outside the API), its parameters filled from ``FILLS``."""
    paths = set()
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or route.include_in_schema:
                continue
            if "GET" not in route.methods or any(part in route.path for part in NOT_PAGES):
                continue
            names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
            if all(name in FILLS for name in names):
                paths.add(route.path.format(**{n: FILLS[n] for n in names}))
    # Items of other kinds: spans marked in text, segments on a timeline, boxes on an image.
    return [*sorted(paths), *(f"/projects/{p}/items/1" for p in ("ner-demo", "audio-demo"))]


def judged_arena(server: LiveServer) -> list[str]:
    """The campaign world's arena with votes and its judge's verdicts (the demo has no
    campaign): the pages that need them, for the demo manager."""
    make_arena(server.db, prompts=6)
    vote(server.db, 24)
    with ChatServer(biased_judge) as chat:
        judge_arena(server.db, chat.url)
        settings = Settings(data_dir=server.data_dir, llm_backoff=0.01)
        run_judge(server.db, ARENA, "gpt-judge", settings=settings)
    users.add_member(server.db, ARENA, DEMO_MANAGER)
    return [
        f"/projects/{ARENA}/leaderboard",
        f"/projects/{ARENA}/judges",
        f"/projects/{ARENA}/judges/gpt-judge/calibration?by=category",
    ]


def _violations(page: Page) -> list[Any]:
    page.add_script_tag(path=str(AXE))
    found: list[Any] = page.evaluate(RUN)
    return found


def _visit(
    browser: Browser,
    server: LiveServer,
    who: str | None,
    paths: list[str],
    screenshot: Screenshot,
    scheme: str,
) -> dict[str, list[Any]]:
    """Each path's serious and critical violations (pages with none left out)."""
    # axe is injected as a script: the test's browser context lets it past the strict CSP.
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 1280, "height": 900},
        bypass_csp=True,
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    found = {}
    try:
        page = context.new_page()
        if who is not None:
            page.goto("/login")
            page.fill("input[name=email]", who)
            page.fill("input[name=password]", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
        for path in paths:
            page.goto(path)
            if scheme == "light":
                name = re.sub(r"[^a-z0-9]+", "-", f"{who or 'anonymous'} {path}".lower())
                screenshot(page, f"a11y-{name.strip('-')}")
            if violations := _violations(page):
                found[f"{who} {path} ({scheme})"] = violations
    finally:
        context.close()
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_on_any_page(
    demo_server: LiveServer, browser: Browser, screenshot: Screenshot, db_kind: str, scheme: str
) -> None:
    """The login page, every page a manager opens (an arena's leaderboard, judges and
    calibration too), the reviewer's review page and the labeling page of every demo
    project for an annotator: none has a serious or critical axe violation."""
    if db_kind != "sqlite":
        pytest.skip("the pages are the same on every database; SQLite is enough")
    for temperature in (0, 0.5):
        document = {**JUDGE, "parameters": {"temperature": temperature}}
        prompts.push_prompt(demo_server.db, "judge", prompt_from_dict(document))
    visits = [
        (None, ["/login"]),
        (DEMO_MANAGER, [*manager_pages(), *judged_arena(demo_server)]),
        ("reviewer@demo.labelworks", [f"/projects/{PROJECT}/review"]),
        ("ada@demo.labelworks", [f"/projects/{name}/label" for name, _, _ in DEMO_BUILDERS]),
    ]
    found = {}
    for who, paths in visits:
        found.update(_visit(browser, demo_server, who, paths, screenshot, scheme))
    assert found == {}
