"""Leasing, submitting and skipping through the service layer, on every database."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from labelworks.domain.assignment import Candidate, choose_next
from labelworks.domain.errors import (
    AssignmentClosed,
    InvalidAnnotation,
    InvalidInput,
    LeaseLost,
    NotFound,
)
from labelworks.services.assignment import (
    SubmitResult,
    next_task_for,
    skip_task,
    submit_annotation,
)
from labelworks.services.ingestion import ImportSummary
from labelworks.services.status import project_status
from labelworks.services.users import add_member, add_user, remove_member
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.tables import annotations_table, assignments, items, late_submissions

POS = {"sentiment": "positive"}
T0 = datetime(2026, 1, 1, 12, 0, 0)


def _rows(db: Database, table: object, *columns: str) -> list[tuple[object, ...]]:
    with db.read() as conn:
        cols = [table.c[c] for c in columns]  # type: ignore[attr-defined]
        return [tuple(r) for r in conn.execute(select(*cols).order_by(*cols))]


def test_queue_order_prefers_started_items_then_import_order(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """The second annotator is given the item the first one started, not a fresh one."""
    loaded(5)
    a, b, c = annotators
    first = next_task_for(db, project, a, now=T0)
    second = next_task_for(db, project, b, now=T0)
    third = next_task_for(db, project, c, now=T0)
    assert first is not None and second is not None and third is not None
    assert (first.item_id, second.item_id, third.item_id) == (1, 1, 2)
    assert first.payload == {"text": "review number 0"}
    assert first.expires_at == T0 + timedelta(minutes=30)
    assert first.guideline_version == 1


def test_repeated_next_returns_the_live_lease(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """Asking again without submitting returns the same assignment instead of hoarding."""
    loaded(3)
    first = next_task_for(db, project, annotators[0], now=T0)
    again = next_task_for(db, project, annotators[0], now=T0 + timedelta(minutes=1))
    assert first == again


def test_submit_records_everything_and_completes_items(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """Two submits complete an item (overlap 2), with value, seconds and guideline version."""
    loaded(1)
    a, b, _ = annotators
    ta = next_task_for(db, project, a, now=T0)
    tb = next_task_for(db, project, b, now=T0)
    assert ta is not None and tb is not None
    ra = submit_annotation(
        db, ta.assignment_id, a, value=POS, seconds=4.5, idempotency_key="k1", now=T0
    )
    rb = submit_annotation(
        db,
        tb.assignment_id,
        b,
        value={"sentiment": "neutral"},
        seconds=2.0,
        idempotency_key="k2",
        now=T0,
    )
    assert ra == SubmitResult(1, ta.assignment_id, 1, created=True, after_expiry=False)
    assert rb == SubmitResult(2, tb.assignment_id, 1, created=True, after_expiry=False)
    assert _rows(
        db, annotations_table, "annotator_id", "value", "seconds", "guideline_version"
    ) == [
        (a, json.dumps(POS, separators=(",", ":")), 4.5, 1),
        (b, '{"sentiment":"neutral"}', 2.0, 1),
    ]
    assert _rows(db, items, "n_submitted", "n_leased", "pool") == [(2, 0, None)]
    assert next_task_for(db, project, annotators[2], now=T0) is None


def test_retried_submit_is_idempotent(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """The same key returns the first result; a different key is refused; one row exists."""
    loaded(1)
    task = next_task_for(db, project, annotators[0])
    assert task is not None
    first = submit_annotation(
        db, task.assignment_id, annotators[0], value=POS, seconds=1.0, idempotency_key="same"
    )
    replay = submit_annotation(
        db, task.assignment_id, annotators[0], value=POS, seconds=1.0, idempotency_key="same"
    )
    assert replay == SubmitResult(
        first.annotation_id, task.assignment_id, 1, created=False, after_expiry=False
    )
    with pytest.raises(AssignmentClosed) as caught:
        submit_annotation(
            db, task.assignment_id, annotators[0], value=POS, seconds=1.0, idempotency_key="other"
        )
    assert str(caught.value) == f"assignment {task.assignment_id} was already submitted"
    assert len(_rows(db, annotations_table, "id")) == 1


def test_invalid_value_changes_nothing(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """A label outside the schema is refused with the field named, and the lease stays."""
    loaded(1)
    task = next_task_for(db, project, annotators[0], now=T0)
    assert task is not None
    with pytest.raises(InvalidAnnotation) as caught:
        submit_annotation(
            db,
            task.assignment_id,
            annotators[0],
            value={"sentiment": "angry"},
            seconds=1.0,
            idempotency_key="k",
            now=T0,
        )
    assert caught.value.location is not None and caught.value.location.field == "sentiment"
    assert _rows(db, annotations_table, "id") == []
    assert _rows(db, assignments, "state") == [("leased",)]
    assert _rows(db, items, "n_submitted", "n_leased") == [(0, 1)]


def test_bad_submit_arguments_are_refused(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """An empty idempotency key or negative seconds is an input error."""
    loaded(1)
    task = next_task_for(db, project, annotators[0])
    assert task is not None
    with pytest.raises(InvalidInput, match="idempotency_key"):
        submit_annotation(
            db, task.assignment_id, annotators[0], value=POS, seconds=1.0, idempotency_key=""
        )
    with pytest.raises(InvalidInput, match="seconds"):
        submit_annotation(
            db, task.assignment_id, annotators[0], value=POS, seconds=-1.0, idempotency_key="k"
        )


def test_skip_releases_and_is_never_offered_again(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """A skipped item goes back to the pool for others but never to the skipper."""
    loaded(2)
    a, b, _ = annotators
    task = next_task_for(db, project, a)
    assert task is not None and task.item_id == 1
    skip_task(db, task.assignment_id, a, reason="not English")
    skip_task(db, task.assignment_id, a, reason="not English")  # a retry changes nothing
    assert _rows(db, assignments, "state", "skip_reason") == [("skipped", "not English")]
    assert _rows(db, items, "n_leased", "pool") == [(0, 1), (0, 1)]
    nxt = next_task_for(db, project, a)
    other = next_task_for(db, project, b)
    assert nxt is not None and other is not None
    assert (nxt.item_id, other.item_id) == (2, 2)
    with pytest.raises(AssignmentClosed):
        submit_annotation(db, task.assignment_id, a, value=POS, seconds=1, idempotency_key="x")


def test_expired_lease_returns_the_item(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """After the lease time the item is offered to others; the late submit still counts."""
    loaded(1)
    a, b, c = annotators
    late = next_task_for(db, project, a, now=T0)
    assert late is not None
    assert next_task_for(db, project, b, now=T0 + timedelta(minutes=20)) is not None
    assert next_task_for(db, project, c, now=T0 + timedelta(minutes=20)) is None  # full
    later = T0 + timedelta(minutes=31)
    taken = next_task_for(db, project, c, now=later)
    assert taken is not None and taken.item_id == 1
    assert _rows(db, assignments, "annotator_id", "state") == [
        (a, "expired"),
        (b, "leased"),
        (c, "leased"),
    ]
    with pytest.raises(LeaseLost) as caught:
        submit_annotation(
            db, late.assignment_id, a, value=POS, seconds=3.0, idempotency_key="late", now=later
        )
    assert caught.value.code == "lease_lost"
    # A retry of the refused submit is refused again without a second copy.
    with pytest.raises(LeaseLost):
        submit_annotation(
            db, late.assignment_id, a, value=POS, seconds=3.0, idempotency_key="late", now=later
        )
    assert _rows(db, late_submissions, "annotator_id", "value", "idempotency_key") == [
        (a, '{"sentiment":"positive"}', "late")
    ]
    assert _rows(db, annotations_table, "id") == []
    assert _rows(db, assignments, "annotator_id", "state") == [
        (a, "late"),
        (b, "leased"),
        (c, "leased"),
    ]


def test_submit_after_expiry_counts_while_there_is_room(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """A reclaimed lease's submit is accepted when the item still has room."""
    loaded(2)
    a, b, _ = annotators
    task = next_task_for(db, project, a, now=T0)
    assert task is not None
    later = T0 + timedelta(hours=2)
    assert next_task_for(db, project, b, now=later) is not None  # reclaims a's lease
    result = submit_annotation(
        db, task.assignment_id, a, value=POS, seconds=9.0, idempotency_key="k", now=later
    )
    assert result == SubmitResult(1, task.assignment_id, 1, created=True, after_expiry=True)
    assert _rows(db, items, "id", "n_submitted", "n_leased") == [(1, 1, 1), (2, 0, 0)]


