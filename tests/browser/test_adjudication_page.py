"""The Adjudication and Simulator pages in Chromium, as the demo's manager.

The demo's sentiment and boxes projects get dynamic overlap (2 to 3 annotations until 90%
sure); its three annotators answer through the services so that some items stay split at
3 and wait for an expert. The manager finds the Adjudication page from the project page,
takes one annotator's answer with one click and sets another item's label with the
spec's choices; sees a boxes item's image; then runs a small simulation. Screenshots go
to ``/tmp/lw-shots/`` for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Page

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, catalog, gold, users
from labelworks.services import projects as project_service
from labelworks.services.adjudication import adjudication_queue
from labelworks.storage import consensus as consensus_store
from labelworks.storage.engine import Database

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup

SHOTS = Path("/tmp/lw-shots")
SENTIMENT = "sentiment-demo"
BOXES = "boxes-demo"
DYNAMIC = {"consensus": "majority", "dynamic_overlap": {"min": 2, "max": 3, "confidence": 0.9}}
# Each annotator's boxes on a boxes item: far apart, so no two match.
BOXES_BY = {
    "alan@demo.labelworks": {"label": "circle", "x": 10, "y": 10, "width": 60, "height": 60},
    "grace@demo.labelworks": {"label": "square", "x": 150, "y": 90, "width": 50, "height": 50},
    "ada@demo.labelworks": {"label": "triangle", "x": 240, "y": 160, "width": 40, "height": 40},
}


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot as ``/tmp/lw-shots/<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _dynamic(db: Database, project: str) -> None:
    spec = project_service.get_project(db, project).spec.model_dump(mode="json", by_alias=True)
    data = {**spec, "overlap": 2, "quality": DYNAMIC}
    project_service.apply_spec(db, spec_from_dict(data), guidelines=None)


def _work(
    db: Database, project: str, email: str, answer: Callable[[int], dict[str, Any]], tasks: int
) -> None:
    """The person takes up to ``tasks`` tasks, answering ``answer(item id)``."""
    uid = users.user_by_email(db, email).id
    for n in range(tasks):
        task = assignment.next_task_for(db, project, uid)
        if task is None:
            return
        assignment.submit_annotation(
            db,
            task.assignment_id,
            uid,
            value=answer(task.item_id),
            seconds=4.0,
            idempotency_key=f"{project}-{n}",
        )


def _seed(db: Database) -> list[tuple[int, str | None]]:
    """Alan says positive to every review; Grace negative to every fourth; Ada, asked for a
    third opinion on those, neutral to every other one of them (a three-way split) and
    negative to the rest (two to one). Two boxes items get three boxes that never match.
    Returns the sentiment items waiting (id, external id), in queue order."""
    _dynamic(db, SENTIMENT)
    _dynamic(db, BOXES)
    # The demo's gold reviews are never served as ordinary work: left out of the count.
    held = {answer.item_id for answer in gold.gold_answers(db, SENTIMENT)}
    ids = sorted(
        row.id for row in catalog.list_items(db, SENTIMENT, limit=100).items if row.id not in held
    )
    place = {item: n for n, item in enumerate(ids)}

    def grace(item: int) -> dict[str, Any]:
        return {"sentiment": "negative" if place[item] % 4 == 1 else "positive"}

    def ada(item: int) -> dict[str, Any]:
        return {"sentiment": "neutral" if place[item] % 8 == 1 else "negative"}

    _work(db, SENTIMENT, "alan@demo.labelworks", lambda i: {"sentiment": "positive"}, 100)
    _work(db, SENTIMENT, "grace@demo.labelworks", grace, 100)
    _work(db, SENTIMENT, "ada@demo.labelworks", ada, 100)
    for email, box in BOXES_BY.items():
        _work(db, BOXES, email, lambda i, box=box: {"objects": [box]}, 2)
    return [(case.item_id, case.external_id) for case in adjudication_queue(db, SENTIMENT)]


def test_adjudicate_in_one_click_set_a_label_and_simulate(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """The manager reaches the queue from the Overview (the waiting count on the card),
    reads an item with its annotations side by side and the split marked, takes B's answer
    with one click (the item leaves the queue), sets the next item's label with the spec's
    choice buttons and a note, sees a boxes item's image; then runs a 100-item simulation
    and reads its two bar charts; the console stays clean."""
    db = demo_server.db
    cases = _seed(db)
    waiting = [item for item, _ in cases]
    # 17 of the demo's 20 reviews are served (the last 3 are gold): 4 split three ways.
    assert len(waiting) == 4
    page = page_as("manager")
    page.goto(f"/projects/{SENTIMENT}")
    link = page.locator("[data-testid=adjudication-link]")
    link_text = " ".join(link.inner_text().split())
    with page.expect_navigation():
        link.click()
    first = page.locator("[data-testid=case]").first
    heading = page.locator("h1").inner_text()
    header = " ".join(first.locator("thead").inner_text().split())
    row = first.locator("tbody tr")
    row_text = " ".join(row.inner_text().split())
    marked = (row.get_attribute("class"), first.locator("td.off").count())
    shoot(page, "adjudication")
    assert (link_text, heading, header, row_text, marked) == (
        "4 waiting for adjudication →",
        "Adjudication 4 items waiting for an expert",
        "Field Proposal A B C Votes",
        "sentiment ≠ disagree positive positive negative neutral "
        "1× positive 1× negative 1× neutral",
        ("differs", 2),
    )

    with page.expect_navigation():
        first.locator("[data-testid=take-B]").click()
    notice = page.locator("[data-testid=adjudication-notice]").inner_text()
    listed = [
        int(x)
        for x in page.locator("[data-testid=case]").evaluate_all(
            "cases => cases.map((c) => c.dataset.item)"
        )
    ]
    tab = page.locator("[data-testid=adjudication-tab]").inner_text()
    second = page.locator("[data-testid=case]").first
    second.locator("details.edit summary").click()
    second.locator("label.opt", has_text="neutral").click()
    second.locator("[data-testid=note]").fill("Sarcastic: 'great, it broke' is <not> praise.")
    shoot(page, "adjudication-edit")
    with page.expect_navigation():
        second.locator("[data-testid=take-edit]").click()
    decided = [
        re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "DATE", " ".join(r.split()))
        for r in page.locator("[data-testid=decided] tbody tr").all_inner_texts()
    ]
    shoot(page, "adjudication-after")
    project_id = project_service.get_project(db, SENTIMENT).row.id
    with db.read() as conn:
        adjudicated = consensus_store.finals(conn, project_id, status="adjudicated")
    finals = {f.item_id: f for f in adjudicated}
    assert (notice, listed, tab.split()) == (
        f"Item {waiting[0]} is decided with B's answer: sentiment: negative.",
        waiting[1:],
        ["Adjudication", "3"],
    )
    assert {i: (f.value, f.note) for i, f in finals.items()} == {
        waiting[0]: ({"sentiment": "negative"}, ""),
        waiting[1]: (
            {"sentiment": "neutral"},
            "Sarcastic: 'great, it broke' is <not> praise.",
        ),
    }
    assert decided == [
        f"Item {waiting[1]} {cases[1][1]} sentiment neutral Sarcastic: 'great, it broke' is "
        "<not> praise. lead@demo.labelworks DATE",
        f"Item {waiting[0]} {cases[0][1]} sentiment negative none lead@demo.labelworks DATE",
    ]

    page.goto(f"/projects/{BOXES}/adjudication")
    image = page.locator("[data-testid=content-image]").first
    image.scroll_into_view_if_needed()
    loaded = image.evaluate("img => img.complete && img.naturalWidth")
    chips = page.locator("[data-testid=case]").first.locator("tbody td").all_inner_texts()
    shoot(page, "adjudication-boxes")
    assert (image.get_attribute("src"), loaded, [" ".join(c.split()) for c in chips]) == (
        f"/media/{BOXES}/images/0001.png",
        320,
        [
            "circle at (10, 10) 60×60",
            "circle at (10, 10) 60×60",
            "square at (150, 90) 50×50",
            "triangle at (240, 160) 40×40",
        ],
    )

    page.goto(f"/projects/{SENTIMENT}/quality")
    cards = page.locator("[data-testid=consensus-summary] .figure").all_inner_texts()
    shoot(page, "quality-consensus")
    assert [" ".join(c.split()) for c in cards] == [
        "Majority vote decides final labels",
        "2–3 annotations per item, until 90% sure",
        "0 still being labeled",
        "13 final labels",
        "2 waiting for adjudication →",
        "2 decided by an expert",
    ]

    with page.expect_navigation():
        page.get_by_role("link", name="Simulator").click()
    page.fill("[data-testid=sim-items]", "100")
    page.fill("[data-testid=sim-annotators]", "6")
    with page.expect_navigation(timeout=120_000):
        page.click("[data-testid=sim-run]")
    bars = page.locator("svg.bars")
    labels = [bars.nth(i).get_attribute("aria-label") or "" for i in range(bars.count())]
    boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
    figures = page.locator("[data-testid=sim-figures] dt").all_inner_texts()
    shoot(page, "simulate")
    assert ([label.split(":")[0] for label in labels], figures) == (
        ["Accuracy", "Annotations per item"],
        [
            "Spammers paused",
            "Honest people paused",
            "Sent to adjudication",
            "Gold leaks",
            "Lost annotations",
            "Time",
        ],
    )
    assert [(b is not None and b["width"] > 300 and b["height"] > 60) for b in boxes] == [
        True,
        True,
    ]
    assert page_log(page).problems() == {}
