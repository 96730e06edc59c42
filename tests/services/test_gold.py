"""Gold questions through the service layer, on every database: marking, the gold draw,
scoring, auto-pause, reinstating, sending work back, and who may see expert answers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import (
    AnnotatorPaused,
    InvalidAnnotation,
    InvalidImport,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from labelworks.services import gold as gold_service
from labelworks.services import ingestion
from labelworks.services.assignment import next_task_for, skip_task, submit_annotation
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, items, set_aside_annotations

T0 = datetime(2026, 1, 1, 12, 0, 0)
POS = {"sentiment": "positive"}
NEG = {"sentiment": "negative"}


def _load(db: Database, project: str, n: int, gold: dict[int, dict[str, str]]) -> list[int]:
    """Import ``n`` texts, rows in ``gold`` carrying an expert answer; returns item ids."""
    rows = [
        {
            "text": f"review {i}",
            **({"gold": gold[i], "gold_explanation": f"why {i}"} if i in gold else {}),
        }
        for i in range(n)
    ]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="items.jsonl")
    with db.read() as conn:
        return [int(r) for r in conn.execute(select(items.c.id).order_by(items.c.id)).scalars()]


def _work(
    db: Database, project: str, annotator: int, answer: dict[str, str], n: int, at: datetime
) -> list[int]:
    """Lease and submit ``n`` tasks with ``answer``; returns the item ids served."""
    served = []
    for k in range(n):
        task = next_task_for(db, project, annotator, now=at + timedelta(seconds=k))
        assert task is not None
        served.append(task.item_id)
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value=answer,
            seconds=1.0,
            idempotency_key=f"{annotator}-{k}-{at}",
            now=at + timedelta(seconds=k),
        )
    return served


def test_gold_items_are_served_only_by_the_gold_draw_once_each(db: Database) -> None:
    """With gold_rate 0 nobody gets a gold item; with gold_rate 1 each annotator gets each
    gold item once, while ordinary work is left, and gold counters never move."""
    project = make_project(db, overlap=1)
    ids = _load(db, project, 6, {1: POS, 4: NEG})
    (a,) = add_annotators(db, project, 1)
    assert _work(db, project, a, POS, 4, T0) == [ids[0], ids[2], ids[3], ids[5]]
    assert next_task_for(db, project, a, now=T0 + timedelta(minutes=1)) is None

    other = make_project(db, name="golden", overlap=1, quality={"gold_rate": 1.0})
    gids = _load_into(db, other, 4, {0: POS, 3: NEG})
    (b,) = add_annotators(db, other, 1, prefix="gb")
    served = _work(db, other, b, POS, 4, T0)
    assert (sorted(served[:2]), served[2:]) == (sorted([gids[0], gids[3]]), [gids[1], gids[2]])
    with db.read() as conn:
        counters = conn.execute(
            select(items.c.id, items.c.n_submitted, items.c.n_leased, items.c.pool, items.c.gold)
            .where(items.c.id.in_(gids))
            .order_by(items.c.id)
        ).all()
    assert [tuple(r) for r in counters] == [
        (gids[0], 0, 0, None, True),
        (gids[1], 1, 0, None, False),
        (gids[2], 1, 0, None, False),
        (gids[3], 0, 0, None, True),
    ]


def _load_into(db: Database, project: str, n: int, gold: dict[int, dict[str, str]]) -> list[int]:
    before = set(_all_ids(db))
    _load(db, project, n, gold)
    return sorted(set(_all_ids(db)) - before)


def _all_ids(db: Database) -> list[int]:
    with db.read() as conn:
        return [int(r) for r in conn.execute(select(items.c.id)).scalars()]


def test_no_gold_is_served_once_ordinary_work_runs_out(db: Database) -> None:
    """Gold comes mixed into work, never after it: once others have done the ordinary
    work, an annotator gets nothing, even with an unseen gold item and gold_rate 1."""
    project = make_project(db, overlap=1, quality={"gold_rate": 1.0})
    ids = _load(db, project, 2, {0: POS})
    first, late = add_annotators(db, project, 2)
    assert _work(db, project, first, POS, 2, T0) == ids
    assert next_task_for(db, project, late, now=T0 + timedelta(minutes=5)) is None


def test_gold_answers_are_scored_per_field_and_reported_with_wilson_intervals(db: Database) -> None:
    """Each gold answer is scored; the report gives correct/total and the 95% Wilson
    interval overall and per field."""
    project = make_project(db, overlap=1, quality={"gold_rate": 1.0})
    _load(db, project, 6, {0: POS, 1: POS, 2: NEG})
    good, bad = add_annotators(db, project, 2)
    _work(db, project, good, {"sentiment": "positive"}, 3, T0)  # 2 of 3 gold right
    _work(db, project, bad, {"sentiment": "neutral"}, 3, T0)
    report = gold_service.gold_report(db, project)
    rows = {
        r.email: (
            r.overall.correct,
            r.overall.total,
            {k: (v.correct, v.total) for k, v in r.fields.items()},
        )
        for r in report.annotators
    }
    assert (report.gold_items, report.gold_rate, rows) == (
        3,
        1.0,
        {
            "ann0@example.com": (2, 3, {"sentiment": (2, 3)}),
            "ann1@example.com": (0, 3, {"sentiment": (0, 3)}),
        },
    )
    low, high = next(
        r for r in report.annotators if r.email == "ann0@example.com"
    ).overall.interval or (0, 0)
    assert (round(low, 4), round(high, 4)) == (0.2077, 0.9385)


def test_auto_pause_stops_a_failing_annotator_and_reinstating_restarts_the_window(
    db: Database,
) -> None:
    """Once the Wilson upper bound of someone's gold accuracy is below the bar they get a
    clear refusal; a manager reinstates them and only later gold answers count."""
    project = make_project(
        db, overlap=1, quality={"gold_rate": 1.0, "auto_pause": {"min_gold": 3, "below": 0.7}}
    )
    _load(db, project, 12, {0: POS, 1: POS, 2: POS, 3: POS, 4: POS, 5: POS})
    (a,) = add_annotators(db, project, 1)
    _work(db, project, a, NEG, 3, T0)
    with pytest.raises(AnnotatorPaused) as refused:
        next_task_for(db, project, a, now=T0 + timedelta(minutes=1))
    assert str(refused.value) == (
        f"you are paused in project '{project}': paused: 0 of 3 gold answers correct (0%, 95% "
        "interval 0%–56%) is below the project's bar of 70%; a manager can reinstate you"
    )
    paused = gold_service.gold_report(db, project).annotators[0]
    assert (paused.paused is not None, paused.overall.total) == (True, 3)
    gold_service.reinstate_annotator(db, project, "ann0@example.com")
    task = next_task_for(db, project, a, now=T0 + timedelta(minutes=2))
    assert task is not None and gold_service.gold_report(db, project).annotators[0].paused is None
    with pytest.raises(NotFound):
        gold_service.reinstate_annotator(db, project, "ann0@example.com")


def test_requeue_sets_a_paused_annotators_work_aside_and_reopens_the_items(db: Database) -> None:
    """Sending someone's work back keeps their annotations whole in the set-aside table,
    removes them from the data, and gives the items to others, never to them again."""
    project = make_project(db, overlap=1)
    ids = _load(db, project, 3, {})
    a, b = add_annotators(db, project, 2)
    _work(db, project, a, NEG, 2, T0)
    gold_service.pause_annotator(db, project, "ann0@example.com", reason="spot check failed")
    assert gold_service.requeue_annotations(db, project, "ann0@example.com") == 2
    with db.read() as conn:
        kept = conn.execute(
            select(
                set_aside_annotations.c.item_id,
                set_aside_annotations.c.value,
                set_aside_annotations.c.reason,
            ).order_by(set_aside_annotations.c.item_id)
        ).all()
        left = conn.execute(select(annotations_table.c.id)).all()
    assert ([tuple(r) for r in kept], left) == (
        [
            (ids[0], '{"sentiment":"negative"}', "sent back for re-annotation"),
            (ids[1], '{"sentiment":"negative"}', "sent back for re-annotation"),
        ],
        [],
    )
    assert _work(db, project, b, POS, 3, T0 + timedelta(hours=1)) == ids
    with pytest.raises(AnnotatorPaused):
        next_task_for(db, project, a, now=T0 + timedelta(hours=2))


def test_unmarking_gold_returns_the_item_to_work_with_recounted_counters(db: Database) -> None:
    """An item taken out of gold goes back into the queue with counters recounted from
    its assignments."""
    project = make_project(db, overlap=2)
    ids = _load(db, project, 2, {})
    (a,) = add_annotators(db, project, 1)
    _work(db, project, a, POS, 1, T0)
    gold_service.mark_gold(db, project, ids[0], value=POS, explanation="obvious")
    gold_service.unmark_gold(db, project, ids[0])
    with db.read() as conn:
        row = conn.execute(
            select(items.c.n_submitted, items.c.n_leased, items.c.pool, items.c.gold).where(
                items.c.id == ids[0]
            )
        ).one()
    assert tuple(row) == (1, 0, 0, False)
    with pytest.raises(NotFound):
        gold_service.unmark_gold(db, project, ids[0])


def test_expert_answers_are_checked_and_kept_from_vendor_staff_and_reviewers(db: Database) -> None:
    """An answer the spec rejects is refused; only managers outside vendors read answers."""
    project = make_project(db)
    ids = _load(db, project, 1, {})
    with pytest.raises(InvalidAnnotation):
        gold_service.mark_gold(db, project, ids[0], value={"sentiment": "furious"})
    gold_service.mark_gold(db, project, ids[0], value=POS, explanation="says great")
    vendor_boss = add_user(
        db, "boss@vendor.example", role="manager", vendor="acme", projects=[project]
    ).user
    reviewer = add_user(db, "rev@example.com", role="reviewer", projects=[project]).user
    boss = Actor(vendor_boss.id, vendor_boss.email, Role.MANAGER, vendor="acme")
    with pytest.raises(PermissionDenied):
        gold_service.gold_answers(db, project, actor=boss)
    with pytest.raises(PermissionDenied):
        gold_service.gold_answers(
            db, project, actor=Actor(reviewer.id, reviewer.email, Role.REVIEWER)
        )
    answers = gold_service.gold_answers(db, project)
    assert [(g.item_id, g.value, g.explanation, g.answered) for g in answers] == [
        (ids[0], POS, "says great", 0)
    ]


def test_a_bad_gold_answer_in_an_import_names_the_line_and_field_and_imports_nothing(
    db: Database,
) -> None:
    """A gold answer that does not fit the fields fails the whole import at its line."""
    project = make_project(db)
    rows = [{"text": "fine"}, {"text": "bad", "gold": {"sentiment": "furious"}}]
    with pytest.raises(InvalidImport) as bad:
        ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="g.jsonl")
    assert (
        bad.value.location.line if bad.value.location else None,
        bad.value.location.field if bad.value.location else None,
        _all_ids(db),
    ) == (2, "gold.sentiment", [])


def test_a_skipped_gold_item_leaves_its_counters_alone(db: Database) -> None:
    """Skipping a gold task closes it for that annotator and moves no counter."""
    project = make_project(db, overlap=1, quality={"gold_rate": 1.0})
    ids = _load(db, project, 2, {0: POS})
    (a,) = add_annotators(db, project, 1)
    task = next_task_for(db, project, a, now=T0)
    assert task is not None and task.item_id == ids[0]
    skip_task(db, task.assignment_id, a, reason="unsure", now=T0)
    with db.read() as conn:
        row = conn.execute(
            select(items.c.n_submitted, items.c.n_leased, items.c.pool).where(items.c.id == ids[0])
        ).one()
    nxt = next_task_for(db, project, a, now=T0 + timedelta(seconds=1))
    assert (tuple(row), nxt is not None and nxt.item_id) == ((0, 0, None), ids[1])


def test_pausing_and_requeueing_need_a_member_and_nobody_pauses_themselves(db: Database) -> None:
    """Someone outside the project is 'not a member' for pause, reinstate and requeue
    alike, and a manager cannot pause themselves."""
    project = make_project(db)
    outsider = add_user(db, "out@example.com", role="annotator").user
    lead = add_user(db, "lead@example.com", role="manager", projects=[project]).user
    problems = []
    for call in (
        lambda: gold_service.pause_annotator(db, project, outsider.email, reason="x"),
        lambda: gold_service.reinstate_annotator(db, project, outsider.email),
        lambda: gold_service.requeue_annotations(db, project, outsider.email),
    ):
        with pytest.raises(NotFound) as missing:
            call()
        problems.append(str(missing.value))
    with pytest.raises(InvalidInput) as own:
        gold_service.pause_annotator(
            db, project, lead.email, reason="x", actor=Actor(lead.id, lead.email, Role.MANAGER)
        )
    assert (problems, str(own.value)) == (
        [f"user 'out@example.com' is not a member of project '{project}'"] * 3,
        "you cannot pause yourself",
    )
