"""Project administration in the real browser: a manager writes a spec on the New project
page (a mistake is named with its line, as the CLI names it, and marked in the line
numbers), sees the labeling page's widgets for a sample item, creates the project, then
changes it on its Settings tab: an unsafe change is refused until forced, and the spec
history shows the revisions and the diff between them. The live check answers only the text
in the editor: text typed before the page's scripts ran is checked, and a late answer for
text since replaced is never shown."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route, expect

from labelworks.domain.errors import InvalidSpec
from labelworks.domain.spec import parse_spec
from labelworks.services import assignment, ingestion, users

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, Screenshot

BROKEN = """\
name: reviews-web
description: Reviews, set up in the browser
fields:
  - name: sentiment
    kind: choise
    labels: [happy, unhappy, mixed]
"""
FIXED = (
    BROKEN.replace("choise", "choice")
    + """\
  - name: topics
    kind: multi_choice
    labels: [price, battery, screen]
    required: false
guidelines: |
  # Reviews
  Pick the feeling the author **expresses**.
guidelines_changelog: first version
"""
)


def _cli_message(text: str) -> str:
    """What ``labelworks project apply spec.yaml`` prints after ``error [invalid_spec]``."""
    with pytest.raises(InvalidSpec) as refused:
        parse_spec(text, source="spec.yaml")
    return str(refused.value)


def _type_spec(page: Page, text: str) -> None:
    """Replace the editor's text the way a person does (select all, type over it), so the
    editor sees input events."""
    editor = page.locator("[data-testid=spec-editor]")
    editor.fill("")
    editor.fill(text)


def _wait_until(page: Page, done: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Wait for ``done`` (about routes the page's requests were handed to: Playwright hands
    them over while the test waits on the page)."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "the page never made the request awaited"
        page.wait_for_timeout(50)


def _annotate(server: LiveServer, project: str, labels: list[str]) -> None:
    """An annotator labels the project's items with ``labels``, one each."""
    rows = "\n".join(json.dumps({"text": f"review {k}"}) for k in range(len(labels)))
    ingestion.import_items(
        server.db, project, io.BytesIO(rows.encode()), format="jsonl", source="r.jsonl"
    )
    who = users.add_user(server.db, "web-ann@example.com", role="annotator", projects=[project])
    for k, label in enumerate(labels):
        task = assignment.next_task_for(server.db, project, who.user.id)
        assert task is not None
        assignment.submit_annotation(
            server.db,
            task.assignment_id,
            who.user.id,
            value={"sentiment": label},
            seconds=2.0,
            idempotency_key=f"web-{k}",
        )


