"""The capacity pages in the real browser: the allocation across projects with its chart,
then a project's Capacity tab with the burn-up and its forecast cone and the daily
history drawn by the vendored Vega under the strict CSP; moving a what-if slider reloads
the page with the scenario in its address."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING

from playwright.sync_api import Page
from tests.services.builders import load_texts, make_project
from tests.services.capacity_world import build

from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import set_password
from labelworks.services.users import add_member, add_user
from labelworks.storage.engine import Database

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PASSWORD = "correct horse battery"


def _drawn(page: Page, timeout: float = 15.0) -> dict[str, str | None]:
    """Each chart's state once none is still drawing (waited for from Python: the CSP
    forbids the string bodies ``wait_for_function`` would evaluate)."""
    deadline = time.monotonic() + timeout
    while True:
        boxes = page.locator("[data-chart]")
        states = {
            str(boxes.nth(i).get_attribute("data-chart")): boxes.nth(i).get_attribute(
                "data-rendered"
            )
            for i in range(boxes.count())
        }
        if all(states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(0.1)


def _backlog(db: Database, today: date) -> None:
    """A second project the manager runs whose days vary (so the forecast has a band):
    120 items, one annotator over the last ten days, two of them idle."""
    project = make_project(db, name="backlog", overlap=1)
    load_texts(db, project, [f"b{i}" for i in range(120)])
    who = add_user(db, "cy@inhouse.example", role="annotator", projects=[project]).user.id
    add_member(db, project, "lead@inhouse.example")
    for back, n in enumerate([3, 5, 2, 6, 4, 0, 0, 5, 3, 4], start=1):
        for k in range(n):
            at = datetime.combine(today - timedelta(days=back), dtime(9, k))
            task = next_task_for(db, project, who, now=at)
            assert task is not None
            submit_annotation(db, task.assignment_id, who, value={"sentiment": "neutral"},
                              seconds=2.0, idempotency_key=f"b{back}-{k}", now=at)  # fmt: skip


def test_capacity_pages_draw_and_the_sliders_ask_what_if(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """/capacity lists the project on track with its chart; the Capacity tab shows the
    cards and both charts; four people instead of two halve the days to two."""
    from tests.browser.conftest import log_in

    world = build(live_server.db)
    set_password(live_server.db, "lead@inhouse.example", PASSWORD)
    page = new_page()
    log_in(page, "lead@inhouse.example", PASSWORD)
    page.click("nav >> text=Capacity")
    across = _drawn(page)
    row = page.locator("[data-testid=plan-table] tr[data-project=sentiment]").inner_text()
    page.click("[data-testid=plan-table] a")
    states = _drawn(page)
    marks = {name: page.locator(f"[data-chart='{name}'] svg path").count() for name in states}
    likely = page.locator("[data-testid=card-p50] b").inner_text()
    deadline = page.locator("[data-testid=card-deadline] b").inner_text()
    screenshot(page, "capacity")
    with page.expect_navigation():
        page.locator("[data-testid=slider-headcount]").fill("4")
    _drawn(page)
    faster = page.locator("[data-testid=card-p50] b").inner_text()
    assert (across, "on track" in row) == ({"chart-paces": "true"}, True)
    assert states == {"chart-burn-up": "true", "chart-throughput": "true"}
    assert all(n > 0 for n in marks.values()), marks
    assert (likely, deadline) == ((world.today + timedelta(days=4)).strftime("%a %d %b %Y"),
                                  "On track")  # fmt: skip
    assert page.url.endswith("/projects/sentiment/capacity?headcount=4")
    assert faster == (world.today + timedelta(days=2)).strftime("%a %d %b %Y")
    assert page.locator("[data-testid=value-headcount]").inner_text() == "4"
    assert page_log(page).problems() == {}
    _backlog(live_server.db, world.today)
    page.goto("/projects/backlog/capacity")
    backlog = _drawn(page)
    band = page.locator("[data-testid=card-p50] small").first.inner_text()
    screenshot(page, "capacity-band")
    assert backlog == {"chart-burn-up": "true", "chart-throughput": "true"}
    page.goto("/capacity")
    both = _drawn(page)
    screenshot(page, "capacity-across")
    assert band.startswith("8 in 10 between ") and both == {"chart-paces": "true"}
    assert page.locator("[data-testid=plan-table] tbody tr").count() == 2
    assert page_log(page).problems() == {}
