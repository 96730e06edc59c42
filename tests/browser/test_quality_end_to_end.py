"""The quality workflow end to end in Chromium, on one project with every quality rule on.

Two annotators pass a two-question qualification test on the labeling page and label every
ordinary item (overlap 2, honeypots at a gold rate of 0.3, drawn from a seeded generator so
the run is repeatable); A flags one item as an edge case; B disagrees on one item, which
goes to adjudication. The lead accepts A's first annotation on the Review page, resolves
the flag on the Escalations page and decides the split item on the Adjudication page with
one click; then ``labelworks deliver`` writes a final label for every ordinary item. Every
step is checked against the database, no page logs an error, and screenshots go to
``/tmp/lw-shots/e2e-*.png``.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Page
from sqlalchemy import select
from tests.browser.conftest import log_in
from tests.browser.test_widgets import NEXT, READY, press
from tests.services.builders import jsonl
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, escalations, ingestion, passwords, reviews
from labelworks.services.adjudication import adjudication_queue
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec, get_project
from labelworks.services.qualification_report import qualification_report
from labelworks.services.users import add_user
from labelworks.storage import consensus as consensus_store
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, assignments, gold_answers, items

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LogLookup, PageFactory

SHOTS = Path("/tmp/lw-shots")
PROJECT = "e2e"
PASSWORD = "correct horse battery"
ANN_A = "ann.a@example.com"
ANN_B = "ann.b@example.com"
LEAD = "lead@example.com"
LABELS = ["positive", "negative", "neutral"]
EXPERT = ["negative", "positive", "neutral", "negative", "positive", "neutral"]
ORDINARY = 4
SPLIT = 1  # B answers this ordinary item differently from A
FLAGGED = 2  # A flags this ordinary item as an edge case
EDGE = "Reviews the courier, not the product: the guidelines do not say."
NOTE = "Judge the product only: a review of the delivery is neutral."
QUALITY = {
    "gold_rate": 0.3,
    "qualification": {"items": 2, "pass": 1.0, "retries": 0},
    # Each annotator's first ordinary annotation (qualification answers are gold: not
    # counted, never reviewed).
    "review": {"first_n": 1},
    "consensus": "majority",
    "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9},
    "acceptance": {"all_final": True, "no_open_escalations": True},
}
SEED = 20260101


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot as ``/tmp/lw-shots/e2e-<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"e2e-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: three people log in."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture(autouse=True)
def seeded_gold_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gold draws from a seeded generator (the server runs in this process), so which
    tasks are honeypots is the same on every run."""
    monkeypatch.setattr(assignment, "_SYSTEM", random.Random(SEED))


def _ordinary_label(n: int) -> str:
    return LABELS[n % 3]


@pytest.fixture
def project(live_server: LiveServer) -> Database:
    """Project ``e2e``: 4 ordinary reviews and 6 gold questions; A, B and their lead."""
    db = live_server.db
    spec = {
        "name": PROJECT,
        "fields": [{"name": "sentiment", "kind": "choice", "labels": LABELS}],
        "overlap": 2,
        "quality": QUALITY,
    }
    apply_spec(db, spec_from_dict(spec), guidelines="# Sentiment\n\nThe feeling of the review.\n")
    rows: list[dict[str, Any]] = [
        {"external_id": f"r{n}", "text": f"Ordinary review number {n}."} for n in range(ORDINARY)
    ]
    rows += [
        {"external_id": f"g{n}", "text": f"Review question {n}.", "gold": {"sentiment": label}}
        for n, label in enumerate(EXPERT)
    ]
    ingestion.import_items(db, PROJECT, jsonl(rows), format="jsonl", source="e2e.jsonl")
    add_user(db, ANN_A, role="annotator", name="Ann A", projects=[PROJECT])
    add_user(db, ANN_B, role="annotator", name="Ann B", projects=[PROJECT])
    add_user(db, LEAD, role="manager", name="Lead", projects=[PROJECT])
    for email in (ANN_A, ANN_B, LEAD):
        set_password(db, email, PASSWORD)
    return db


@dataclass(frozen=True)
class Step:
    """One task as the annotator saw it and what came of it."""

    meta: str  # the meta line, with the lease's clock time cut off
    text: str
    gold: str | None  # the expert's label of a gold item
    answer: str
    status: dict[str, str]  # the status line after submitting


def _shown(page: Page, db: Database) -> tuple[str, str | None]:
    """The shown task's item text and, for a gold item, the expert's label."""
    assignment_id = page.evaluate("window.LW.state.assignmentId")
    with db.read() as conn:
        row = conn.execute(
            select(items.c.payload, gold_answers.c.value)
            .join(assignments, assignments.c.item_id == items.c.id)
            .outerjoin(gold_answers, gold_answers.c.item_id == items.c.id)
            .where(assignments.c.id == assignment_id)
        ).one()
    expert = None if row.value is None else json.loads(row.value)["sentiment"]
    return json.loads(row.payload)["text"], expert


