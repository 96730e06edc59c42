"""Experiments through the services, on both databases: the recorded split, late units,
a simulated project whose second arm is truly more accurate (and faster) against an A/A
one, the suggestions treatment on the labeling path and what it costs there, access and
bad input."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.services import assignment, experiment_treatments, ingestion
from labelworks.services import experiments as service
from labelworks.services import users as user_service
from labelworks.services.audit import audit_trail
from labelworks.services.gold import mark_gold
from labelworks.stats.experiments import late_arm, split
from labelworks.storage.engine import Database
from labelworks.storage.operations_tables import experiment_units
from labelworks.storage.tables import items

LABELS = ["positive", "negative", "neutral"]
T0 = datetime(2030, 3, 2, 9, 0, 0)
ARMS = [("A", "guideline v3"), ("B", "guideline v4")]


def _items(db: Database, project: str, n: int, *, suggested: bool = False) -> list[int]:
    rows = [
        {
            "payload": {"text": f"review {k}", "truth": LABELS[k % 3]},
            **(
                {"pre_annotations": [{"model": "clf", "value": {"sentiment": LABELS[k % 3]}}]}
                if suggested
                else {}
            ),
        }
        for k in range(n)
    ]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="items.jsonl")
    with db.read() as conn:
        return [int(i) for i in conn.execute(select(items.c.id).order_by(items.c.id)).scalars()]


def test_create_records_a_balanced_split_of_the_labelling_members(db: Database) -> None:
    """Ten annotators are dealt five and five exactly as ``stats.experiments.split`` deals
    them for the seed; the split is in the table, the status counts it, and the audit
    trail holds the start."""
    project = make_project(db)
    people = add_annotators(db, project, 10)
    made = service.create_experiment(db, project, name="guide", unit="annotator", arms=ARMS, seed=7)
    with db.read() as conn:
        recorded = dict(
            conn.execute(select(experiment_units.c.unit_id, experiment_units.c.arm)).all()
        )
    dealt = {u: "AB"[a] for u, a in split(people, 7).items()}
    status = service.experiment_status(db, project, "guide")
    events = [(e.action, e.subject) for e in audit_trail(db, project)]
    assert (made.status, made.seed, recorded, [(s.arm.name, s.units) for s in status.arms]) == (
        "running",
        7,
        dealt,
        [("A", 5), ("B", 5)],
    )
    assert ("experiment.create", "guide") in events


def test_late_joiners_get_their_hashed_arm_and_the_split_never_moves(db: Database) -> None:
    """Annotators who join after the start are recorded, at the next status, in the arm
    the hash of seed and id gives; the units dealt at the start keep theirs."""
    project = make_project(db)
    first = add_annotators(db, project, 6)
    service.create_experiment(db, project, name="x", unit="annotator", arms=ARMS, seed=3)
    late = add_annotators(db, project, 4, prefix="late")
    service.experiment_status(db, project, "x")
    with db.read() as conn:
        recorded = dict(
            conn.execute(select(experiment_units.c.unit_id, experiment_units.c.arm)).all()
        )
    expected = {u: "AB"[a] for u, a in split(first, 3).items()}
    expected.update({u: "AB"[late_arm(3, u)] for u in late})
    status = service.experiment_status(db, project, "x")
    assert (recorded, sum(s.late for s in status.arms)) == (expected, 4)


def _simulated(db: Database, accuracy: tuple[float, float], seed: int) -> service.ExperimentReport:
    """A project with gold (rate 0.4) and majority consensus; 10 annotators split between
    two arms answer right with their arm's probability (each annotator's own skill drawn
    around it) and take a lognormal time, the second arm 30% faster when it is better."""
    project = make_project(db, overlap=3, quality={"gold_rate": 0.4, "consensus": "majority"})
    ids = _items(db, project, 80)
    for item_id in ids[:20]:
        mark_gold(db, project, item_id, value={"sentiment": LABELS[(item_id - ids[0]) % 3]})
    people = add_annotators(db, project, 10)
    service.create_experiment(db, project, name="ab", unit="annotator", arms=ARMS, seed=seed)
    arms = {u: a for u, a in split(people, seed).items()}
    rng = random.Random(seed)
    skill = {u: min(0.99, max(0.3, accuracy[arms[u]] + rng.gauss(0, 0.04))) for u in people}
    faster = 0.7 if accuracy[1] > accuracy[0] else 1.0
    for round_ in range(16):
        for u in people:
            task = assignment.next_task_for(
                db, project, u, rng=rng, now=T0 + timedelta(minutes=round_)
            )
            if task is None:
                continue
            truth = task.payload["truth"]
            answer = (
                truth if rng.random() < skill[u] else rng.choice([x for x in LABELS if x != truth])
            )
            seconds = rng.lognormvariate(2.5, 0.4) * (faster if arms[u] else 1.0)
            assignment.submit_annotation(
                db,
                task.assignment_id,
                u,
                value={"sentiment": answer},
                seconds=seconds,
                idempotency_key=f"{u}-{round_}",
                now=T0 + timedelta(minutes=round_, seconds=30),
                rng=rng,
            )
    return service.analyze_experiment(db, project, "ab")


def test_simulated_project_finds_the_better_arm(db: Database) -> None:
    """Arm B truly answers right 95% of the time against A's 60%, and 30% faster: the
    analysis finds B more accurate on gold (interval above 0, p < 0.05), ahead in
    agreement with the final label, faster (interval below 0), and says so first in its
    verdict."""
    report = _simulated(db, (0.60, 0.95), seed=11)
    a = report.analysis
    gold, agree, time = (
        a.differences["gold_accuracy"],
        a.differences["agreement"],
        a.differences["log_seconds"],
    )
    assert gold.value is not None and gold.low is not None and gold.p_value is not None
    assert agree.value is not None and time.high is not None
    assert (
        gold.value > 0.2,
        gold.low > 0,
        gold.p_value < 0.05,
        agree.value > 0,
        time.high < 0,
        report.verdict[0].startswith("B is "),
        a.arms[0].gold_accuracy.answers + a.arms[1].gold_accuracy.answers > 50,
    ) == (True,) * 7, report.verdict


def test_simulated_aa_experiment_finds_nothing(db: Database) -> None:
    """Both arms answer right 80% of the time: the gold accuracy interval holds 0, the
    test does not reject, and the verdict says there is no clear difference."""
    report = _simulated(db, (0.80, 0.80), seed=5)
    gold = report.analysis.differences["gold_accuracy"]
    assert gold.low is not None and gold.high is not None and gold.p_value is not None
    assert (gold.low < 0 < gold.high, gold.p_value > 0.05, report.verdict[0][:16]) == (
        True,
        True,
        "No clear differe",
    ), report.verdict


def _statements(db: Database, work: Any) -> tuple[Any, list[str]]:
    """What ``work()`` returned and the statements SQLite ran meanwhile (PostgreSQL's
    driver has no trace hook: there the list stays empty)."""
    seen: list[str] = []
    if not db.is_sqlite:
        return work(), seen
    db.engine.dispose()

    def trace(conn: Any, _record: Any) -> None:
        conn.set_trace_callback(seen.append)

    event.listen(db.engine, "connect", trace)
    try:
        return work(), seen
    finally:
        event.remove(db.engine, "connect", trace)
        db.engine.dispose()


def test_suggestions_are_withheld_from_the_second_arm_only(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a suggestions experiment the first arm's annotators get their tasks'
    suggestions and the second arm's get none, a late joiner per their hashed arm; after
    the stop everyone gets them again. On SQLite, an annotator's first task under the
    experiment costs two statements more than without one (which experiment runs, their
    arm) and the next costs none."""
    monkeypatch.setattr(experiment_treatments, "REFRESH", 3600.0)
    project = make_project(db, overlap=20)
    _items(db, project, 30, suggested=True)
    people = add_annotators(db, project, 6)
    at = T0

    def lease(u: int) -> Any:
        nonlocal at
        at += timedelta(minutes=1)
        task = assignment.next_task_for(db, project, u, now=at)
        assert task is not None
        return task

    def counted(u: int) -> tuple[Any, int]:
        """A lease and the statements it took (the skip that frees it is not counted)."""
        task, seen = _statements(db, lambda: lease(u))
        assignment.skip_task(db, task.assignment_id, u, now=at)
        return task, len(seen)

    def shown(u: int) -> bool:
        task, _ = counted(u)
        return bool(task.pre_annotations)

    counted(people[0])  # the first task acknowledges the guidelines: not a fair baseline
    _, before = counted(people[0])
    service.create_experiment(
        db, project, name="s", unit="annotator", arms=[("on", ""), ("off", "")],
        treatment="suggestions", seed=9,
    )  # fmt: skip
    first, during = counted(people[0])
    _, again = counted(people[0])
    late = add_annotators(db, project, 1, prefix="late")[0]
    arms = {u: a for u, a in split(people, 9).items()} | {late: late_arm(9, late)}
    during_experiment = {u: shown(u) for u in [*people, late]}
    service.stop_experiment(db, project, "s")
    after = {u: shown(u) for u in people}
    assert (during_experiment, after) == (
        {u: arms[u] == 0 for u in arms},
        dict.fromkeys(people, True),
    )
    assert bool(first.pre_annotations) == (arms[people[0]] == 0)
    if db.is_sqlite:
        assert (during - before, again - before) == (2, 0)


