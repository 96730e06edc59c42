"""The Prompts pages in the real browser: a reviewer follows the top nav to the list, opens a
prompt, reads its latest version's template, variables and parameters, compares versions 1
and 3 with the two selects, opens version 1 from the versions table; both pages fit 390 px
without scrolling sideways and log no errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from tests.browser.conftest import log_in

from labelworks.domain.prompts import prompt_from_dict
from labelworks.services import passwords, prompts
from labelworks.services.auth import set_password
from labelworks.services.users import add_user

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory, Screenshot

PASSWORD = "correct horse"
JUDGE = {
    "description": "Is the answer faithful to its source?",
    "variables": {"source": "the text the answer must stay faithful to", "answer": "the answer"},
    "parameters": {"model": "judge-large", "temperature": 0, "max_tokens": 5, "stop": ["\n"]},
    "template": "You check answers against their source, a long line that must wrap on a "
    "narrow screen rather than push the page sideways.\n\nSource: {{ source }}\n"
    "Answer: {{ answer }}\n\nIs the answer faithful to the source? Reply yes or no.\n",
}


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the test logs in once."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def test_the_prompts_pages_list_show_and_compare(
    live_server: LiveServer, new_page: PageFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """The nav's Prompts opens the list with the judge at v3; its page shows v3's template,
    variables and parameters; choosing versions 1 and 3 shows their diff; the versions
    table opens v1; both pages fit 390 px."""
    db = live_server.db
    prompts.push_prompt(db, "judge", prompt_from_dict(JUDGE))
    prompts.push_prompt(db, "judge", prompt_from_dict({**JUDGE, "parameters": {"temperature": 0}}))
    third = {**JUDGE, "template": JUDGE["template"].replace("yes or no", "YES or NO")}
    prompts.push_prompt(db, "judge", prompt_from_dict(third))
    add_user(db, "rev@example.com", role="reviewer")
    set_password(db, "rev@example.com", PASSWORD)
    page = new_page()
    log_in(page, "rev@example.com", PASSWORD)
    with page.expect_navigation():
        page.click("header nav >> text=Prompts")
    listed = page.locator("[data-testid=prompt-row]").evaluate_all(
        "rows => rows.map(r => r.innerText.replace(/\\s+/g, ' ').trim())"
    )
    screenshot(page, "prompts-list")
    with page.expect_navigation():
        page.click("[data-testid=prompt-row] a")
    shown = (
        page.inner_text("[data-testid=prompt-title]"),
        page.inner_text("[data-testid=template]"),
        page.locator("[data-testid=variable] code").all_inner_texts(),
        page.locator("[data-testid=parameter]").all_inner_texts(),
    )
    screenshot(page, "prompt-page")
    page.select_option("[data-testid=version-a]", "1")
    page.select_option("[data-testid=version-b]", "3")
    with page.expect_navigation():
        page.click("[data-testid=compare-button]")
    summary = page.inner_text("[data-testid=diff-summary]")
    changed = page.locator(
        "[data-testid=diff] tr.add td.text, [data-testid=diff] tr.remove td.text"
    )
    diff = [" ".join(t.split()) for t in changed.all_inner_texts()]
    screenshot(page, "prompt-compare")
    with page.expect_navigation():
        page.click("[data-testid=version][data-version='1'] a >> nth=0")
    first = page.inner_text("[data-testid=prompt-title]")
    widths = []
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/prompts", "/prompts/judge?a=1&b=3"):
        page.goto(path)
        widths.append(page.evaluate("() => document.documentElement.scrollWidth"))
        screenshot(page, f"prompt{'s-list' if path == '/prompts' else '-page'}-390px")
    assert listed == ["judge Is the answer faithful to its source? v3 3 " + listed[0][-20:]]
    assert shown == (
        "judge version 3 (latest)",
        third["template"],
        ["source", "answer"],
        ["model\tjudge-large", "temperature\t0.0", "max_tokens\t5", 'stop\t["\\n"]'],
    )
    assert summary.startswith("Version 1 → version 3: +1 / −1 lines.")
    assert diff == [
        "- removed: Is the answer faithful to the source? Reply yes or no.",
        "+ added: Is the answer faithful to the source? Reply YES or NO.",
    ]
    assert (first, widths) == ("judge version 1 of 3", [390, 390])
    assert page_log(page).problems() == {}
