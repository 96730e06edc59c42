"""The audit trail through the service layer, on every database: quality decisions are
recorded with who, what, when and the guideline version, browsable and exportable by
managers outside vendors."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.services import gold as gold_service
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.audit import audit_export, audit_trail
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)


def test_quality_decisions_are_recorded_with_who_and_the_guideline_version(db: Database) -> None:
    """Marking gold, an auto-pause (by the system), reinstating and sending work back
    each leave one event, in order, with the actor and the guideline version."""
    project = make_project(
        db, overlap=1, quality={"gold_rate": 1.0, "auto_pause": {"min_gold": 1, "below": 0.9}}
    )
    load_texts(db, project, ["a", "b", "c"])
    lead = add_user(db, "lead@example.com", role="manager", projects=[project]).user
    me = Actor(lead.id, lead.email, Role.MANAGER)
    (a,) = add_annotators(db, project, 1)
    gold_service.mark_gold(db, project, 1, value={"sentiment": "positive"}, actor=me)
    task = next_task_for(db, project, a, now=T0)
    assert task is not None and task.item_id == 1
    submit_annotation(
        db,
        task.assignment_id,
        a,
        value={"sentiment": "negative"},
        seconds=1.0,
        idempotency_key="k",
        now=T0 + timedelta(seconds=1),
    )
    gold_service.reinstate_annotator(db, project, "ann0@example.com", actor=me)
    gold_service.requeue_annotations(db, project, "ann0@example.com", actor=me)
    trail = audit_trail(db, project, actor=me)
    assert [(e.actor, e.action, e.subject, e.guideline_version) for e in trail] == [
        ("lead@example.com", "gold.mark", "item 1", 1),
        (None, "annotator.auto_pause", "ann0@example.com", 1),
        ("lead@example.com", "annotator.reinstate", "ann0@example.com", 1),
        ("lead@example.com", "annotations.requeue", "ann0@example.com", 1),
    ]
    assert trail[1].details["total"] == 1 and trail[3].details["annotations"] == 0


def test_export_as_jsonl_and_csv_and_who_may_read(db: Database) -> None:
    """Both formats carry every event; a spreadsheet formula is defused; vendors' staff and
    reviewers may not read the trail; an unknown action filter is refused."""
    project = make_project(db)
    load_texts(db, project, ["x"])
    gold_service.mark_gold(db, project, 1, value={"sentiment": "positive"})
    gold_service.unmark_gold(db, project, 1)
    boss = add_user(db, "boss@acme.example", role="manager", vendor="acme", projects=[project]).user
    rev = add_user(db, "rev@example.com", role="reviewer", projects=[project]).user
    lines = [json.loads(line) for line in audit_export(db, project, "jsonl")]
    rows = list(csv.reader(io.StringIO("".join(audit_export(db, project, "csv")))))
    with pytest.raises(PermissionDenied):
        audit_trail(db, project, actor=Actor(boss.id, boss.email, Role.MANAGER, vendor="acme"))
    with pytest.raises(PermissionDenied):
        audit_trail(db, project, actor=Actor(rev.id, rev.email, Role.REVIEWER))
    with pytest.raises(InvalidInput):
        audit_trail(db, project, action="gold.explode")
    assert ([(r["action"], r["subject"]) for r in lines], rows[0], [r[3] for r in rows[1:]]) == (
        [("gold.mark", "item 1"), ("gold.unmark", "item 1")],
        ["id", "at", "actor", "action", "subject", "guideline_version", "details"],
        ["gold.mark", "gold.unmark"],
    )
