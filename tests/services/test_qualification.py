"""Qualification tests and training projects through the service layer, on every database:
test questions before work, passing, failing and retrying on fresh items, being blocked,
a manager's retry, and the expert's feedback in training."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks.domain.errors import Conflict, NotQualified
from labelworks.services import ingestion
from labelworks.services.assignment import SubmitResult, Task, next_task_for, submit_annotation
from labelworks.services.qualification import allow_retry
from labelworks.services.users import add_member
from labelworks.storage.engine import Database
from labelworks.storage.tables import items

T0 = datetime(2026, 1, 1, 12, 0, 0)
QUAL = {"qualification": {"items": 2, "pass": 1.0, "retries": 1}}


def _load(db: Database, project: str, n_work: int, n_gold: int) -> tuple[set[int], set[int]]:
    """Ordinary items and gold items (the expert answer is always positive)."""
    rows: list[dict[str, Any]] = [{"text": f"work {i}"} for i in range(n_work)]
    rows += [
        {"text": f"gold {i}", "gold": {"sentiment": "positive"}, "gold_explanation": f"because {i}"}
        for i in range(n_gold)
    ]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="q.jsonl")
    with db.read() as conn:
        found = conn.execute(select(items.c.id, items.c.gold)).all()
    return {int(i) for i, g in found if not g}, {int(i) for i, g in found if g}


class Worker:
    def __init__(self, db: Database, project: str, annotator: int) -> None:
        self.db, self.project, self.annotator, self.k = db, project, annotator, 0

    def next(self) -> Task | None:
        self.k += 1
        return next_task_for(
            self.db, self.project, self.annotator, now=T0 + timedelta(seconds=self.k)
        )

    def answer(self, task: Task, label: str) -> SubmitResult:
        self.k += 1
        return submit_annotation(
            self.db,
            task.assignment_id,
            self.annotator,
            value={"sentiment": label},
            seconds=1.0,
            idempotency_key=f"{self.annotator}-{self.k}",
            now=T0 + timedelta(seconds=self.k),
        )


def test_a_member_passes_the_test_on_gold_items_then_works(db: Database) -> None:
    """Two right answers on gold items (announced as a test) open ordinary work."""
    project = make_project(db, overlap=1, quality=QUAL)
    work, gold = _load(db, project, 2, 4)
    (a,) = add_annotators(db, project, 1)
    w = Worker(db, project, a)
    served, notes = [], []
    for _ in range(2):
        task = w.next()
        assert task is not None and task.progress is not None
        served.append(task.item_id)
        notes.append(task.progress.note)
        w.answer(task, "positive")
    after = w.next()
    assert (set(served) <= gold, notes, after is not None and after.item_id in work) == (
        True,
        [
            "qualification test, attempt 1 of 2: question 1 of 2",
            "qualification test, attempt 1 of 2: question 2 of 2",
        ],
        True,
    )
    assert after is not None and after.progress is not None and after.progress.note is None


def test_failing_every_attempt_blocks_until_a_manager_allows_a_retry(db: Database) -> None:
    """A failed attempt restarts on fresh gold; after the last retry the member is refused
    with the reason; a manager's retry lets them take the test again."""
    project = make_project(db, overlap=1, quality=QUAL)
    _, gold = _load(db, project, 1, 6)
    (a,) = add_annotators(db, project, 1)
    w = Worker(db, project, a)
    seen = []
    for _ in range(4):  # two attempts of two questions, all wrong
        task = w.next()
        assert task is not None
        seen.append(task.item_id)
        w.answer(task, "negative")
    with pytest.raises(NotQualified) as refused:
        w.next()
    assert (len(set(seen)), set(seen) <= gold, str(refused.value)) == (
        4,
        True,
        f"project '{project}': you did not pass the qualification test (2 attempts, at least "
        "100% of 2 answers needed); ask a manager to let you try again",
    )
    allow_retry(db, project, "ann0@example.com")
    task = w.next()
    assert task is not None and task.item_id in gold and task.item_id not in seen


def test_a_retry_is_refused_where_there_is_nothing_to_retry(db: Database) -> None:
    """Mid-attempt the member keeps their answers (a retry is refused, and their next
    question is the test's second); a project without a test refuses a retry too."""
    project = make_project(db, overlap=1, quality=QUAL)
    plain = make_project(db, name="plain", overlap=1)
    _load(db, project, 1, 4)
    (a,) = add_annotators(db, project, 1)
    add_member(db, plain, "ann0@example.com")
    w = Worker(db, project, a)
    task = w.next()
    assert task is not None
    w.answer(task, "positive")
    refusals = []
    for name in (project, plain):
        with pytest.raises(Conflict) as refused:
            allow_retry(db, name, "ann0@example.com")
        refusals.append(str(refused.value))
    second = w.next()
    assert (refusals, second and second.progress and second.progress.note) == (
        [
            f"user 'ann0@example.com' is not blocked in project '{project}': they may still "
            "take the qualification test",
            "project 'plain' has no qualification test (quality.qualification)",
        ],
        "qualification test, attempt 1 of 2: question 2 of 2",
    )


def test_running_out_of_fresh_questions_says_so(db: Database) -> None:
    """With fewer unseen gold items than the test needs, the member is told to ask."""
    project = make_project(db, overlap=1, quality=QUAL)
    _load(db, project, 1, 1)
    (a,) = add_annotators(db, project, 1)
    w = Worker(db, project, a)
    task = w.next()
    assert task is not None
    w.answer(task, "positive")
    with pytest.raises(NotQualified) as empty:
        w.next()
    assert str(empty.value) == (
        f"project '{project}': no qualification questions you have not seen are left; ask a "
        "manager to add gold items or let you work"
    )


def test_training_answers_every_submit_with_the_experts_answer(db: Database) -> None:
    """In a training project only gold is served, and each submit — and its retry with the
    same key — carries the verdict."""
    project = make_project(db, overlap=1, quality={"training": True})
    _, gold = _load(db, project, 1, 2)
    (a,) = add_annotators(db, project, 1)
    w = Worker(db, project, a)
    verdicts = []
    for label in ("positive", "neutral"):
        task = w.next()
        assert task is not None and task.item_id in gold
        first = w.answer(task, label)
        retry = submit_annotation(
            db,
            task.assignment_id,
            a,
            value={"sentiment": label},
            seconds=1.0,
            idempotency_key=f"{a}-{w.k}",
            now=T0 + timedelta(seconds=w.k),
        )
        for result in (first, retry):
            feedback = result.feedback
            assert feedback is not None
            verdicts.append(
                (feedback.correct, feedback.fields, feedback.expert, feedback.explanation[:8])
            )
    right = (True, {"sentiment": True}, {"sentiment": "positive"}, "because ")
    wrong = (False, {"sentiment": False}, {"sentiment": "positive"}, "because ")
    assert (verdicts, w.next()) == ([right, right, wrong, wrong], None)