def test_a_task_without_suggestions_never_asks(db: Database) -> None:
    """A project without suggestions leases without looking at experiments at all: no
    statement names them, even with one running."""
    project = make_project(db)
    _items(db, project, 4)
    (u,) = add_annotators(db, project, 1)
    service.create_experiment(db, project, name="e", unit="annotator", arms=ARMS, seed=1)
    _, seen = _statements(db, lambda: assignment.next_task_for(db, project, u, now=T0))
    assert [s for s in seen if "experiment" in s] == []


def test_items_as_units_withhold_per_item(db: Database) -> None:
    """Split by item, the suggestions of the second arm's items are withheld from
    everyone, and the first arm's shown to everyone."""
    project = make_project(db, overlap=2)
    ids = _items(db, project, 12, suggested=True)
    people = add_annotators(db, project, 2)
    service.create_experiment(
        db, project, name="i", unit="item", arms=[("on", ""), ("off", "")],
        treatment="suggestions", seed=4,
    )  # fmt: skip
    arms = split(ids, 4)
    seen: dict[int, bool] = {}
    for k in range(12):
        for u in people:
            task = assignment.next_task_for(db, project, u, now=T0 + timedelta(minutes=k))
            assert task is not None
            seen[task.item_id] = bool(task.pre_annotations)
            assignment.skip_task(db, task.assignment_id, u, now=T0)
    assert seen == {i: arms[i] == 0 for i in ids}