def _meta(page: Page) -> str:
    shown = page.locator("[data-testid=item-meta]").inner_text()
    return re.sub(r"until .*", "until TIME", shown)


def _label_all(page: Page, db: Database, who: str, name: str) -> list[Step]:
    """Answer every task until All done: gold right, ordinary items by number (B splits
    ``SPLIT``); A flags ``FLAGGED`` as an edge case with the Flag button and submits."""
    page.goto(f"/projects/{PROJECT}/label")
    page.wait_for_function(READY)
    steps = []
    for k in range(20):
        if page.evaluate("window.LW.state.allDone"):
            break
        before = page.evaluate("window.LW.state.assignmentId")
        text, expert = _shown(page, db)
        meta = _meta(page)
        n = int(text.split()[-1].rstrip(".")) if expert is None else -1
        label = expert or _ordinary_label(n)
        if who == ANN_B and n == SPLIT:
            label = LABELS[(LABELS.index(label) + 1) % 3]
        press(page, str(LABELS.index(label) + 1))
        if k == 0:
            shoot(page, f"{name}-first")
        if who == ANN_A and n == FLAGGED:
            page.locator("[data-testid=flag-button]").click()
            page.locator("[data-testid=flag-edge-case]").check()
            page.locator("[data-testid=flag-comment]").fill(EDGE)
            shoot(page, f"{name}-flag")
            page.locator("[data-testid=flag-submit]").click()
        else:
            press(page, "Control+Enter")
        page.wait_for_function(NEXT, arg=before)
        status = page.evaluate("window.LW.state.status")
        steps.append(Step(meta, text, expert, label, status))
    shoot(page, f"{name}-done")
    return steps


def _stored(db: Database, email: str) -> list[tuple[str, bool, str]]:
    """Each of the person's annotations in order: item text, gold or not, label."""
    with db.read() as conn:
        rows = conn.execute(
            select(items.c.payload, gold_answers.c.item_id, annotations_table.c.value)
            .select_from(annotations_table)
            .join(assignments, assignments.c.id == annotations_table.c.assignment_id)
            .join(items, items.c.id == assignments.c.item_id)
            .outerjoin(gold_answers, gold_answers.c.item_id == items.c.id)
            .where(assignments.c.annotator_id == _uid(db, email))
            .order_by(annotations_table.c.id)
        ).all()
    return [
        (
            json.loads(r.payload)["text"],
            r.item_id is not None,
            json.loads(r.value)["sentiment"],
        )
        for r in rows
    ]


def _uid(db: Database, email: str) -> int:
    from labelworks.services.users import user_by_email

    return user_by_email(db, email).id


def _check_annotator(steps: list[Step], db: Database, email: str) -> list[Step]:
    """Two qualification questions then ordinary work; returns the live steps."""
    qualification, live = steps[:2], steps[2:]
    assert [(s.meta, s.gold is not None) for s in qualification] == [
        ("Qualification test, attempt 1 of 1: question 1 of 2 · reserved for you until TIME", True),
        ("Qualification test, attempt 1 of 1: question 2 of 2 · reserved for you until TIME", True),
    ]
    ordinary = sorted(s.text for s in live if s.gold is None)
    assert ordinary == [f"Ordinary review number {n}." for n in range(ORDINARY)]
    # Nothing on the page tells a honeypot from ordinary work: the same meta line and
    # the same status once answered.
    assert {(s.meta, s.gold is None) for s in live} <= {
        ("Reserved for you until TIME", True),
        ("Reserved for you until TIME", False),
    }
    (me,) = [m for m in qualification_report(db, PROJECT).members if m.email == email]
    assert (me.state.value, me.correct) == ("qualified", 2)
    stored = _stored(db, email)
    assert stored == [(s.text, s.gold is not None, s.answer) for s in steps]
    return live


