"""One task of every widget kind, completed in Chromium from the keyboard, checked in the database.

An annotator opens each demo project's labeling page and answers its first task with the
keys docs/labeling.md promises (label keys, word-wise span selection, keyboard box
creation, seek/play/mark keys for segments, A/B + strength keys, rating keys, typing), then
submits with Ctrl+Enter. The next task must appear in the same page (a marker set on
``window`` survives), and the annotation stored for the assignment must be exactly the
answer given, with active seconds and the guideline version. A screenshot of each labeling
page is saved before submitting (``test-artifacts/screenshots/<kind>.png``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from sqlalchemy import select

from labelworks.services import passwords
from labelworks.storage.engine import Database
from labelworks.storage.tables import (
    annotations_table,
    assignments,
    items,
    pre_annotations,
    projects,
    users,
)

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup, Screenshot

ANNOTATOR = "ada@demo.labelworks"
MARKER = "set before the first submit"
READY = "() => window.LW && window.LW.state.assignmentId !== null && !window.LW.state.busy"
# Between tasks the page holds no task (assignmentId null): wait for the next one, or All done.
NEXT = """(id) => {
  const s = window.LW.state;
  return s.allDone || (s.assignmentId !== null && s.assignmentId !== id && !s.busy);
}"""
# The playhead readout "m:ss.sss / m:ss.sss" of a segments widget, in seconds.
PLAYHEAD = """() => {
  const shown = document.querySelector('[data-testid=time]').textContent;
  const [m, s] = shown.split(' / ')[0].split(':');
  return Number(m) * 60 + Number(s);
}"""
# Which keys of a suggestion the widget keeps per field kind (scores are dropped).
KEPT = {
    "spans": ("start", "end", "label", "text"),
    "boxes": ("x", "y", "width", "height", "label"),
    "segments": ("start", "end", "label"),
}


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for the demo people: these tests are about labeling, and each
    one seeds and logs in afresh. Autouse, so it is in place before the demo is seeded."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@dataclass(frozen=True, slots=True)
class Task:
    """The task a page shows: its item's payload and model suggestions, best score first."""

    assignment_id: int
    item_id: int
    payload: dict[str, Any]
    suggestions: list[dict[str, Any]]

    def suggested(self, field: str, kind: str) -> Any:
        """The top suggestion for ``field`` as the widget prefills it (without scores)."""
        for value in self.suggestions:
            if value.get(field) is not None:
                given = value[field]
                if kind in KEPT:
                    return [{k: part[k] for k in KEPT[kind]} for part in given]
                return given
        return [] if kind in KEPT else None


@dataclass(frozen=True, slots=True)
class Stored:
    """An annotation row as the database holds it."""

    value: dict[str, Any]
    seconds: float | None
    guideline_version: int | None
    annotator: str
    idempotency_key: str


def open_labeling(page_as: LoginFactory, db: Database, project: str) -> tuple[Page, Task]:
    """Log in as the annotator, open the project's labeling page and wait for its task."""
    page = page_as(ANNOTATOR)
    return page, go_label(page, db, project)


def go_label(page: Page, db: Database, project: str) -> Task:
    """Open a project's labeling page in a logged-in page, wait for its task and mark the
    window (the marker is gone if the page ever reloads)."""
    page.goto(f"/projects/{project}/label")
    page.wait_for_function(READY)
    page.evaluate(f"window.__lwMarker = {json.dumps(MARKER)}")
    return current_task(page, db)


def current_task(page: Page, db: Database) -> Task:
    """The task the page shows now, with its payload and suggestions from the database."""
    state = page.evaluate("window.LW.state")
    with db.read() as conn:
        item_id = conn.execute(
            select(assignments.c.item_id).where(assignments.c.id == state["assignmentId"])
        ).scalar_one()
        payload = conn.execute(select(items.c.payload).where(items.c.id == item_id)).scalar_one()
        rows = conn.execute(
            select(pre_annotations.c.value, pre_annotations.c.score)
            .where(pre_annotations.c.item_id == item_id)
            .order_by(pre_annotations.c.id)
        ).all()
    ranked = sorted(rows, key=lambda r: -(r.score if r.score is not None else float("-inf")))
    return Task(
        state["assignmentId"], item_id, json.loads(payload), [json.loads(r.value) for r in ranked]
    )


def submit_and_wait(page: Page) -> dict[str, Any]:
    """Press Ctrl+Enter and wait for the next task in the same page; the state before it."""
    before: dict[str, Any] = page.evaluate("window.LW.state")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(NEXT, arg=before["assignmentId"])
    return before


