"""The labeling page's flow in Chromium: skip with a reason, undo/redo, exactly-once submits
and model suggestions, each checked against what reached the database."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from sqlalchemy import func, select
from tests.browser.test_widgets import (
    ANNOTATOR,
    MARKER,
    Stored,
    Task,
    assignment_row,
    current_task,
    go_label,
    open_labeling,
    press,
    stored_annotations,
    submit_and_wait,
)

from labelworks.services import passwords
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, items, projects

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup

REASON = "not in English"
# The submit request the page sends, repeated with the page's own session and CSRF token.
REPLAY = """async ([id, body]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  const response = await fetch(`/api/v1/assignments/${id}/submit`, {
    method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
  });
  return [response.status, await response.json()];
}"""


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for the demo people: these tests are about labeling, and each
    one seeds and logs in afresh. Autouse, so it is in place before the demo is seeded."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def state(page: Page) -> dict[str, Any]:
    """The page's public state (``window.LW.state``)."""
    result: dict[str, Any] = page.evaluate("window.LW.state")
    return result


def annotations_in(db: Database, project: str) -> int:
    """How many annotations the project holds."""
    with db.read() as conn:
        count: int = conn.execute(
            select(func.count())
            .select_from(annotations_table)
            .join(projects, projects.c.id == annotations_table.c.project_id)
            .where(projects.c.name == project)
        ).scalar_one()
    return count


def queue_head(db: Database, project: str, n: int) -> list[int]:
    """The first ``n`` item ids of a project in queue order (all demo items share a priority)."""
    with db.read() as conn:
        return list(
            conn.execute(
                select(items.c.id)
                .join(projects, projects.c.id == items.c.project_id)
                .where(projects.c.name == project)
                .order_by(items.c.priority.desc(), items.c.id)
                .limit(n)
            ).scalars()
        )