def test_a_manager_creates_a_project_from_the_browser(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """A broken spec shows the CLI's line-numbered error and marks its line; once fixed the
    preview draws the widgets (its Submit stays disabled); Create lands on the Overview."""
    page = page_as("manager")
    page.click("[data-testid=new-project]")
    expect(page).to_have_url(f"{demo_server.url}/projects/new")
    expect(page.locator("[data-testid=spec-valid]")).to_be_visible()  # the starter spec
    _type_spec(page, BROKEN)
    error = page.locator("[data-testid=spec-error]")
    # The check waits for a 400 ms pause in typing, then asks the server: on a loaded CI
    # machine (two test workers and their browsers) that took over the default 5 s once.
    expect(error).to_have_text(_cli_message(BROKEN), timeout=20_000)
    expect(page.locator("[data-testid=gutter] span.bad")).to_have_text("5")
    screenshot(page, "spec-editor-broken")
    page.click("[data-testid=problem-line]")
    selected = page.evaluate(
        "() => { const t = document.getElementById('spec-text');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    _type_spec(page, FIXED)
    expect(page.locator("[data-testid=spec-valid]")).to_contain_text("reviews-web")
    preview = page.locator("[data-testid=preview]")
    expect(preview.locator("[data-testid=field-sentiment]")).to_be_visible()
    labels = preview.locator("[data-testid=field-sentiment] button.lw-label")
    expect(labels).to_have_count(3)
    preview.locator("[data-testid=field-topics]").wait_for()
    labels.nth(1).click()
    value = json.loads(preview.locator("[data-testid=preview-value]").text_content() or "{}")
    source = preview.locator("[data-testid=preview-source]").first.inner_text()
    submit_disabled = preview.locator("[data-testid=preview-submit]").is_disabled()
    screenshot(page, "spec-editor-preview")
    with page.expect_navigation():
        page.click("[data-testid=create-button]")
    assert (selected, value, "battery" in source, submit_disabled) == (
        "    kind: choise",
        {"sentiment": "unhappy"},
        True,
        True,
    )
    expect(page).to_have_url(f"{demo_server.url}/projects/reviews-web")
    expect(page.locator(".project-name")).to_contain_text("reviews-web")
    assert page_log(page).problems() == {}


def test_text_typed_before_the_editors_scripts_run_is_checked(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """A spec typed while the page's scripts are still on their way (a slow network, a
    loaded machine) is checked once they run: the box never keeps answering the text the
    page was rendered with."""
    page = page_as("manager")
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/static/js/spec_editor.js", hold)
    page.route("**/static/vendor/htmx-*.js", hold)
    page.goto("/projects/new", wait_until="commit")
    expect(page.locator("[data-testid=spec-valid]")).to_be_visible()  # the starter's answer
    _type_spec(page, BROKEN)
    _wait_until(page, lambda: len(held) == 2)
    assert sorted(route.request.url.rsplit("/", 1)[-1] for route in held) == [
        "htmx-2.0.11.min.js",
        "spec_editor.js",
    ]
    for route in held:
        route.continue_()
    expect(page.locator("[data-testid=spec-error]")).to_have_text(_cli_message(BROKEN))
    expect(page.locator("[data-testid=gutter] span.bad")).to_have_text("5")
    assert page_log(page).problems() == {}


# Every change of the check box, with the editor's text at that moment.
RECORD_ANSWERS = """() => {
  const box = document.getElementById("spec-check");
  const editor = document.getElementById("spec-text");
  window.answers = [];
  new MutationObserver(() => window.answers.push([editor.value, box.textContent]))
    .observe(box, { childList: true, subtree: true, characterData: true });
}"""


def test_a_late_answer_for_replaced_text_is_never_shown(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """The server is slow to check A; B replaces A meanwhile, then A's answer arrives: the
    box shows B's answer, and never showed A's while the editor held B."""
    page = page_as("manager")
    page.goto("/projects/new")
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/projects/new/check", hold_the_first)
    page.evaluate(RECORD_ANSWERS)
    editor = page.locator("[data-testid=spec-editor]")
    editor.fill(BROKEN)
    _wait_until(page, lambda: bool(held))
    assert "choise" in (held[0].request.post_data or "")
    late = held[0].fetch()  # A's real answer, from the server
    assert "unknown field kind &#39;choise&#39;" in late.text()
    editor.fill(FIXED)
    with contextlib.suppress(PlaywrightError):  # raised when the editor gave up on A already
        held[0].fulfill(response=late)  # A's answer arrives while the editor holds B
    expect(page.locator("[data-testid=spec-valid]")).to_contain_text("reviews-web")
    page.wait_for_timeout(1_000)  # time for anything still on its way to land
    expect(page.locator("[data-testid=spec-valid]")).to_contain_text("reviews-web")
    answers: list[list[str]] = page.evaluate("() => window.answers")
    shown_for_b = [shown for text, shown in answers if text == FIXED]
    assert shown_for_b and not [shown for shown in shown_for_b if "choise" in shown]
    assert page_log(page).problems() == {}


def test_an_unsafe_change_is_refused_until_forced(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """On the Settings tab a manager removes a label annotations use: the review lists it as
    unsafe, Apply is refused with the CLI's message, Apply with Force goes through; the
    history shows the forced revision and its diff."""
    page = page_as("manager")
    page.goto("/projects/new")
    _type_spec(page, FIXED)
    expect(page.locator("[data-testid=spec-valid]")).to_be_visible()
    with page.expect_navigation():
        page.click("[data-testid=create-button]")
    _annotate(demo_server, "reviews-web", ["happy", "mixed"])
    page.goto("/projects/reviews-web/settings")
    editor = page.locator("[data-testid=spec-editor]")
    spec = editor.input_value()
    _type_spec(page, spec.replace("[happy, unhappy, mixed]", "[happy, unhappy]"))
    expect(page.locator("[data-testid=spec-valid]")).to_be_visible()
    with page.expect_navigation():
        page.click("[data-testid=review-button]")
    review = page.locator("[data-testid=spec-review]")
    expect(review.locator("[data-testid=unsafe-changes]")).to_contain_text("mixed")
    expect(review.locator("[data-testid=diff] tr.remove")).to_contain_text("mixed")
    screenshot(page, "spec-editor-review")
    with page.expect_navigation():
        page.click("[data-testid=apply-button]")
    refused = page.locator("[data-testid=apply-error]").inner_text()
    page.check("[data-testid=force]")
    with page.expect_navigation():
        page.click("[data-testid=apply-button]")
    result = page.locator("[data-testid=apply-result]").inner_text()
    revision = page.locator("[data-testid=spec-revision]").inner_text()
    screenshot(page, "spec-editor-applied")
    page.click("[data-testid=history-link]")
    forced = page.locator("[data-testid=revision][data-revision='2'] .pill").inner_text()
    removed = page.locator("[data-testid=diff] tr.remove").all_inner_texts()
    screenshot(page, "spec-history")
    assert refused.startswith("this change would invalidate existing annotations")
    assert "(apply with --force to do it anyway)" in refused
    assert result.startswith("Applied: spec revision 2.") and "Forced:" in result
    assert (revision.startswith("revision 2"), forced) == (True, "forced")
    assert any("mixed" in line for line in removed)
    apply = f"{demo_server.url}/projects/reviews-web/settings/apply#review"
    assert page_log(page).problems() == {
        "console_errors": [  # the refusal is a 409 page, as the API's answer is
            f"{apply}: Failed to load resource: the server responded with a status of 409 "
            f"(Conflict) [{apply}]"
        ]
    }


MEDIA = """\
name: media-web
fields:
  - name: objects
    kind: boxes
    labels: [house, tree]
  - name: sounds
    kind: segments
    media: audio
    labels: [tone]
  - name: better
    kind: pairwise
"""


def test_the_preview_draws_media_widgets_on_the_bundled_samples(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup, screenshot: Screenshot
) -> None:
    """Boxes on the bundled sample image (a box can be drawn), segments on the sample audio,
    and a pairwise comparison of the sample answers, before any item exists."""
    page = page_as("admin")
    page.goto("/projects/new")
    _type_spec(page, MEDIA)
    preview = page.locator("[data-testid=preview]")
    canvas = preview.locator("[data-testid=image-canvas]")
    canvas.wait_for()
    loaded = page.locator("[data-testid=preview] [data-testid=audio]")
    expect(loaded).to_have_attribute("src", f"{demo_server.url}/static/preview/sample.wav")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 120, steps=5)
    page.mouse.up()
    responses = preview.locator("[data-testid=response-left], [data-testid=response-right]")
    texts = responses.all_inner_texts()
    value = json.loads(preview.locator("[data-testid=preview-value]").text_content() or "{}")
    screenshot(page, "spec-editor-media-preview")
    assert (len(value.get("objects", [])), value["objects"][0]["label"]) == (1, "house")
    assert sum("Air molecules" in t for t in texts) == 1
    assert preview.locator("[data-testid=preview-form]").inner_text().count("null") == 0
    assert page_log(page).problems() == {}
