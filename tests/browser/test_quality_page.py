"""The Quality page and the item page's gold form in Chromium, as the demo's manager.

The demo's sentiment project gets gold questions and a pause rule; its three annotators
answer them through the services (Ada, of a vendor, badly enough to be paused). The manager
then finds the Quality page from the project page, reads the interval plots, marks an item
gold through the item page's form (a bad answer first), and reinstates Ada with the button.
Screenshots go to ``/tmp/lw-shots/`` for people to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Page

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, catalog, gold, users
from labelworks.services import projects as project_service
from labelworks.storage.engine import Database

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup

SHOTS = Path("/tmp/lw-shots")
PROJECT = "sentiment-demo"
LABELS = ("positive", "negative", "neutral")
WHY = [
    "Praises the battery but returns the product: the return decides it.",
    "Only complaints about shipping, none about the product itself.",
    "Sarcasm: 'great, another broken hinge' is negative.",
    "Mixed review; the last sentence recommends it.",
    "",
]


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot as ``/tmp/lw-shots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _with_quality(db: Database, quality: dict[str, Any]) -> None:
    spec = project_service.get_project(db, PROJECT).spec.model_dump(mode="json", by_alias=True)
    project_service.apply_spec(db, spec_from_dict({**spec, "quality": quality}), guidelines=None)


def _answer(db: Database, email: str, choose: Callable[[int, int], str], tasks: int) -> None:
    """The person takes ``tasks`` tasks, answering ``choose(item id, task number)``."""
    uid = users.user_by_email(db, email).id
    for n in range(tasks):
        task = assignment.next_task_for(db, PROJECT, uid)
        assert task is not None
        value = {"sentiment": choose(task.item_id, n)}
        assignment.submit_annotation(
            db, task.assignment_id, uid, value=value, seconds=3.0, idempotency_key=f"q{n}"
        )


def _seed_gold(db: Database) -> tuple[list[int], list[int]]:
    """Five gold items, served first (gold rate 1 while seeding, 5% after); Alan answers
    all right, Grace four of five, Ada only the first she gets of four (and is paused).
    Returns the gold and the other item ids."""
    _with_quality(db, {"gold_rate": 1.0, "auto_pause": {"min_gold": 4, "below": 0.7}})
    ids = [row.id for row in catalog.list_items(db, PROJECT, limit=100).items]
    gold_ids, plain = ids[-5:], ids[:-5]
    expert = {i: LABELS[n % 3] for n, i in enumerate(gold_ids)}
    for n, item_id in enumerate(gold_ids):
        gold.mark_gold(
            db, PROJECT, item_id, value={"sentiment": expert[item_id]}, explanation=WHY[n]
        )

    def right(item_id: int, n: int) -> str:
        return expert.get(item_id, "positive")

    def wrong(item_id: int, n: int) -> str:
        return LABELS[(LABELS.index(expert[item_id]) + 1) % 3]

    _answer(db, "alan@demo.labelworks", right, 7)
    _answer(
        db, "grace@demo.labelworks", lambda i, n: (wrong if i == gold_ids[2] else right)(i, n), 6
    )
    _answer(db, "ada@demo.labelworks", lambda i, n: (right if n == 0 else wrong)(i, n), 4)
    _with_quality(db, {"gold_rate": 0.05, "auto_pause": {"min_gold": 4, "below": 0.7}})
    return gold_ids, plain


def test_quality_page_gold_form_and_reinstate(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """The manager reaches the Quality page from the project page and sees an interval plot
    per annotator, with no sideways scrolling and the names column kept at 390 px wide;
    marks an item gold through its page (after an invalid answer is shown and changes
    nothing); reinstates the paused annotator; the console logs nothing but the refused
    answer's 422."""
    db = demo_server.db
    gold_ids, plain = _seed_gold(db)
    page = page_as("manager")
    page.goto(f"/projects/{PROJECT}")
    with page.expect_navigation():
        page.get_by_role("link", name="Quality").click()
    plots = page.locator("svg.interval")
    boxes = [plots.nth(i).bounding_box() for i in range(plots.count())]
    titles = [plots.nth(i).locator("title").text_content() for i in range(plots.count())]
    rows = page.locator("[data-testid=annotator] td.who b").all_inner_texts()
    paused = page.locator("[data-testid=pause-reason]").all_inner_texts()
    shoot(page, "quality")
    # On a phone the wide table scrolls inside its box; nothing else widens the page.
    wide = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    narrow = page.evaluate("document.documentElement.scrollWidth")
    # The names column stays (only the top bar's own name hides on a phone).
    named = page.locator("[data-testid=annotator] td.who").first.is_visible()
    shoot(page, "quality-390px")
    assert wide is not None
    page.set_viewport_size(wide)
    assert (narrow <= 390, named) == (True, True)
    assert (page.url.endswith(f"/projects/{PROJECT}/quality"), rows) == (
        True,
        ["Ada", "Grace", "Alan"],
    )
    assert [(b is not None and b["width"] > 200 and b["height"] > 20) for b in boxes] == [
        True,
        True,
        True,
    ]
    assert titles == [
        "Ada: 25% correct (1 of 4), 95% interval 5% to 70%; pause bar 70%",
        "Grace: 80% correct (4 of 5), 95% interval 38% to 96%; pause bar 70%",
        "Alan: 100% correct (5 of 5), 95% interval 57% to 100%; pause bar 70%",
    ]
    assert paused == [
        "paused: 1 of 4 gold answers correct (25%, 95% interval 5%–70%) is below the "
        "project's bar of 70%; a manager can reinstate you"
    ]

    page.goto(f"/projects/{PROJECT}/items/{plain[-1]}")
    page.fill("[data-testid=gold-value]", '{"sentiment": "furious"}')
    page.fill("[data-testid=gold-explanation-input]", "Shouting <b>in caps</b> at support.")
    with page.expect_navigation():
        page.click("[data-testid=gold-save]")
    refused = page.locator("[data-testid=gold-error]").inner_text()
    shoot(page, "item-gold-error")
    page.fill("[data-testid=gold-value]", '{"sentiment": "negative"}')
    with page.expect_navigation():
        page.click("[data-testid=gold-save]")
    notice = page.locator("[data-testid=item-notice]").inner_text()
    card = page.locator("[data-testid=gold-card] dl.answer").inner_text()
    explained = page.locator("[data-testid=gold-explanation]").inner_text()
    shoot(page, "item-gold")
    assert (refused, notice, card.split(), explained) == (
        "field 'sentiment': 'furious' is not one of the labels 'positive', 'negative', "
        "'neutral'. Nothing was changed.",
        f"Item {plain[-1]} is a gold question with this answer.",
        ["sentiment", "negative"],
        "Shouting <b>in caps</b> at support.",
    )

    page.goto(f"/projects/{PROJECT}/quality")
    ada = page.locator("[data-testid=annotator]", has_text="Ada")
    with page.expect_navigation():
        ada.get_by_role("button", name="Reinstate").click()
    notice = page.locator("[data-testid=quality-notice]").inner_text()
    listed = page.locator("[data-testid=gold-items] td:first-child a").all_inner_texts()
    page.locator("[data-testid=gold-items]").scroll_into_view_if_needed()
    shoot(page, "quality-after-reinstate")
    report = gold.gold_report(db, PROJECT)
    assert (notice, [a.paused for a in report.annotators], listed) == (
        "ada@demo.labelworks is reinstated and gets tasks again; auto-pause counts only "
        "their gold answers from now on.",
        [None, None, None],
        [f"Item {i}" for i in sorted([plain[-1], *gold_ids])],
    )
    # The refused answer's page comes with status 422, which Chromium logs; nothing else.
    assert page_log(page).problems() == {
        "console_errors": [
            f"{demo_server.url}/projects/{PROJECT}/items/{plain[-1]}/gold: Failed to load "
            "resource: the server responded with a status of 422 (Unprocessable Entity) "
            f"[{demo_server.url}/projects/{PROJECT}/items/{plain[-1]}/gold]"
        ]
    }