def stored_annotations(db: Database, assignment_id: int) -> list[Stored]:
    """Every annotation row recorded for the assignment."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                annotations_table.c.value,
                annotations_table.c.seconds,
                annotations_table.c.guideline_version,
                users.c.email,
                annotations_table.c.idempotency_key,
            )
            .join(users, users.c.id == annotations_table.c.annotator_id)
            .where(annotations_table.c.assignment_id == assignment_id)
            .order_by(annotations_table.c.id)
        ).all()
    return [Stored(json.loads(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def assignment_row(db: Database, assignment_id: int) -> tuple[str, str | None]:
    """The assignment's state and skip reason."""
    with db.read() as conn:
        row = conn.execute(
            select(assignments.c.state, assignments.c.skip_reason).where(
                assignments.c.id == assignment_id
            )
        ).one()
    return row[0], row[1]


def guideline_version(db: Database, project: str) -> int | None:
    """The project's current guideline version."""
    with db.read() as conn:
        version: int | None = conn.execute(
            select(projects.c.guideline_version).where(projects.c.name == project)
        ).scalar_one()
    return version


def labels_of(page: Page, field: str) -> list[str]:
    """The label buttons of a field, in the order the page lists (and numbers) them."""
    buttons = page.locator(f"[data-testid=field-{field}] [data-testid=label-option]")
    return [b.get_attribute("data-label") or "" for b in buttons.all()]


def press(page: Page, *keys: str) -> None:
    """Press keys one after the other, as an annotator would."""
    for key in keys:
        page.keyboard.press(key)


# ---- one driver per widget kind: answer with keys, return the value that should be stored


def answer_choice(page: Page, task: Task) -> dict[str, Any]:
    """Pick the second label with its number key."""
    press(page, "2")
    return {"sentiment": labels_of(page, "sentiment")[1]}


def answer_multi_choice(page: Page, task: Task) -> dict[str, Any]:
    """Toggle price on, durability on, price off again, on top of the suggested topics."""
    labels = labels_of(page, "topics")
    press(page, "1", "4", "1")
    chosen = set(task.suggested("topics", "multi_choice") or []) ^ {labels[3]}
    return {"topics": [label for label in labels if label in chosen]}


def answer_spans(page: Page, task: Task) -> dict[str, Any]:
    """Walk the caret word by word to "Acme Labeling", extend over it, label it ORG."""
    text = task.payload["text"]
    target = "Acme Labeling"
    assert target in text, f"the first ner-demo sentence changed: {text!r}"
    # The widget's tokens: runs of word characters, or one other non-space character.
    tokens = [m.start() for m in re.finditer(r"\w+|[^\w\s]", text)]
    start = text.index(target)
    first = tokens.index(start)
    words = len(re.findall(r"\w+|[^\w\s]", target))
    press(page, "End", "Home", *["ArrowRight"] * first, *["Shift+ArrowRight"] * (words - 1))
    press(page, str(labels_of(page, "entities").index("ORG") + 1))
    mine = {"start": start, "end": start + len(target), "label": "ORG", "text": target}
    spans = [*task.suggested("entities", "spans"), mine]
    return {"entities": sorted(spans, key=lambda s: (s["start"], s["end"]))}


def answer_boxes(page: Page, task: Task) -> dict[str, Any]:
    """Set the label for new boxes, add a box with Enter, relabel it, move and resize it."""
    page.wait_for_selector("[data-testid=image-canvas][data-loaded=true]")
    labels = labels_of(page, "objects")
    press(page, "1", "Enter")
    placed = page.evaluate("window.LW.state.value.objects.at(-1)")
    # Enter places a box a quarter of the view wide in the middle of the fitted image.
    middle = (placed["x"] + placed["width"] / 2, placed["y"] + placed["height"] / 2)
    assert (
        abs(middle[0] - task.payload["width"] / 2) <= 1,
        abs(middle[1] - task.payload["height"] / 2) <= 1,
        placed["label"],
    ) == (True, True, labels[0])
    press(
        page, "3", "Shift+ArrowRight", "ArrowDown", "Control+Shift+ArrowRight", "Control+ArrowDown"
    )
    mine = {
        "x": placed["x"] + 10,
        "y": placed["y"] + 1,
        "width": placed["width"] + 10,
        "height": placed["height"] + 1,
        "label": labels[2],
    }
    return {"objects": [*task.suggested("objects", "boxes"), mine]}


def record_segment(page: Page, to_start: list[str], to_end: list[str]) -> dict[str, Any]:
    """Mark a segment with [ and ] while playing, then move its edges with { and } to the
    times the seek keys reach from Home; returns the segment as marked while playing."""
    press(page, "Home", *to_start, " ")
    at = page.evaluate(PLAYHEAD)
    page.wait_for_function(f"() => ({PLAYHEAD})() >= {at + 0.3}")
    press(page, "[")
    page.wait_for_function(f"() => ({PLAYHEAD})() >= {at + 0.8}")
    press(page, "]", " ")
    marked: dict[str, Any] = page.evaluate(
        "window.LW.state.value.events.find((s) => !window.__lwSuggested.some("
        "(x) => x.start === s.start && x.end === s.end && x.label === s.label))"
    )
    press(page, "Home", *to_start, "{", "Home", *to_end, "}")
    return marked


