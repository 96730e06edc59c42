"""The Settings tab's Members and Data pages and the settings page's tokens, driven in
Chromium as an admin: create a member and see their password once, issue them a token and
revoke it (it stops working), upload a JSONL file through the file input and see the
counts, upload a broken one and see the line named and nothing imported, and revoke one's
own token on /settings."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from labelworks.services import exports, users

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, Screenshot

PROJECT = "sentiment-demo"
MEMBERS = f"/projects/{PROJECT}/settings/members"
DATA = f"/projects/{PROJECT}/settings/data"
NEW = "new.person@demo.labelworks"
# A CSV file dropped on the drop zone, as a drag from the desktop delivers it.
DROP = """text => {
  const files = new DataTransfer();
  files.items.add(new File([text], "dropped.csv", {type: "text/csv"}));
  const zone = document.querySelector("[data-testid=dropzone]");
  for (const type of ["dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: files, bubbles: true, cancelable: true}));
  }
}"""


def _status_with(server: LiveServer, token: str) -> int:
    request = urllib.request.Request(
        f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def _member_row(page: Page, email: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-testid=member][data-email='{email}']")


def test_members_create_issue_and_revoke_a_token(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """Creating a member shows their generated password once (and it works); a token issued
    for them works on the API until it is revoked from the same page."""
    page = page_as("admin")
    page.goto(MEMBERS)
    form = page.locator("[data-testid=create-member]")
    form.locator("input[name=email]").fill(NEW)
    form.locator("input[name=name]").fill("New Person")
    form.locator("input[name=vendor]").fill("acme")
    form.locator("input[name=team]").fill("night")
    with page.expect_navigation():
        form.get_by_role("button").click()
    notice = page.locator("[data-testid=members-notice]").inner_text()
    password = page.locator("[data-testid=secret-value]").inner_text()
    row = _member_row(page, NEW)
    cells = row.locator("td").all_inner_texts()[:4]
    screenshot(page, "members-created")
    row.locator("[data-testid=member-tokens] summary").click()
    row.locator("input[name=label]").fill("pipeline")
    with page.expect_navigation():
        row.locator("[data-testid=issue-token]").click()
    token = page.locator("[data-testid=secret-value]").inner_text()
    works = _status_with(demo_server, token)
    row = _member_row(page, NEW)
    row.locator("[data-testid=member-tokens] summary").click()
    listed = row.locator("[data-testid=member-token]").all_inner_texts()
    screenshot(page, "members-token")
    with page.expect_navigation():
        row.locator("[data-testid=revoke-member-token]").click()
    revoked = page.locator("[data-testid=members-notice]").inner_text()
    assert (notice, len(password), cells) == (
        f"Created {NEW} (annotator) as a member of {PROJECT}.",
        16,
        [f"{NEW}\nNew Person", "annotator", "acme · night", "active"],
    )
    assert (token.startswith("lw_"), works, len(listed), "pipeline" in listed[0]) == (
        True,
        200,
        1,
        True,
    )
    assert revoked.startswith("Revoked token") and _status_with(demo_server, token) == 401
    assert page.locator("[data-testid=secret-value]").count() == 0
    assert users.user_by_email(demo_server.db, NEW).team == "night"
    assert page_log(page).problems() == {}


def test_data_page_uploads_a_file_and_refuses_a_broken_one(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """A JSONL file chosen in the file input is uploaded with progress and imported (the
    counts shown); a file with a bad second line shows that line and imports nothing; a CSV
    file dropped on the zone is imported too; the export menu lists every format."""
    before = exports.count_for_export(demo_server.db, PROJECT)
    page = page_as("admin")
    page.goto(DATA)
    good = b'{"text": "uploaded one", "product": "p"}\n{"text": "uploaded two", "product": "p"}\n'
    page.locator("[data-testid=import-file]").set_input_files(
        {"name": "fresh.jsonl", "mimeType": "application/x-ndjson", "buffer": good}
    )
    done = page.locator("[data-testid=import-done]")
    expect(done).to_be_visible()
    counts = [
        page.locator(f"[data-testid={t}]").inner_text()
        for t in ("import-rows", "import-inserted", "import-duplicates")
    ]
    summary = page.locator("[data-testid=import-summary]").inner_text()
    screenshot(page, "data-imported")
    after_good = exports.count_for_export(demo_server.db, PROJECT)
    broken = b'{"text": "fine", "product": "p"}\n{"text": "broken", \n'
    page.locator("[data-testid=import-file]").set_input_files(
        {"name": "broken.jsonl", "mimeType": "application/x-ndjson", "buffer": broken}
    )
    error = page.locator("[data-testid=import-error]")
    expect(error).to_be_visible()
    message = page.locator("[data-testid=import-error-message]").inner_text()
    refused = error.inner_text()
    after_broken = exports.count_for_export(demo_server.db, PROJECT)
    screenshot(page, "data-refused")
    page.evaluate(DROP, "text,product\ndropped here,p\n")
    expect(page.locator("[data-testid=import-summary]")).to_have_text(
        "Imported 1 new item from dropped.csv."
    )
    page.locator("[data-testid=export-menu] summary").click()
    formats = page.locator("[data-testid=export-menu] a").all_inner_texts()
    assert (counts, summary, after_good) == (
        ["2", "2", "0"],
        "Imported 2 new items from fresh.jsonl.",
        before + 2,
    )
    assert (
        message.startswith("broken.jsonl, line 2"),
        "Nothing was imported" in refused,
        after_broken,
    ) == (True, True, before + 2)
    assert exports.count_for_export(demo_server.db, PROJECT) == before + 3
    assert [f.split("\n")[0].strip() for f in formats] == [
        "JSONL",
        "CSV",
        "CSV, exact text",
        "Parquet",
    ]
    # The refused upload's 422 is logged by Chromium as a failed resource; nothing else.
    log = page_log(page)
    assert [e for e in log.console_errors if "422" not in e] == []
    assert (log.page_errors, log.dialogs) == ([], [])


def test_revoke_an_own_token_on_the_settings_page(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """A token made on /settings works until its Revoke button is pressed."""
    page = page_as("manager")
    page.goto("/settings")
    page.locator("input[name=label]").fill("laptop")
    with page.expect_navigation():
        page.get_by_role("button", name="Create token").click()
    token = page.locator("[data-testid=new-token]").inner_text()
    works = _status_with(demo_server, token)
    row = page.locator("[data-testid=tokens] tr", has_text="laptop")
    with page.expect_navigation():
        row.get_by_role("button", name="Revoke").click()
    labels = page.locator("[data-testid=tokens] td:first-child").all_inner_texts()
    assert (works, _status_with(demo_server, token), "laptop" in labels) == (200, 401, False)
    assert page_log(page).problems() == {}
