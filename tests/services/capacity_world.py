"""A small project for the capacity tests of every interface (CLI, API, SDK, pages), built
through the services on days counted back from today, so the forecast is computed by hand.

``sentiment`` (overlap 2, six items; plan: deadline in ten days at 80%, budget 100 EUR):
ada (acme) and bo (beta) each annotate one item the day before yesterday and one
yesterday, at noon UTC: two a day, items 1 and 2 complete, 8 annotations left, so the
forecast is 4 days whatever the quantile, on track, with 1 person needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tests.services.builders import load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.users import add_user
from labelworks.storage.engine import Database, utcnow


@dataclass(frozen=True)
class World:
    project: str
    today: date
    ada: int
    bo: int
    manager: Actor
    acme_boss: Actor
    reviewer: Actor


def build(db: Database) -> World:
    today = utcnow().date()
    plan = {
        "deadline": (today + timedelta(days=10)).isoformat(),
        "confidence": 0.8,
        "budget": {"amount": 100, "currency": "EUR"},
    }
    project = make_project(db, overlap=2, plan=plan)
    load_texts(db, project, [f"t{i}" for i in range(6)])

    def person(email: str, role: str, vendor: str | None = None) -> int:
        return add_user(db, email, role=role, vendor=vendor, projects=[project]).user.id

    ada = person("ada@acme.example", "annotator", "acme")
    bo = person("bo@beta.example", "annotator", "beta")
    lead = person("lead@inhouse.example", "manager")
    boss = person("boss@acme.example", "manager", "acme")
    rev = person("rev@inhouse.example", "reviewer")
    for back in (2, 1):
        noon = datetime.combine(today - timedelta(days=back), time(12))
        for who, minute in ((ada, 0), (bo, 5)):
            at = noon + timedelta(minutes=minute)
            task = next_task_for(db, project, who, now=at)
            assert task is not None
            submit_annotation(db, task.assignment_id, who, value={"sentiment": "positive"},
                              seconds=3.0, idempotency_key=f"{who}-{back}", now=at)  # fmt: skip
    return World(
        project=project,
        today=today,
        ada=ada,
        bo=bo,
        manager=Actor(lead, "lead@inhouse.example", Role.MANAGER),
        acme_boss=Actor(boss, "boss@acme.example", Role.MANAGER, vendor="acme"),
        reviewer=Actor(rev, "rev@inhouse.example", Role.REVIEWER),
    )
