"""Guideline acknowledgement and re-queueing after a breaking change, through the service
layer on every database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from tests.services.builders import SENTIMENT, add_annotators, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, GuidelinesChanged
from labelworks.domain.spec import spec_from_dict
from labelworks.services import projects as project_service
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.guidelines import acknowledge_guidelines, requeue_outdated
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, set_aside_annotations

T0 = datetime(2026, 1, 1, 12, 0, 0)


def _new_guidelines(db: Database, project: str, text: str) -> None:
    spec = spec_from_dict(
        {**SENTIMENT, "name": project, "overlap": 1, "guidelines_changelog": "sarcasm is negative"}
    )
    project_service.apply_spec(db, spec, guidelines=text)


def _work(db: Database, project: str, annotator: int, label: str, k: int) -> int:
    task = next_task_for(db, project, annotator, now=T0 + timedelta(seconds=k))
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        annotator,
        value={"sentiment": label},
        seconds=1.0,
        idempotency_key=f"{annotator}-{k}",
        now=T0 + timedelta(seconds=k),
    )
    return task.item_id


def test_a_new_version_must_be_acknowledged_with_its_diff_before_the_next_task(
    db: Database,
) -> None:
    """After a new version the next lease is refused with the changelog and a short diff;
    acknowledging the current version lets work go on, an old version is refused."""
    project = make_project(db, overlap=1)
    load_texts(db, project, ["a", "b", "c"])
    (a,) = add_annotators(db, project, 1)
    _work(db, project, a, "positive", 0)
    _new_guidelines(db, project, "# Rules\nBe kind.\nSarcasm is negative.")
    with pytest.raises(GuidelinesChanged) as changed:
        next_task_for(db, project, a, now=T0 + timedelta(minutes=1))
    assert (str(changed.value), changed.value.details) == (
        f"the guidelines of project '{project}' changed (version 1 to 2): read what changed "
        "and acknowledge version 2 to continue",
        {
            "version": 2,
            "acknowledged": 1,
            "changelog": "sarcasm is negative",
            "diff": "--- version 1\n+++ version 2\n@@ -1,2 +1,3 @@\n # Rules\n Be kind.\n"
            "+Sarcasm is negative.",
        },
    )
    me = Actor(a, "ann0@example.com", Role.ANNOTATOR)
    with pytest.raises(Conflict):
        acknowledge_guidelines(db, project, 1, actor=me)
    acknowledge_guidelines(db, project, 2, actor=me)
    assert next_task_for(db, project, a, now=T0 + timedelta(minutes=2)) is not None


def test_requeue_sends_back_old_version_work_with_a_label_for_the_same_people(db: Database) -> None:
    """Only annotations under older guidelines with the named label are set aside, and
    their annotators may redo those items."""
    project = make_project(db, overlap=1)
    load_texts(db, project, ["a", "b", "c"])
    (a,) = add_annotators(db, project, 1)
    first = _work(db, project, a, "positive", 0)
    _work(db, project, a, "negative", 1)
    _new_guidelines(db, project, "# Rules\nBe kind.\nSarcasm is negative.")
    acknowledge_guidelines(db, project, 2, actor=Actor(a, "ann0@example.com", Role.ANNOTATOR))
    assert requeue_outdated(db, project, field="sentiment", label="positive") == 1
    with db.read() as conn:
        aside = conn.execute(
            select(set_aside_annotations.c.item_id, set_aside_annotations.c.reason)
        ).all()
        left = conn.execute(select(annotations_table.c.value)).scalars().all()
    again = {_work(db, project, a, "negative", 10 + k) for k in range(2)}
    assert ([tuple(r) for r in aside], left, first in again) == (
        [(first, "made under guidelines older than version 2")],
        ['{"sentiment":"negative"}'],
        True,
    )
