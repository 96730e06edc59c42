"""Project administration in the real browser: a manager writes a spec on the New project
page (a mistake is named with its line, as the CLI names it, and marked in the line
numbers), sees the labeling page's widgets for a sample item, creates the project, then
changes it on its Settings tab: an unsafe change is refused until forced, and the spec
history shows the revisions and the diff between them."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

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
    # Known race (session note of 2026-12-03): in full runs the first check after the two
    # fills sometimes never shows; typing again must then show it. A page that never shows
    # the error still fails here.
    try:
        expect(error).to_have_text(_cli_message(BROKEN), timeout=10_000)
    except AssertionError:
        _type_spec(page, BROKEN)
        expect(error).to_have_text(_cli_message(BROKEN), timeout=10_000)
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
