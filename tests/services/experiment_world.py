"""A small project under a running experiment, built through the services, for the
interface tests: project 'exp' (sentiment pos/neg, overlap 2, gold at rate 0.5, majority
consensus), 40 items of which 10 are gold, 8 annotators split (with the project's other
labelling members) by experiment 'guide' (arms A "guideline v3" and B "guideline v4",
seed 3), each having done 8 tasks — B's answering right 95% of the time and 30% faster,
A's 60%."""

from __future__ import annotations

import random

from sqlalchemy import Connection, select
from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, ingestion
from labelworks.services import experiments as experiment_service
from labelworks.services.gold import mark_gold
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.operations_tables import experiment_units
from labelworks.storage.projects import by_name
from labelworks.storage.tables import items

PROJECT = "exp"
SPEC = {
    "name": PROJECT,
    "description": "Sentiment of reviews",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 2,
    "quality": {"gold_rate": 0.5, "consensus": "majority"},
}
ARMS = [("A", "guideline v3"), ("B", "guideline v4")]


def project_id(conn: Connection) -> int:
    found = by_name(conn, PROJECT)
    assert found is not None
    return found.id


def build(db: Database, *, project_exists: bool = False, rounds: int = 8) -> list[int]:
    """The project (unless it exists), its items and gold, the annotators, the experiment
    and ``rounds`` tasks of work each; returns the annotators' ids."""
    if not project_exists:
        apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules")
    rows = [{"text": f"review {k}", "truth": "pos" if k % 2 else "neg"} for k in range(40)]
    ingestion.import_items(db, PROJECT, jsonl(rows), format="jsonl", source="exp.jsonl")
    with db.read() as conn:
        ids = (
            conn.execute(
                select(items.c.id)
                .where(items.c.project_id == project_id(conn))
                .order_by(items.c.id)
            )
            .scalars()
            .all()
        )
    for k, item_id in enumerate(ids[:10]):
        mark_gold(db, PROJECT, item_id, value={"sentiment": "pos" if k % 2 else "neg"})
    people = [
        add_user(db, f"a{k}@exp.example", role="annotator", projects=[PROJECT]).user.id
        for k in range(8)
    ]
    experiment_service.create_experiment(
        db, PROJECT, name="guide", unit="annotator", arms=ARMS, seed=3
    )
    with db.read() as conn:
        recorded = dict(
            conn.execute(select(experiment_units.c.unit_id, experiment_units.c.arm)).all()
        )
    arms = {u: recorded[u] == "B" for u in people}
    rng = random.Random(3)
    for round_ in range(rounds):
        for u in people:
            task = assignment.next_task_for(db, PROJECT, u, rng=rng)
            if task is None:
                continue
            truth = task.payload["truth"]
            right = rng.random() < (0.95 if arms[u] else 0.6)
            seconds = rng.lognormvariate(2.3, 0.3) * (0.7 if arms[u] else 1.0)
            assignment.submit_annotation(
                db,
                task.assignment_id,
                u,
                value={"sentiment": truth if right else ("pos" if truth == "neg" else "neg")},
                seconds=seconds,
                idempotency_key=f"{u}-{round_}",
                rng=rng,
            )
    return people
