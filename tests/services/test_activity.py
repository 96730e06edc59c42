"""A project's activity through the service layer, on every database: annotations per day
with the running total, the annotations the items need, label counts, vendor walls, and
the cache keyed by the annotation count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from tests.services.builders import add_annotators, jsonl, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.gold import wilson_bounds
from labelworks.services import activity, ingestion
from labelworks.services.activity import DAYS, VendorDay, project_activity
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

TODAY = date(2026, 3, 10)


def _label(db: Database, project: str, who: int, label: str, at: datetime) -> None:
    task = next_task_for(db, project, who, now=at)
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        who,
        value={"sentiment": label},
        seconds=1.0,
        idempotency_key=f"{who}-{at.isoformat()}",
        now=at,
    )


def test_days_running_total_scope_and_labels(db: Database) -> None:
    """Per day within the last 30 (older work counted in the running total), the scope
    from the items' overlap, and labels most frequent first."""
    project = make_project(db, overlap=2)
    load_texts(db, project, [f"t{i}" for i in range(5)])
    a, b = add_annotators(db, project, 2)
    noon = datetime(2026, 3, 10, 12)
    plan = [
        (a, "positive", noon - timedelta(days=40)),
        (a, "negative", noon - timedelta(days=2)),
        (b, "positive", noon - timedelta(days=2, hours=1)),
        (b, "positive", noon),
    ]
    for who, label, at in plan:
        _label(db, project, who, label, at)
    found = project_activity(db, project, annotations=4, today=TODAY)
    days = {d.day: (d.annotations, d.cumulative) for d in found.days}
    assert (len(found.days), found.days[0].day, found.days[-1].day) == (
        DAYS,
        (TODAY - timedelta(days=DAYS - 1)).isoformat(),
        TODAY.isoformat(),
    )
    assert (
        days["2026-03-08"],
        days["2026-03-09"],
        days["2026-03-10"],
        found.days[0].cumulative,
        found.needed,
        found.done,
        found.label_field,
        found.labels,
        found.last_week,
    ) == ((2, 3), (0, 3), (1, 4), 1, 10, 4, "sentiment", [("positive", 3), ("negative", 1)], 3)


def test_a_vendor_manager_counts_their_vendor_only(db: Database) -> None:
    """Behind a vendor wall the days and labels hold that vendor's annotations only."""
    project = make_project(db, overlap=2)
    load_texts(db, project, ["t0", "t1"])
    acme = add_user(db, "a@acme.example", role="annotator", vendor="acme", projects=[project])
    other = add_user(db, "b@other.example", role="annotator", vendor="other", projects=[project])
    boss = add_user(db, "boss@acme.example", role="manager", vendor="acme", projects=[project])
    noon = datetime(2026, 3, 10, 12)
    _label(db, project, acme.user.id, "negative", noon)
    _label(db, project, other.user.id, "positive", noon)
    _label(db, project, other.user.id, "positive", noon + timedelta(minutes=1))
    actor = Actor(boss.user.id, "boss@acme.example", Role.MANAGER, vendor="acme")
    found = project_activity(db, project, annotations=3, actor=actor, today=TODAY)
    assert (found.done, found.labels) == (1, [("negative", 1)])


def test_days_split_by_vendor_and_gold_accuracy_per_week(db: Database) -> None:
    """Days are split by the annotators' vendors (the organisation's own people under
    ``None``) and gold answers are scored per ISO week with their Wilson interval."""
    project = make_project(db, overlap=2, quality={"gold_rate": 1.0})
    rows = [{"text": f"g{i}", "gold": {"sentiment": "positive"}} for i in range(3)]
    rows += [{"text": f"t{i}"} for i in range(4)]  # gold is served only beside ordinary work
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="gold.jsonl")
    acme = add_user(db, "a@acme.example", role="annotator", vendor="acme", projects=[project])
    (own,) = add_annotators(db, project, 1)
    monday = datetime(2026, 3, 2, 12)  # ISO week 10; the week before is 9
    _label(db, project, acme.user.id, "positive", monday - timedelta(days=3))
    _label(db, project, acme.user.id, "negative", monday)
    _label(db, project, own, "positive", monday)
    _label(db, project, own, "positive", monday + timedelta(days=1))
    found = project_activity(db, project, annotations=4, today=TODAY)
    weeks = [
        (w.week, w.correct, w.answered, round(w.low, 4), round(w.high, 4)) for w in found.gold_weeks
    ]
    low, high = wilson_bounds(2, 3)
    assert (found.vendor_days, weeks) == (
        [
            VendorDay("2026-02-27", "acme", 1),
            VendorDay("2026-03-02", None, 1),
            VendorDay("2026-03-02", "acme", 1),
            VendorDay("2026-03-03", None, 1),
        ],
        [("2026-W09", 1, 1, 0.2065, 1.0), ("2026-W10", 2, 3, round(low, 4), round(high, 4))],
    )


def test_figures_are_reused_until_the_count_changes(db: Database) -> None:
    """The same annotation count gives the kept figures; a new count recounts."""
    project = make_project(db, overlap=1)
    load_texts(db, project, ["t0", "t1"])
    (a,) = add_annotators(db, project, 1)
    first = project_activity(db, project, annotations=0, today=TODAY)
    _label(db, project, a, "neutral", datetime(2026, 3, 10, 9))
    kept = project_activity(db, project, annotations=0, today=TODAY)
    fresh = project_activity(db, project, annotations=1, today=TODAY)
    assert (first.done, kept is first, fresh.done, fresh.labels) == (0, True, 1, [("neutral", 1)])


def test_dear_figures_are_refreshed_in_the_background(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When computing took long, a changed count first returns the kept figures and queues
    one refresh; once it ran, the fresh figures are returned."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(activity, "CHEAP_SECONDS", 0.0)
    monkeypatch.setattr(activity, "REFRESH_EVERY", 0.0)
    monkeypatch.setattr(activity, "runner", queued.append)
    project = make_project(db, overlap=1)
    load_texts(db, project, ["t0", "t1"])
    (a,) = add_annotators(db, project, 1)
    first = project_activity(db, project, annotations=0, today=TODAY)
    _label(db, project, a, "neutral", datetime(2026, 3, 10, 9))
    stale = project_activity(db, project, annotations=1, today=TODAY)
    again = project_activity(db, project, annotations=1, today=TODAY)
    n_queued = len(queued)
    for work in queued:
        work()
    fresh = project_activity(db, project, annotations=1, today=TODAY)
    assert (stale is first, again is first, n_queued, fresh.done) == (True, True, 1, 1)
