"""Active learning simulated on a project's final labels, on every database: the report is
the simulation of its decided labels of the assist field (a seeded sample when there are
many), and without assist or with too few labels it says why."""

from __future__ import annotations

import random

import pytest
from tests.services.builders import jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import PermissionDenied
from labelworks.pipelines.active_learning import simulate
from labelworks.pipelines.samples import reviews
from labelworks.services import learning_curve as service
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

MOODS = ("positive", "negative", "neutral")


def assisted_reviews(db: Database, n: int, labelled: int) -> dict[str, str]:
    """Project 'sentiment' (overlap 1, majority, assist on sentiment) with n demo reviews;
    an annotator labels the first ``labelled`` as the generator intended, one in ten
    otherwise. Returns the label given to each text."""
    make_project(
        db,
        overlap=1,
        quality={"consensus": "majority"},
        assist={"field": "sentiment", "every": 1000, "min_labels": 1000},
    )
    records = reviews(n)
    rng = random.Random(1)
    given = {}
    for r in records:
        text, label = r["payload"]["text"], r["metadata"]["intended"]
        given[text] = label if rng.random() >= 0.1 else rng.choice(MOODS)
    body = jsonl([{"text": r["payload"]["text"]} for r in records])
    import_items(db, "sentiment", body, format="jsonl", source="reviews.jsonl")
    person = add_user(db, "labeller@x.example", role="annotator", projects=["sentiment"])
    for k in range(labelled):
        task = next_task_for(db, "sentiment", person.user.id)
        assert task is not None
        value = {"sentiment": given[str(task.payload["text"])]}
        submit_annotation(db, task.assignment_id, person.user.id, value=value, seconds=1.0,
                          idempotency_key=f"k{k}")  # fmt: skip
    return given


def test_the_report_is_the_simulation_of_the_decided_labels(db: Database) -> None:
    """60 of 80 reviews decided: the report simulates exactly those 60 (in item order) and
    carries every point and the saving."""
    given = assisted_reviews(db, 80, 60)
    report = service.learning_curve(db, "sentiment")
    texts = [r["payload"]["text"] for r in reviews(80)][:60]
    expected = simulate(texts, [given[t] for t in texts], multi=False, runs=service.RUNS)
    saving = expected.saving()
    assert saving is not None
    assert (report.project, report.field, report.decided, report.used, report.reason) == (
        "sentiment", "sentiment", 60, 60, None,
    )  # fmt: skip
    assert (report.test, report.pool, report.runs, report.steps) == (
        15, 45, 3, list(expected.steps),
    )  # fmt: skip
    assert [
        (p.strategy, p.labels, p.accuracy, p.low, p.high, p.right, p.tested) for p in report.points
    ] == [
        (p.strategy, p.labels, p.accuracy, p.low, p.high, p.right, p.tested)
        for p in expected.points
    ]
    assert report.saving == service.SavingRow(
        saving.accuracy, saving.random_labels, saving.uncertainty_labels, saving.saved
    )


def test_many_labels_are_sampled_and_too_few_or_no_assist_say_why(db: Database) -> None:
    """Above max_texts a seeded sample is simulated; below MIN_LABELS there is no curve and
    the reason counts the labels; a project without assist is told how to add it; an
    annotator may not ask."""
    assisted_reviews(db, 60, 50)
    sampled = service.learning_curve(db, "sentiment", max_texts=40)
    make_project(db, name="plain")
    plain = service.learning_curve(db, "plain")
    annotator = add_user(db, "a2@x.example", role="annotator", projects=["sentiment"])
    assert (sampled.decided, sampled.used, sampled.test, sampled.pool) == (50, 40, 10, 30)
    assert (plain.field, plain.points, plain.saving, plain.reason) == (
        None,
        [],
        None,
        "project 'plain' has no assist section in its spec: add assist: {field: NAME} to "
        "learn a field (docs/project-spec.md)",
    )
    make_project(
        db,
        name="fresh",
        overlap=1,
        quality={"consensus": "majority"},
        assist={"field": "sentiment"},
    )
    fresh = service.learning_curve(db, "fresh")
    assert (fresh.decided, fresh.points, fresh.reason) == (
        0,
        [],
        "the simulation needs 40 final labels of 'sentiment' with a text in 'text'; there are 0",
    )
    with pytest.raises(PermissionDenied):
        actor = Actor(annotator.user.id, "a2@x.example", Role.ANNOTATOR)
        service.learning_curve(db, "sentiment", actor=actor)
