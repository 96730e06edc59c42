"""Consistency audits through the service layer, on every database: retests served
unannounced among live work, kept apart from annotations, idempotent, skippable and
late-tolerant, and the test–retest report against an independent computation."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.errors import AssignmentClosed
from labelworks.services.assignment import Task, next_task_for, skip_task, submit_annotation
from labelworks.services.gold import mark_gold
from labelworks.services.retests import retest_report
from labelworks.storage import leases as lease_store
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, items, memberships, retests

T0 = datetime(2026, 1, 1, 12, 0, 0)
RETEST = {"retest": {"rate": 0.3, "after": 3}}


def _label(item_id: int, again: bool) -> str:
    """The simulated annotator: a fixed answer per item, changed on the retest of an odd
    item."""
    first = ("positive", "negative", "neutral")[item_id % 3]
    return ("negative" if first == "positive" else "positive") if again and item_id % 2 else first


def _run(db: Database, project: str, annotator: int, seed: int) -> list[tuple[Task, bool]]:
    """Label until nothing is left; each task with whether the annotator had its item."""
    rng, seen, served = random.Random(seed), set(), []
    for k in range(1000):
        at = T0 + timedelta(seconds=k)
        task = next_task_for(db, project, annotator, now=at, rng=rng)
        if task is None:
            return served
        again = task.item_id in seen
        seen.add(task.item_id)
        served.append((task, again))
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value={"sentiment": _label(task.item_id, again)},
            seconds=1.0,
            idempotency_key=f"k{k}",
            now=at,
            rng=rng,
        )
    raise AssertionError("the queue never emptied")


def _counts(db: Database, project: str) -> tuple[int, int, list[int]]:
    with db.read() as conn:
        n_annotations = conn.execute(select(func.count()).select_from(annotations_table)).scalar()
        n_retests = conn.execute(select(func.count()).select_from(retests)).scalar()
        submitted = conn.execute(select(items.c.n_submitted).order_by(items.c.id)).scalars()
        return int(n_annotations or 0), int(n_retests or 0), list(submitted)


def test_retests_come_unannounced_among_live_work_and_stay_out_of_annotations(
    db: Database,
) -> None:
    """Retests carry the item as first served, re-serve items at least ``after``
    annotations old, each at most once and only while live work is left; items keep one
    annotation each."""
    project = make_project(db, overlap=1, quality=RETEST)
    load_texts(db, project, [f"text {i}" for i in range(40)])
    (a,) = add_annotators(db, project, 1)
    served = _run(db, project, a, seed=7)
    order = [task.item_id for task, _ in served]
    again = [k for k, (_, repeat) in enumerate(served) if repeat]
    first_seen = {item: order.index(item) for item in order}
    payloads = {task.item_id: task.payload for task, repeat in served if not repeat}
    assert again  # the seed gives retests; the rest of the test checks them
    assert {
        "same payload": all(task.payload == payloads[task.item_id] for task, _ in served),
        "old enough": all(k - first_seen[order[k]] > 3 for k in again),
        "once each": max(Counter(order).values()),
        "live work follows": max(again) < len(served) - 1 and not served[-1][1],
        "counts": _counts(db, project),
    } == {
        "same payload": True,
        "old enough": True,
        "once each": 2,
        "live work follows": True,
        "counts": (40, len(again), [1] * 40),
    }


def test_retest_answers_keep_the_first_beside_them_and_count_in_the_day(db: Database) -> None:
    """Each retest row holds the annotator's first and second answers, and their day's
    count includes the retests, as it would any submit."""
    project = make_project(db, overlap=1, quality=RETEST)
    load_texts(db, project, [f"text {i}" for i in range(30)])
    (a,) = add_annotators(db, project, 1)
    served = _run(db, project, a, seed=3)
    with db.read() as conn:
        rows = conn.execute(
            select(retests.c.item_id, retests.c.first_value, retests.c.value).order_by(retests.c.id)
        ).all()
        done = conn.execute(select(memberships.c.done_count)).scalar()
    expected = [
        (
            task.item_id,
            {"sentiment": _label(task.item_id, False)},
            {"sentiment": _label(task.item_id, True)},
        )
        for task, repeat in served
        if repeat
    ]
    assert (
        [(r.item_id, json.loads(r.first_value), json.loads(r.value)) for r in rows],
        done,
    ) == (expected, len(served))


def _retest_task(
    db: Database, project: str, annotator: int, start: int = 0
) -> tuple[Task, datetime]:
    """Work until a retest comes (rate 0.5, after 1), and return it with its time."""
    with db.read() as conn:
        seen = set(conn.execute(select(annotations_table.c.item_id)).scalars())
    rng = random.Random(start)
    for k in range(start, start + 200):
        at = T0 + timedelta(seconds=k)
        task = next_task_for(db, project, annotator, now=at, rng=rng)
        assert task is not None
        if task.item_id in seen:
            return task, at
        seen.add(task.item_id)
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value={"sentiment": "neutral"},
            seconds=1.0,
            idempotency_key=f"k{k}",
            now=at,
        )
    raise AssertionError("no retest came")


def _retest_project(db: Database) -> tuple[str, int]:
    project = make_project(db, overlap=1, quality={"retest": {"rate": 0.5, "after": 1}})
    load_texts(db, project, [f"text {i}" for i in range(50)])
    (a,) = add_annotators(db, project, 1)
    return project, a


def test_a_retest_submit_is_idempotent_and_a_second_key_is_refused(db: Database) -> None:
    """A retried retest submit returns the first result; another key finds it closed."""
    project, a = _retest_project(db)
    task, at = _retest_task(db, project, a)

    def send(key: str) -> Any:
        return submit_annotation(
            db,
            task.assignment_id,
            a,
            value={"sentiment": "positive"},
            seconds=2.0,
            idempotency_key=key,
            now=at,
        )

    first, again = send("r1"), send("r1")
    with pytest.raises(AssignmentClosed):
        send("r2")
    assert (again.annotation_id, again.created, first.created, _counts(db, project)[1]) == (
        first.annotation_id,
        False,
        True,
        1,
    )


def test_a_skipped_or_lapsed_retest_moves_no_counter(db: Database) -> None:
    """Skipping a retest, or letting it lapse and submitting late, leaves every item's
    counters as they were; the late answer is kept, marked after expiry."""
    project, a = _retest_project(db)
    task, at = _retest_task(db, project, a)
    before = _counts(db, project)
    skip_task(db, task.assignment_id, a, reason="tired", now=at)
    task2, at2 = _retest_task(db, project, a, start=1000)
    late = at2 + timedelta(hours=2)
    with db.write() as conn:
        pid = conn.execute(select(items.c.project_id)).scalars().first()
        assert pid is not None
        reclaimed = lease_store.reclaim_expired(conn, pid, 1, late)
    result = submit_annotation(
        db,
        task2.assignment_id,
        a,
        value={"sentiment": "positive"},
        seconds=2.0,
        idempotency_key="late",
        now=late,
    )
    n_annotations, n_retests, submitted = _counts(db, project)
    with db.read() as conn:
        leased = conn.execute(select(func.sum(items.c.n_leased))).scalar()
    assert (reclaimed, result.after_expiry, n_retests, sorted(submitted), leased) == (
        1,
        True,
        1,
        [0] * (50 - n_annotations) + [1] * n_annotations,
        0,
    )
    assert before[1] == 0


def test_gold_items_and_the_qualification_test_are_never_retested(db: Database) -> None:
    """Gold items are audited by their own answers and a qualification test is gold only:
    no retest comes during the test, and none re-serves a gold item."""
    quality = {
        "gold_rate": 0.3,
        "qualification": {"items": 3, "pass": 0.1},
        "retest": {"rate": 0.5, "after": 1},
    }
    project = make_project(db, overlap=1, quality=quality)
    load_texts(db, project, [f"text {i}" for i in range(30)])
    with db.read() as conn:
        ids = list(conn.execute(select(items.c.id).order_by(items.c.id)).scalars())
    gold = set(ids[::3])
    for item_id in gold:
        mark_gold(db, project, item_id, value={"sentiment": _label(item_id, False)})
    (a,) = add_annotators(db, project, 1)
    served = _run(db, project, a, seed=5)
    retested = {task.item_id for task, repeat in served if repeat}
    assert (
        [task.item_id in gold for task, _ in served[:3]],
        [repeat for _, repeat in served[:3]],
        bool(retested),
        retested & gold,
    ) == ([True] * 3, [False] * 3, True, set())


def _kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of first against second answers, from its definition."""
    n = len(pairs)
    labels = sorted({x for pair in pairs for x in pair})
    observed = sum(first == second for first, second in pairs) / n
    first = Counter(f for f, _ in pairs)
    second = Counter(s for _, s in pairs)
    chance = sum(first[c] * second[c] for c in labels) / n**2
    return (observed - chance) / (1 - chance)


