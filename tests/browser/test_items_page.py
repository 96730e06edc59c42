"""The Items tab in the real browser: filtering by status and by metadata swaps the table in
and puts the view in the address bar; the pager goes forward and back with the count; two
ticked rows get a new priority; deleting an annotated item is refused by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page
from tests.services.items_world import build_shop

from labelworks.services.auth import set_password

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PASSWORD = "correct horse battery"


def _rows(page: Page) -> list[int]:
    cells = page.locator("[data-testid=items-table] tbody tr td a")
    return [int(text) for text in cells.all_inner_texts()]


def _count(page: Page) -> str:
    text = page.locator("[data-testid=items-count]").inner_text()
    return " ".join(text.split("·")[0].split())


def _swapped(page: Page, action: object) -> None:
    """Run ``action`` (a callable) and wait for htmx's table request to come back."""
    with page.expect_response(lambda r: "/projects/shop/items" in r.url):
        action()  # type: ignore[operator]
    page.wait_for_load_state("networkidle")


def test_filter_page_and_act_on_items(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    build_shop(live_server.db)
    set_password(live_server.db, "boss@example.com", PASSWORD)
    page = new_page()
    page.goto("/login")
    page.fill("input[name=email]", "boss@example.com")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/projects/shop/items")
    seen: dict[str, object] = {"all": (_rows(page), _count(page))}

    # Filter by status, then by a metadata key: the table swaps, the URL follows.
    _swapped(page, lambda: page.select_option("select[name=status]", "new"))
    seen["new"] = (_rows(page), _count(page), page.url.split("/items", 1)[1])
    page.locator("details.meta-filters summary").click()
    _swapped(page, lambda: page.fill("input[name='meta.split']", "val"))
    seen["new val"] = (_rows(page), _count(page), page.url.split("/items", 1)[1])
    screenshot(page, "items-filtered")

    # Five to a page: next, then previous, with the count.
    page.goto("/projects/shop/items?limit=5")
    _swapped(page, lambda: page.click("[data-testid=items-next]"))
    seen["next"] = (_rows(page), _count(page), "after=5" in page.url)
    _swapped(page, lambda: page.click("[data-testid=items-prev]"))
    seen["previous"] = (_rows(page), _count(page), "before=6" in page.url)

    # Tick items 4 and 5, priority 3: back to the same view with the outcome.
    page.check("[data-testid=items-tick][value='4']")
    page.check("[data-testid=items-tick][value='5']")
    seen["ticked"] = page.locator("[data-selected-count]").inner_text()
    page.fill("[data-testid=items-priority-value]", "3")
    with page.expect_navigation():
        page.click("[data-testid=items-priority]")
    priorities = page.locator("[data-testid=items-table] tbody tr td:nth-child(6)")
    seen["priority"] = (
        page.locator("[data-testid=items-notice]").inner_text(),
        priorities.all_inner_texts()[:5],
        page.url.split("/items", 1)[1],
    )

    # Deleting annotated item 1 with item 6 is refused, naming item 1; both stay.
    page.check("[data-testid=items-tick][value='1']")
    with page.expect_navigation():
        page.click("[data-testid=items-delete]")
    seen["delete"] = (page.locator("[data-testid=items-notice]").inner_text(), 1 in _rows(page))
    screenshot(page, "items-refused")
    log = page_log(page)

    assert seen == {
        "all": (list(range(1, 13)), "items 1–12 of 12"),
        "new": (list(range(4, 13)), "items 1–9 of 9", "?status=new"),
        "new val": ([4, 7, 10], "items 1–3 of 3", "?status=new&meta.split=val"),
        "next": ([6, 7, 8, 9, 10], "items 6–10 of 12", True),
        "previous": ([1, 2, 3, 4, 5], "items 1–5 of 12", True),
        "ticked": "2 ticked",
        "priority": ("Set the priority of 2 items to 3.", ["0", "0", "0", "3", "3"], "?limit=5"),
        "delete": (
            "cannot delete the item, so nothing was changed: item 1 has annotations",
            True,
        ),
    }
    # The refusal is the page again with 409, which the console notes; nothing else.
    refused = [e for e in log.console_errors if "status of 409" in e and "/items/actions" in e]
    assert (len(refused), len(log.console_errors), log.page_errors, log.dialogs) == (1, 1, [], [])
