"""A small world of two vendors and in-house staff, built through the services with known
times, for the vendor tests (services, CLI, API, SDK, pages).

``sentiment`` (overlap 2, majority consensus, every annotator served both gold items
first), imported Monday 2026-03-02 08:00 UTC:

- acme's annotator, Monday: leases at 09:00…13:00, submits 10, 20, 30, 40, 50 minutes
  later, 60 active seconds each; answers ``positive`` everywhere, so gold 1 of 2 right;
- beta's annotator, Tuesday: leases at 09:00…13:00, submits 60 minutes later, 30 active
  seconds each; answers gold right (2 of 2) and ``positive`` on the three ordinary items,
  whose final labels are thereby decided Tuesday 12:00, 13:00 and 14:00, i.e. 28, 29 and
  30 hours after import;
- acme's terms: USD, choice 0.05 and 12 an hour (each annotation 0.05 + 0.20 = 0.25);
  beta's: EUR, choice 0.04.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from tests.services.builders import jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.services import ingestion
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import add_user
from labelworks.services.vendors import set_terms
from labelworks.storage.engine import Database
from labelworks.storage.tables import items

IMPORTED = datetime(2026, 3, 2, 8, 0)
MONDAY = datetime(2026, 3, 2, 9, 0)
TUESDAY = datetime(2026, 3, 3, 9, 0)
GOLD = {"positive gold": "positive", "negative gold": "negative"}
ACME_TERMS = {
    "currency": "USD",
    "per_annotation": {"choice": 0.05},
    "per_hour": 12,
    "sla": {"percentile": 90, "lease_to_submit_hours": 0.75, "quality_floor": 0.9},
    "contact": "ops@acme.example",
}
BETA_TERMS = {"currency": "EUR", "per_annotation": {"choice": 0.04}}


@dataclass(frozen=True)
class World:
    project: str
    acme: int
    beta: int
    staff: int
    acme_boss: Actor
    beta_boss: Actor
    manager: Actor
    reviewer: Actor


def work(
    db: Database,
    project: str,
    who: int,
    start: datetime,
    minutes: list[int],
    seconds: float,
    answers: dict[str, str] | None = None,
) -> list[int]:
    """Lease a task every hour from ``start`` and submit it ``minutes[k]`` later, answering
    each item's text as ``answers`` says (gold right, others positive, by default);
    returns the item ids served."""
    answers = GOLD if answers is None else answers
    done = []
    for k, late in enumerate(minutes):
        at = start + timedelta(hours=k)
        task = next_task_for(db, project, who, now=at)
        assert task is not None
        text = str(task.payload["text"])
        value = {"sentiment": answers.get(text, "positive")}
        submit_annotation(
            db,
            task.assignment_id,
            who,
            value=value,
            seconds=seconds,
            idempotency_key=f"{who}-{k}",
            now=at + timedelta(minutes=late),
        )
        done.append(task.item_id)
    return done


def _actor(db: Database, email: str, role: str, vendor: str | None, project: str) -> Actor:
    made = add_user(db, email, role=role, vendor=vendor, projects=[project]).user
    return Actor(made.id, made.email, Role(role), vendor)


def build(db: Database) -> World:
    project = make_project(db, overlap=2, quality={"consensus": "majority", "gold_rate": 1.0})
    rows = [{"text": t, "gold": {"sentiment": v}} for t, v in GOLD.items()]
    rows += [{"text": f"review {i}"} for i in range(3)]
    ingestion.import_items(db, project, jsonl(rows), format="jsonl", source="items.jsonl")
    with db.write() as conn:
        conn.execute(update(items).values(created_at=IMPORTED))
    acme = add_user(db, "ann@acme.example", role="annotator", vendor="acme", projects=[project])
    beta = add_user(db, "ann@beta.example", role="annotator", vendor="beta", projects=[project])
    staff = add_user(db, "ann@inhouse.example", role="annotator", projects=[project])
    world = World(
        project,
        acme.user.id,
        beta.user.id,
        staff.user.id,
        _actor(db, "boss@acme.example", "manager", "acme", project),
        _actor(db, "boss@beta.example", "manager", "beta", project),
        _actor(db, "lead@inhouse.example", "manager", None, project),
        _actor(db, "rev@inhouse.example", "reviewer", None, project),
    )
    work(db, project, world.acme, MONDAY, [10, 20, 30, 40, 50], 60.0, {})
    work(db, project, world.beta, TUESDAY, [60] * 5, 30.0)
    set_terms(db, "acme", ACME_TERMS)
    set_terms(db, "beta", BETA_TERMS)
    return world