def test_bad_designs_change_nothing(db: Database) -> None:
    """One arm, two arms of one name, an unknown unit or treatment, a suggestions
    treatment without suggestions, a second experiment of the same name, a second running
    suggestions experiment, an empty name and a name with a slash (it is a URL segment)
    are each refused, naming the problem."""
    project = make_project(db)
    _items(db, project, 2)
    add_annotators(db, project, 2)
    plain = make_project(db, name="plain")
    service.create_experiment(db, project, name="taken", unit="annotator", arms=ARMS)
    suggested = make_project(db, name="suggested")
    _items(db, suggested, 2, suggested=True)
    service.create_experiment(
        db, suggested, name="s1", unit="annotator", arms=ARMS, treatment="suggestions"
    )
    cases: list[tuple[str, dict[str, Any]]] = [
        (project, {"name": "x", "unit": "annotator", "arms": ARMS[:1]}),
        (project, {"name": "x", "unit": "annotator", "arms": [("A", ""), ("A", "")]}),
        (project, {"name": "x", "unit": "team", "arms": ARMS}),
        (project, {"name": "x", "unit": "item", "arms": ARMS, "treatment": "ui"}),
        (plain, {"name": "x", "unit": "item", "arms": ARMS, "treatment": "suggestions"}),
        (project, {"name": "taken", "unit": "item", "arms": ARMS}),
        (suggested, {"name": "s2", "unit": "item", "arms": ARMS, "treatment": "suggestions"}),
        (project, {"name": " ", "unit": "item", "arms": ARMS}),
        (project, {"name": "a/b", "unit": "item", "arms": ARMS}),
    ]
    said = []
    for name, options in cases:
        with pytest.raises((InvalidInput, Conflict)) as caught:
            service.create_experiment(db, name, **options)
        said.append((type(caught.value).__name__, str(caught.value)))
    assert said == [
        ("InvalidInput", "field 'arms': an experiment has exactly two arms, not 1"),
        (
            "InvalidInput",
            "field 'arms[1].name': the two arms need different names (both are 'A')",
        ),
        ("InvalidInput", "field 'unit': unit must be one of annotator, item, not 'team'"),
        (
            "InvalidInput",
            "field 'treatment': treatment must be one of suggestions (or none), not 'ui'",
        ),
        (
            "InvalidInput",
            "field 'treatment': project 'plain' has no suggestions (pre-annotations) to withhold",
        ),
        ("Conflict", "experiment 'taken' already exists in project 'sentiment'"),
        (
            "Conflict",
            "experiment 's1' already decides who sees suggestions in project 'suggested'; "
            "stop it first",
        ),
        ("InvalidInput", "field 'name': name must not be empty"),
        ("InvalidInput", "field 'name': name must not contain '/'"),
    ]
    assert [e.name for e in service.project_experiments(db, project)] == ["taken"]


