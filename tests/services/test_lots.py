"""Lots and acceptance sampling through the service layer, on every database: the exact
plan, the drawn sample, auditors' verdicts, acceptance, and rejection sending the lot's
work back for rework."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.errors import Conflict, InvalidInput
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.lots import audit_sample, create_lot, lot_view
from labelworks.stats.acceptance import sampling_plan
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, set_aside_annotations

T0 = datetime(2026, 1, 1, 12, 0, 0)


def _labelled(db: Database, n: int) -> str:
    project = make_project(db, overlap=1)
    load_texts(db, project, [f"t{i}" for i in range(n)])
    (a,) = add_annotators(db, project, 1)
    for k in range(n):
        task = next_task_for(db, project, a, now=T0 + timedelta(seconds=k))
        assert task is not None
        submit_annotation(
            db,
            task.assignment_id,
            a,
            value={"sentiment": "positive"},
            seconds=1.0,
            idempotency_key=f"k{k}",
            now=T0 + timedelta(seconds=k),
        )
    return project


def test_a_lot_gets_the_exact_plan_and_a_sample_of_its_size(db: Database) -> None:
    """The plan equals the stats core's for the lot size; the sample has n annotations."""
    project = _labelled(db, 60)
    lot = create_lot(db, project, name="batch 1", import_id=1, aql=0.02, ltpd=0.15, seed=3)
    view = lot_view(db, project, lot.id)
    expected = sampling_plan(60, 0.02, 0.15)
    assert (
        lot.size,
        lot.status,
        (lot.plan["sample_size"], lot.plan["acceptance_number"]),
        len(view.samples),
        view.summary,
    ) == (
        60,
        "auditing",
        (expected.sample_size, expected.acceptance_number),
        expected.sample_size,
        expected.summary,
    )


def test_auditing_the_whole_sample_accepts_a_clean_lot(db: Database) -> None:
    """No defects in the sample: the lot is accepted with the evidence; no more verdicts."""
    project = _labelled(db, 40)
    lot = create_lot(db, project, name="clean", import_id=1, aql=0.02, ltpd=0.2, seed=1)
    samples = lot_view(db, project, lot.id).samples
    for s in samples:
        decided = audit_sample(db, project, lot.id, s.annotation_id, defect=False)
    assert decided.status == "accepted" and decided.decision is not None
    assert (decided.decision["defects"], decided.decision["accepted"]) == (0, True)
    with pytest.raises(Conflict):
        audit_sample(db, project, lot.id, samples[0].annotation_id, defect=True)


def test_too_many_defects_reject_the_lot_and_send_its_work_back(db: Database) -> None:
    """Defects above c reject the lot: every annotation of it is set aside for rework."""
    project = _labelled(db, 40)
    lot = create_lot(db, project, name="bad", import_id=1, aql=0.02, ltpd=0.2, seed=1)
    for s in lot_view(db, project, lot.id).samples:
        decided = audit_sample(db, project, lot.id, s.annotation_id, defect=True, note="wrong")
    with db.read() as conn:
        left = conn.execute(select(func.count()).select_from(annotations_table)).scalar_one()
        aside = conn.execute(select(func.count()).select_from(set_aside_annotations)).scalar_one()
    assert (decided.status, left, aside) == ("rejected", 0, 40)


def test_a_lot_must_select_something_and_rates_are_checked(db: Database) -> None:
    """No selector, an empty selection and an LTPD below the AQL are refused by name."""
    project = _labelled(db, 3)
    problems = []
    for kwargs in (
        {"aql": 0.01, "ltpd": 0.1},
        {"aql": 0.01, "ltpd": 0.1, "vendor": "nobody"},
        {"aql": 0.2, "ltpd": 0.1, "import_id": 1},
    ):
        with pytest.raises(InvalidInput) as bad:
            create_lot(db, project, name="x", **kwargs)  # type: ignore[arg-type]
        problems.append(str(bad.value))
    assert problems == [
        "say which annotations form the lot: an import, a vendor or dates (since, until)",
        "no annotations match that lot",
        "ltpd must exceed aql, got aql=0.2 and ltpd=0.1",
    ]