def test_the_quality_workflow_end_to_end(
    live_server: LiveServer,
    project: Database,
    new_page: PageFactory,
    page_log: LogLookup,
    tmp_path: Path,
) -> None:
    db = project
    # 1-2. Annotator A: the qualification test, then live work with a honeypot and a flag.
    page_a = new_page()
    log_in(page_a, ANN_A, PASSWORD)
    steps_a = _label_all(page_a, db, ANN_A, "a")
    live_a = _check_annotator(steps_a, db, ANN_A)
    honeypots = [s for s in live_a if s.gold is not None]
    assert len(honeypots) >= 1, [s.text for s in live_a]
    statuses = {s.text: s.status for s in live_a}
    flagged = f"Ordinary review number {FLAGGED}."
    assert {t: v for t, v in statuses.items() if t != flagged} == {
        t: {"text": "Saved.", "kind": "ok"} for t in statuses if t != flagged
    }
    assert statuses[flagged] == {"text": "Saved, and flagged for an expert.", "kind": "ok"}
    (flag,) = escalations.escalation_queue(db, PROJECT)
    assert (flag.kind, flag.comment, flag.status) == ("edge_case", EDGE, "open")

    # 3. Annotator B: the same test, then the same items; one split.
    page_b = new_page()
    log_in(page_b, ANN_B, PASSWORD)
    steps_b = _label_all(page_b, db, ANN_B, "b")
    live_b = _check_annotator(steps_b, db, ANN_B)
    assert sorted(s.text for s in live_b if s.gold is None) == sorted(
        s.text for s in live_a if s.gold is None
    )
    waiting = adjudication_queue(db, PROJECT)
    assert [c.external_id for c in waiting] == [f"r{SPLIT}"]

    # 4. The lead: Review, Escalations, Adjudication.
    lead = new_page()
    log_in(lead, LEAD, PASSWORD)
    lead.goto(f"/projects/{PROJECT}/review")
    cards = lead.locator("[data-testid=review]")
    listed = cards.locator("[data-testid=annotator]").all_inner_texts()
    waiting_text = lead.get_by_test_id("waiting").inner_text()
    shoot(lead, "review")
    assert (waiting_text, listed) == ("2 annotations waiting for review", [ANN_A, ANN_B])
    card_a = lead.locator("[data-testid=review]", has_text=ANN_A).first
    review_id = int(card_a.get_attribute("data-review") or 0)
    with lead.expect_navigation():
        card_a.get_by_test_id("accept").click()
    accepted = lead.get_by_test_id("review-notice").inner_text()
    shoot(lead, "review-after")
    decided = {
        r.id: (r.annotator, r.status) for r in reviews.review_queue(db, PROJECT, status=None)
    }
    assert accepted.startswith("Accepted item ") and accepted.endswith(f" by {ANN_A}.")
    assert decided[review_id] == (ANN_A, "accepted")
    assert sorted(v for k, v in decided.items() if k != review_id) == [(ANN_B, "pending")]

    lead.goto(f"/projects/{PROJECT}/escalations")
    case = lead.locator("[data-testid=escalation]")
    shown = [
        (
            c.locator("[data-testid=kind]").inner_text(),
            c.locator("[data-testid=comment]").inner_text(),
        )
        for c in case.all()
    ]
    assert shown == [("Edge case", EDGE)]
    case.first.locator("label.pick", has_text="neutral").click()
    case.first.locator("[data-testid=note-input]").fill(NOTE)
    shoot(lead, "escalations")
    with lead.expect_navigation():
        case.first.locator("[data-testid=resolve]").click()
    resolved = lead.locator("[data-testid=escalation-notice]").inner_text()
    shoot(lead, "escalations-after")
    assert resolved == f"Flag {flag.id} is resolved and in the edge-case library."
    assert [e.status for e in escalations.escalation_queue(db, PROJECT, status=None)] == [
        "resolved"
    ]

    lead.goto(f"/projects/{PROJECT}/adjudication")
    split = lead.locator("[data-testid=case]")
    assert split.count() == 1
    shoot(lead, "adjudication")
    with lead.expect_navigation():
        split.first.locator("[data-testid=take-A]").click()
    notice = lead.locator("[data-testid=adjudication-notice]").inner_text()
    shoot(lead, "adjudication-after")
    assert notice == (
        f"Item {waiting[0].item_id} is decided with A's answer: "
        f"sentiment: {_ordinary_label(SPLIT)}."
    )
    assert adjudication_queue(db, PROJECT) == []

    project_id = get_project(db, PROJECT).row.id
    with db.read() as conn:
        finals = consensus_store.finals(conn, project_id)
    by_item = {f.item_id: (f.status, f.value) for f in finals}
    assert sorted(by_item.values(), key=str) == sorted(
        [
            ("adjudicated" if n == SPLIT else "final", {"sentiment": _ordinary_label(n)})
            for n in range(ORDINARY)
        ],
        key=str,
    )

    # 5. Delivery through the CLI, on the same database.
    out = tmp_path / "delivery"
    done = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(live_server.data_dir),
            "--database-url",
            db.url,
            "deliver",
            PROJECT,
            "-o",
            str(out),
        ],
        env={"COLUMNS": "250", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )
    assert done.exit_code == 0, (done.stdout, done.stderr)
    lines = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    delivered = {row["external_id"]: (row["status"], row["final"]) for row in lines}
    assert delivered == {
        f"r{n}": (
            "adjudicated" if n == SPLIT else "final",
            {"sentiment": _ordinary_label(n)},
        )
        for n in range(ORDINARY)
    }
    assert sorted(p.name for p in out.iterdir()) == [
        "delivery.json",
        "labels.jsonl",
        "labels.parquet",
        "quality_report.html",
        "quality_report.json",
    ]

    assert (
        page_log(page_a).problems(),
        page_log(page_b).problems(),
        page_log(lead).problems(),
    ) == ({}, {}, {})