def test_who_may_start_read_and_stop(db: Database) -> None:
    """A manager outside any vendor starts and stops; a vendor's manager may not touch
    experiments; a reviewer reads but may not stop; an unknown experiment is not found;
    stopping twice is a conflict."""
    project = make_project(db)
    ids = {}
    for email, role, vendor in [
        ("boss@x.org", "manager", None),
        ("vm@acme.org", "manager", "acme"),
        ("rev@x.org", "reviewer", None),
    ]:
        ids[email] = user_service.add_user(
            db, email, role=role, projects=[project], vendor=vendor
        ).user.id
    boss = Actor(ids["boss@x.org"], "boss@x.org", Role.MANAGER)
    vendor = Actor(ids["vm@acme.org"], "vm@acme.org", Role.MANAGER, "acme")
    reviewer = Actor(ids["rev@x.org"], "rev@x.org", Role.REVIEWER)
    service.create_experiment(db, project, name="e", unit="item", arms=ARMS, actor=boss)
    outcomes = []
    for work in (
        lambda: service.create_experiment(
            db, project, name="v", unit="item", arms=ARMS, actor=vendor
        ),
        lambda: service.experiment_status(db, project, "e", actor=vendor),
        lambda: service.stop_experiment(db, project, "e", actor=reviewer),
        lambda: service.experiment_status(db, project, "nope", actor=reviewer),
    ):
        with pytest.raises((PermissionDenied, NotFound)) as caught:
            work()
        outcomes.append(type(caught.value).__name__)
    read = service.experiment_status(db, project, "e", actor=reviewer).experiment.name
    stopped = service.stop_experiment(db, project, "e", actor=boss).status
    with pytest.raises(Conflict) as twice:
        service.stop_experiment(db, project, "e", actor=boss)
    assert (outcomes, read, stopped, str(twice.value)) == (
        ["PermissionDenied", "PermissionDenied", "PermissionDenied", "NotFound"],
        "e",
        "stopped",
        "experiment 'e' was already stopped",
    )