def test_skip_with_a_reason_records_the_skip(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """Ctrl+K then Esc keeps the task; Ctrl+K, a typed reason and Enter skip it with that
    reason, store no annotation, and show the next task in the same page."""
    page, task = open_labeling(page_as, demo_server.db, "sentiment-demo")
    press(page, "Control+k")
    opened = page.locator("[data-testid=skip-dialog]").is_visible()
    press(page, "Escape")
    cancelled = (
        page.locator("[data-testid=skip-dialog]").is_visible(),
        state(page)["assignmentId"],
    )
    press(page, "Control+k")
    page.keyboard.type(REASON)
    press(page, "Enter")
    page.wait_for_function(
        "(id) => { const s = window.LW.state;"
        " return s.assignmentId !== null && s.assignmentId !== id && !s.busy; }",
        arg=task.assignment_id,
    )
    assert (opened, cancelled) == (True, (False, task.assignment_id))
    assert (
        assignment_row(demo_server.db, task.assignment_id),
        stored_annotations(demo_server.db, task.assignment_id),
        state(page)["status"],
        page.evaluate("window.__lwMarker"),
    ) == (("skipped", REASON), [], {"text": "Skipped.", "kind": "ok"}, MARKER)
    assert page_log(page).problems() == {}


def test_undo_and_redo_walk_the_task_history(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """Ctrl+Z steps back through the answers given (back to the prefilled suggestion),
    Ctrl+Shift+Z and Ctrl+Y step forward, and the answer left in place is what is stored."""
    page, task = open_labeling(page_as, demo_server.db, "topics-demo")
    assert task.suggested("topics", "multi_choice") == ["support"]

    def seen() -> tuple[list[str], bool, int]:
        now = state(page)
        return now["value"]["topics"], now["suggested"]["topics"], now["undoDepth"]

    steps = [seen()]
    for key in ["4", "1", "Control+z", "Control+z", "Control+z", "Control+Shift+z", "Control+y"]:
        press(page, key)
        steps.append(seen())
    press(page, "Control+z")
    steps.append(seen())
    assert steps == [
        (["support"], True, 0),
        (["durability", "support"], False, 1),
        (["price", "durability", "support"], False, 2),
        (["durability", "support"], False, 1),
        (["support"], True, 0),
        (["support"], True, 0),  # nothing older to undo
        (["durability", "support"], False, 1),
        (["price", "durability", "support"], False, 2),
        (["durability", "support"], False, 1),
    ]
    before = submit_and_wait(page)
    stored = stored_annotations(demo_server.db, task.assignment_id)
    assert [(s.value, s.idempotency_key) for s in stored] == [
        ({"topics": ["durability", "support"]}, before["idempotencyKey"])
    ]
    assert page_log(page).problems() == {}


def caret_on_inc(page: Page, task: Task) -> int:
    """Move the spans caret to "Inc", the last word of the suggested "Initech Inc";
    returns its offset."""
    text: str = task.payload["text"]
    inc = text.index("Inc ")
    tokens = [m.start() for m in re.finditer(r"\w+|[^\w\s]", text)]
    press(page, "Home", *["ArrowRight"] * tokens.index(inc))
    return inc


def without_initech(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The suggested spans but "Initech Inc"."""
    return [s for s in spans if s["text"] != "Initech Inc"]


def test_undo_brings_back_spans_replaced_or_deleted(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """A new span replaces the suggested span it overlaps and Ctrl+Z brings that back;
    Delete removes the span under the caret and Ctrl+Z restores it too."""
    page, task = open_labeling(page_as, demo_server.db, "ner-demo")
    suggested = task.suggested("entities", "spans")
    inc = caret_on_inc(page, task)
    press(page, "1")
    replaced = state(page)
    press(page, "Control+z")
    restored = state(page)
    press(page, "Escape", "Delete")
    deleted = state(page)["value"]
    press(page, "Control+z")
    assert (
        replaced["value"],
        replaced["status"],
        restored["value"],
        restored["suggested"],
        deleted,
        state(page)["value"],
    ) == (
        {
            "entities": [
                {"start": inc, "end": inc + 3, "label": "PER", "text": "Inc"},
                *without_initech(suggested),
            ]
        },
        {"text": "Replaced 1 overlapping span(s); Ctrl+Z undoes.", "kind": "info"},
        {"entities": suggested},
        {"entities": True},
        {"entities": without_initech(suggested)},
        {"entities": suggested},
    )
    assert page_log(page).problems() == {}


def test_undo_leaves_no_stale_span_selection(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """After Ctrl+Z removes the span just made, no span is selected, so Delete removes the
    span under the caret (the suggested "Initech Inc"), not another one."""
    page, task = open_labeling(page_as, demo_server.db, "ner-demo")
    suggested = task.suggested("entities", "spans")
    caret_on_inc(page, task)
    press(page, "1", "Control+z")
    selected = page.locator("[data-testid=span-item].lw-selected").all_inner_texts()
    press(page, "Delete")
    assert (selected, state(page)["value"]) == ([], {"entities": without_initech(suggested)})
    assert page_log(page).problems() == {}


def test_double_submit_creates_exactly_one_annotation(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """Ctrl+Enter pressed twice, a double-click on Submit, and a replayed request with the
    same idempotency key each leave exactly one annotation per task."""
    db = demo_server.db
    page, first = open_labeling(page_as, db, "sentiment-demo")
    press(page, "1")
    before = state(page)
    press(page, "Control+Enter", "Control+Enter")
    page.wait_for_function(
        "(id) => { const s = window.LW.state;"
        " return s.assignmentId !== null && s.assignmentId !== id && !s.busy; }",
        arg=first.assignment_id,
    )
    saved = state(page)["lastSubmission"]
    second = current_task(page, db)
    press(page, "2")
    page.locator("[data-testid=submit-button]").dblclick()
    page.wait_for_function(
        "(id) => { const s = window.LW.state;"
        " return s.assignmentId !== null && s.assignmentId !== id && !s.busy; }",
        arg=second.assignment_id,
    )
    third = current_task(page, db)
    body = {
        "value": {"sentiment": "positive"},
        "seconds": 1.0,
        "idempotency_key": before["idempotencyKey"],
    }
    replayed = page.evaluate(REPLAY, [first.assignment_id, body])

    def stored(task: Task) -> list[dict[str, Any]]:
        return [s.value for s in stored_annotations(db, task.assignment_id)]

    assert (stored(first), stored(second), annotations_in(db, "sentiment-demo")) == (
        [{"sentiment": "positive"}],
        [{"sentiment": "negative"}],
        2,
    )
    # The first three items in queue order: no item was used up by a duplicate submit.
    assert [first.item_id, second.item_id, third.item_id] == queue_head(db, "sentiment-demo", 3)
    assert replayed == [200, {**saved, "created": False}]
    assert page_log(page).problems() == {}


SUGGESTED = {
    "ner-demo": ("entities", "spans", "regex-ner (0.85)"),
    "boxes-demo": ("objects", "boxes", "shape-detector (0.80)"),
}


def test_suggestions_are_prefilled_and_stored_when_confirmed(
    page_as: LoginFactory, demo_server: LiveServer, page_log: LogLookup
) -> None:
    """A model's suggestions (spans, boxes) appear prefilled and marked as suggested, and
    submitting them unchanged stores them (without the model's scores) as the answer."""
    page = page_as(ANNOTATOR)
    for project, (field, kind, model) in SUGGESTED.items():
        task = go_label(page, demo_server.db, project)
        expected = {field: task.suggested(field, kind)}
        now = state(page)
        wrap = page.locator(f"[data-testid=field-{field}]")
        shown = (
            now["value"],
            now["suggested"],
            wrap.locator("[data-testid=suggestion-badge]").inner_text(),
            wrap.locator(".lw-row .lw-badge").all_inner_texts(),
        )
        n = len(expected[field])
        assert shown == (
            expected,
            {field: True},
            f"suggestion from {model}: edit or confirm",
            ["suggested"] * n,
        ), project
        assert n >= 2
        before = submit_and_wait(page)
        stored = stored_annotations(demo_server.db, task.assignment_id)
        seconds = stored[0].seconds if stored else None
        assert stored == [Stored(expected, seconds, 1, ANNOTATOR, before["idempotencyKey"])]
    assert page_log(page).problems() == {}
