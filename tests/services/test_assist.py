"""The assist baseline model on every database: trained from decided final labels only,
suggestions on the open items (replaced, never piled up), every training recorded, and
retraining due every ``every`` new final labels."""

from __future__ import annotations

import io
import json
import random

import pytest
from tests.services.builders import make_project

from labelworks.domain.errors import Conflict, InvalidInput
from labelworks.jobs.assist_tasks import start_due_trainings
from labelworks.services import assist
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

WORDS = {"positive": ["great", "lovely", "superb"], "negative": ["awful", "broken", "poor"]}


def _world(db: Database, n: int = 60) -> list[str]:
    """Project 'sentiment' (overlap 1, assist every 5 from 10 labels) with n reviews whose
    one telling word gives their sentiment; returns the true labels in item order."""
    make_project(
        db,
        overlap=1,
        quality={"consensus": "majority"},
        assist={"field": "sentiment", "every": 5, "min_labels": 10},
    )
    rng = random.Random(11)
    truth, rows = [], []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        truth.append(label)
        rows.append({"text": f"review {i}: the box was {rng.choice(WORDS[label])} today"})
    body = io.BytesIO("".join(json.dumps(r) + "\n" for r in rows).encode())
    import_items(db, "sentiment", body, format="jsonl", source="rows.jsonl")
    return truth


def _label(db: Database, truth: list[str], n: int, who: str = "a") -> None:
    """One annotator labels the next n items correctly (overlap 1: each becomes final)."""
    made = add_user(db, f"{who}@x.example", role="annotator", projects=["sentiment"])
    for k in range(n):
        task = next_task_for(db, "sentiment", made.user.id)
        assert task is not None
        value = {"sentiment": truth[task.item_id - 1]}
        submit_annotation(db, task.assignment_id, made.user.id, value=value, seconds=1.0,
                          idempotency_key=f"{who}{k}")  # fmt: skip


def _suggestions(db: Database) -> dict[int, tuple[str, str, float]]:
    out = io.BytesIO()
    export_project(db, "sentiment", out, format="jsonl")
    found = {}
    for line in out.getvalue().splitlines():
        row = json.loads(line)
        for p in row["pre_annotations"]:
            found[row["id"]] = (p["model"], p["value"]["sentiment"], p["score"])
    return found


def test_training_learns_from_final_labels_and_suggests_on_open_items(db: Database) -> None:
    """After 30 final labels the model is version 1, learnt from 30, and every one of the 30
    open items gets one suggestion from it, right and with a score above one half."""
    truth = _world(db)
    _label(db, truth, 30)
    model = assist.train(db, "sentiment")
    suggestions = _suggestions(db)
    assert (model.version, model.field, model.labels, model.decided, model.suggested) == (
        1,
        "sentiment",
        30,
        30,
        30,
    )
    assert model.counts == {"negative": 15, "positive": 15}
    assert (model.accuracy, model.folds) == (1.0, 5)
    assert sorted(suggestions) == list(range(31, 61))
    assert {m for m, _, _ in suggestions.values()} == {"labelworks-baseline:sentiment"}
    assert [v for _, v, _ in suggestions.values()] == truth[30:]
    assert all(0.5 < score <= 1.0 for _, _, score in suggestions.values())


def test_retraining_replaces_suggestions_and_reports_how_they_fared(db: Database) -> None:
    """A second training after 10 more labels is version 2 with 20 suggestions (not 50);
    the report counts the 10 suggestions the final labels then confirmed, and version 1
    keeps that record once version 2 replaced its suggestions."""
    truth = _world(db)
    _label(db, truth, 30)
    assist.train(db, "sentiment")
    _label(db, truth, 10, who="b")
    before = assist.assist_report(db, "sentiment")
    second = assist.train(db, "sentiment")
    after = assist.assist_report(db, "sentiment")
    assert (before.decided, before.checked, before.confirmed, before.next_in) == (40, 10, 10, 0)
    assert (second.version, second.labels, second.suggested) == (2, 40, 20)
    assert len(_suggestions(db)) == 20
    assert [(m.version, m.checked, m.confirmed) for m in after.models] == [(2, 0, 0), (1, 10, 10)]
    assert (after.checked, after.next_in) == (0, 5)


def test_trainings_become_due_every_n_final_labels(db: Database) -> None:
    """No training is due below min_labels; one is queued at 10, none again while it waits
    or until 5 more final labels came in after it ran."""
    truth = _world(db)
    _label(db, truth, 9)
    queued: list[int] = []
    assert start_due_trainings(db, queued.append) == []
    _label(db, truth, 1, who="b")
    first = start_due_trainings(db, queued.append)
    assert len(first) == 1 and queued == first
    assert start_due_trainings(db, queued.append) == []  # it is still queued


def test_too_few_labels_or_no_assist_section_are_refused(db: Database) -> None:
    """Below min_labels an automatic training is a Conflict naming the counts, while one a
    person asks for learns from what there is; one label is too little for either; a
    project without assist is told how to add it."""
    truth = _world(db)
    _label(db, truth, 1)
    with pytest.raises(Conflict) as one:
        assist.train(db, "sentiment")
    _label(db, truth, 3, who="b")
    with pytest.raises(Conflict) as few:
        assist.train(db, "sentiment", auto=True)
    asked = assist.train(db, "sentiment")
    make_project(db, name="plain")
    with pytest.raises(InvalidInput) as plain:
        assist.train(db, "plain")
    assert str(few.value) == (
        "the model of 'sentiment' needs 10 final labels of 'sentiment' with a text in "
        "'text' to learn from; there are 4"
    )
    assert str(plain.value).startswith("project 'plain' has no assist section in its spec")
    assert str(one.value) == (
        "the model of 'sentiment' cannot be trained yet: the model needs at least two "
        "labelled texts with two different labels"
    )
    assert (asked.version, asked.labels, asked.suggested) == (1, 4, 56)