def test_unexpired_but_unreclaimed_lease_keeps_its_slot(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """A submit past expiry that nobody reclaimed yet is accepted: the slot was still held."""
    loaded(1)
    task = next_task_for(db, project, annotators[0], now=T0)
    assert task is not None
    result = submit_annotation(
        db,
        task.assignment_id,
        annotators[0],
        value=POS,
        seconds=1.0,
        idempotency_key="k",
        now=T0 + timedelta(days=1),
    )
    assert (result.created, result.after_expiry) == (True, True)
    assert _rows(db, items, "n_submitted", "n_leased") == [(1, 0)]


def test_only_members_work_and_only_on_their_own_assignments(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """Outsiders are told the project does not exist; another annotator's assignment id looks
    like a missing one."""
    loaded(1)
    outsider = add_user(db, "out@example.com", role="annotator").user.id
    with pytest.raises(NotFound) as denied:
        next_task_for(db, project, outsider)
    assert str(denied.value) == "project 'sentiment' does not exist"
    task = next_task_for(db, project, annotators[0])
    assert task is not None
    with pytest.raises(NotFound) as missing:
        submit_annotation(
            db, task.assignment_id, annotators[1], value=POS, seconds=1, idempotency_key="k"
        )
    assert str(missing.value) == f"assignment {task.assignment_id} does not exist"
    with pytest.raises(NotFound):
        next_task_for(db, "nope", annotators[0])


def _done_today(db: Database, project: str, annotator: int, now: datetime | None = None) -> int:
    task = next_task_for(db, project, annotator, now=now)
    assert task is not None and task.progress is not None
    return task.progress.done_today


def _submit_next(db: Database, project: str, annotator: int) -> None:
    task = next_task_for(db, project, annotator)
    assert task is not None
    submit_annotation(db, task.assignment_id, annotator, value=POS, seconds=1, idempotency_key="k")


def test_done_today_is_kept_per_member_and_per_day(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """The day's count follows each submit, survives leaving and rejoining the project,
    starts again the next day, and is counted for an admin labelling without membership."""
    loaded(10)
    a = annotators[0]
    counts = [_done_today(db, project, a)]
    for _ in range(2):
        _submit_next(db, project, a)
        counts.append(_done_today(db, project, a))
    remove_member(db, project, "ann0@example.com")
    add_member(db, project, "ann0@example.com")
    counts.append(_done_today(db, project, a))
    counts.append(_done_today(db, project, a, now=utcnow() + timedelta(days=1)))
    admin = add_user(db, "boss@example.com", role="admin").user.id
    _submit_next(db, project, admin)
    counts.append(_done_today(db, project, admin))
    assert counts == [0, 1, 2, 2, 0, 1]


def test_status_counts_follow_the_work(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """Status reports items, completion, leases, skips and per-annotator numbers."""
    loaded(3)
    a, b, c = annotators
    for who in (a, b):
        task = next_task_for(db, project, who)
        assert task is not None
        submit_annotation(db, task.assignment_id, who, value=POS, seconds=60.0, idempotency_key="k")
    skipped = next_task_for(db, project, c)
    assert skipped is not None
    skip_task(db, skipped.assignment_id, c)
    assert next_task_for(db, project, c) is not None
    status = project_status(db, project).to_dict()
    assert status == {
        "project": "sentiment",
        "overlap": 2,
        "items": 3,
        "complete": 1,
        "annotations": 2,
        "active_leases": 1,
        "skips": 1,
        "late_submissions": 0,
        "completion": round(1 / 3, 6),
        "annotators": [
            {
                "email": "ann0@example.com",
                "submitted": 1,
                "skipped": 0,
                "leased": 0,
                "seconds": 60.0,
                "seconds_per_item": 60.0,
            },
            {
                "email": "ann1@example.com",
                "submitted": 1,
                "skipped": 0,
                "leased": 0,
                "seconds": 60.0,
                "seconds_per_item": 60.0,
            },
            {
                "email": "ann2@example.com",
                "submitted": 0,
                "skipped": 1,
                "leased": 1,
                "seconds": 0.0,
                "seconds_per_item": None,
            },
        ],
    }


def test_storage_order_matches_the_reference_rules(
    db: Database, project: str, loaded: Callable[[int], ImportSummary]
) -> None:
    """Over a random workload, every lease equals what domain.choose_next picks."""
    loaded(12)
    people = [
        add_user(db, f"p{i}@example.com", role="annotator", projects=[project]).user.id
        for i in range(5)
    ]
    rng = random.Random(4)
    with db.write() as conn:  # random priorities so that ordering is exercised
        for item_id in range(1, 13):
            conn.execute(
                items.update()
                .where(items.c.id == item_id)
                .values(priority=rng.choice([0, 0, 1, 2]))
            )
    now = utcnow()
    for step in range(40):
        who = rng.choice(people)
        with db.read() as conn:
            cands = [
                Candidate(r.id, r.priority, r.n_submitted, r.n_leased)
                for r in conn.execute(select(items))
            ]
            taken = {
                r.item_id
                for r in conn.execute(
                    select(assignments.c.item_id).where(
                        assignments.c.annotator_id == who, assignments.c.state != "expired"
                    )
                )
            }
            held = conn.execute(
                select(assignments.c.item_id).where(
                    assignments.c.annotator_id == who, assignments.c.state == "leased"
                )
            ).scalar()
        expected = held if held is not None else choose_next(cands, 2, taken)
        task = next_task_for(db, project, who, now=now)
        assert (task.item_id if task else None) == expected, f"step {step}"
        if task is not None and rng.random() < 0.8:
            if rng.random() < 0.85:
                submit_annotation(
                    db,
                    task.assignment_id,
                    who,
                    value=POS,
                    seconds=1.0,
                    idempotency_key=f"s{step}",
                    now=now,
                )
            else:
                skip_task(db, task.assignment_id, who, now=now)