def answer_segments(
    page: Page, task: Task, to_start: list[str], to_end: list[str]
) -> dict[str, Any]:
    """Pick the second label for new segments, then record one while playing (see above)."""
    page.wait_for_selector("[data-testid=timeline-canvas][data-loaded=true]")
    suggested = task.suggested("events", "segments")
    page.evaluate(f"window.__lwSuggested = {json.dumps(suggested)}")
    label = labels_of(page, "events")[1]
    press(page, "2")
    marked = record_segment(page, to_start, to_end)
    # Marked while the playhead moved: after the start of play, at least 0.3 s long.
    assert (marked["label"], 2.0 < marked["start"] < marked["end"] - 0.3) == (label, True)
    mine = {"start": 2.0, "end": 5.0, "label": label}
    return {"events": sorted([*suggested, mine], key=lambda s: (s["start"], s["end"]))}


def answer_audio(page: Page, task: Task) -> dict[str, Any]:
    """Audio: ← / → seek by one second."""
    page.wait_for_selector("[data-testid=timeline-canvas][data-waveform=true]")
    return answer_segments(page, task, ["ArrowRight"] * 2, ["ArrowRight"] * 5)


def answer_timeseries(page: Page, task: Task) -> dict[str, Any]:
    """Time series: Shift+→ seeks by 5 % of the 20 s recording, one second."""
    assert task.payload["duration"] == 20.0
    return answer_segments(page, task, ["Shift+ArrowRight"] * 2, ["Shift+ArrowRight"] * 5)


def answer_pairwise(page: Page, task: Task) -> dict[str, Any]:
    """The right response (B) is better, clearly (strength key 2)."""
    left = page.get_attribute("[data-testid=response-left]", "data-source")
    right = page.get_attribute("[data-testid=response-right]", "data-source")
    assert left is not None and right is not None
    shown = page.locator("[data-testid=response-right] .lw-response-body").inner_text()
    assert shown.strip() == task.payload[right].strip()
    press(page, "b", "2")
    return {"preference": {"choice": right, "strength": 2, "order": [left, right]}}


RATIONALE = "Correct, but padded with filler before the answer."


def answer_rating(page: Page, task: Task) -> dict[str, Any]:
    """Rate 5 then step down to 4 with ←, Tab to the rationale and type it."""
    press(page, "5", "ArrowLeft", "Tab")
    page.keyboard.type(RATIONALE)
    return {"quality": 4, "rationale": RATIONALE}


Answer = Callable[[Page, Task], dict[str, Any]]
KINDS: dict[str, tuple[str, Answer]] = {
    "choice": ("sentiment-demo", answer_choice),
    "multi_choice": ("topics-demo", answer_multi_choice),
    "spans": ("ner-demo", answer_spans),
    "boxes": ("boxes-demo", answer_boxes),
    "segments-audio": ("audio-demo", answer_audio),
    "segments-timeseries": ("sensor-demo", answer_timeseries),
    "pairwise": ("pairwise-demo", answer_pairwise),
    "rating-text": ("rating-demo", answer_rating),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_task_of_each_widget_kind_from_the_keyboard(
    kind: str,
    page_as: LoginFactory,
    demo_server: LiveServer,
    page_log: LogLookup,
    screenshot: Screenshot,
) -> None:
    """Keys alone answer the task, Ctrl+Enter stores exactly that answer and shows the next
    task in the same page, and the page reports no errors."""
    project, answer = KINDS[kind]
    page, task = open_labeling(page_as, demo_server.db, project)
    expected = answer(page, task)
    shown = page.evaluate("window.LW.state")
    screenshot(page, kind)
    assert (shown["value"], shown["status"]) == (expected, {"text": "", "kind": "info"})

    before = submit_and_wait(page)
    after = page.evaluate("window.LW.state")
    stored = stored_annotations(demo_server.db, task.assignment_id)
    version = guideline_version(demo_server.db, project)
    assert stored == [
        Stored(
            expected,
            stored[0].seconds if stored else None,
            version,
            ANNOTATOR,
            before["idempotencyKey"],
        )
    ]
    assert stored[0].seconds is not None and stored[0].seconds > 0
    assert (
        version,
        after["status"],
        after["assignmentId"] != task.assignment_id,
        page.locator("[data-testid=done-today]").inner_text(),
        page.evaluate("window.__lwMarker"),
    ) == (1, {"text": "Saved.", "kind": "ok"}, True, "1", MARKER)
    assert page_log(page).problems() == {}