def test_the_report_pools_and_splits_test_retest_agreement(db: Database) -> None:
    """Per annotator and pooled: retests, the share answered the same with its Wilson
    interval, and Cohen's kappa, equal to a direct computation from the pairs given."""
    project = make_project(db, overlap=2, quality=RETEST)
    load_texts(db, project, [f"text {i}" for i in range(60)])
    people = add_annotators(db, project, 2)
    pairs: dict[str, list[tuple[str, str]]] = {}
    for n, who in enumerate(people):
        served = _run(db, project, who, seed=11 + n)
        pairs[f"ann{n}@example.com"] = [
            (_label(t.item_id, False), _label(t.item_id, True)) for t, repeat in served if repeat
        ]
    report = retest_report(db, project)
    pooled = [p for name in sorted(pairs) for p in pairs[name]]
    found = {
        r.email: (r.retests, r.same.correct, r.fields[0].pairs.total, r.fields[0].kappa)
        for r in report.annotators
    }
    assert (report.retests, report.same.correct, report.rate, report.after, found) == (
        len(pooled),
        sum(f == s for f, s in pooled),
        0.3,
        3,
        {
            name: (
                len(given),
                sum(f == s for f, s in given),
                len(given),
                pytest.approx(_kappa(given)),
            )
            for name, given in pairs.items()
        },
    )
    assert report.fields[0].kappa == pytest.approx(_kappa(pooled))
    assert report.same.interval is not None
    low, high = report.same.interval
    assert low < report.same.correct / report.same.total < high
