"""A small project whose people analytics are worked out by hand, made through the
services: three annotators (two of vendor acme, one of globex) and an in-house one who
holds a task without submitting, 12 gold items (all "negative") and 8 ordinary ones,
overlap 3 with majority consensus, every ordinary annotation reviewed (gold is checked by
its answers), and the guidelines changed half-way through the gold.

Week A (two weeks ago): six gold tasks each under guideline version 1. Week B (last
week): version 2, six more gold tasks each, then the eight ordinary items.

- ada (acme, 20 s a task) answers everything right;
- ben (acme, 30 s) misses his first gold task under version 2 (says "neutral") and says
  "negative" for the two "positive" ordinary items 0 and 3;
- cy (globex, 2 s) is right on gold under version 1, says "positive" to everything after;
- dee (in-house) leases a task at the end and keeps it.

The final labels equal the truth (ada and ben, or ada and cy, outvote the third). Rita
(in-house reviewer) accepts all of ada's reviews, fixes ben's two mistakes and accepts
the rest, and fixes cy's answers on items 0–5, leaving her last two pending.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from tests.services.builders import jsonl

from labelworks.domain.access import Actor, Role
from labelworks.domain.period import week_of
from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, guidelines, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.reviews import decide_review
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.quality_tables import reviews
from labelworks.storage.tables import items

PROJECT = "people-demo"
TRUTH = [
    "positive",
    "negative",
    "neutral",
    "positive",
    "negative",
    "neutral",
    "positive",
    "negative",
]
SPEC: dict[str, Any] = {
    "name": PROJECT,
    "description": "people analytics, worked out by hand",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]}
    ],
    "overlap": 3,
    "quality": {"gold_rate": 1.0, "consensus": "majority", "review": {"rate": 1.0}},
}
# (email, vendor, seconds a task)
ANNOTATORS = [
    ("ada@acme.example", "acme", 20.0),
    ("ben@acme.example", "acme", 30.0),
    ("cy@globex.example", "globex", 2.0),
]


@dataclass(frozen=True, slots=True)
class PeopleWorld:
    project: str
    ids: dict[str, int]  # email → user id
    week_a: str  # ISO week of the version-1 work
    week_b: str  # ISO week of the rest
    admin: Actor
    acme: Actor  # acme's manager
    reviewer: Actor


def _answer(email: str, item: int, gold: bool, version: int, first_v2_gold: bool) -> str:
    if gold:
        if email.startswith("cy") and version == 2:
            return "positive"
        if email.startswith("ben") and first_v2_gold:
            return "neutral"
        return "negative"
    if email.startswith("cy"):
        return "positive"
    if email.startswith("ben") and item in (0, 3):
        return "negative"
    return TRUTH[item]


def build(db: Database, *, password_hash: str | None = None) -> PeopleWorld:
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nVersion one.")
    rows = [{"text": f"gold {k}", "gold": {"sentiment": "negative"}} for k in range(12)]
    rows += [{"text": f"review {k}"} for k in range(len(TRUTH) + 1)]
    ingestion.import_items(db, PROJECT, jsonl(rows), format="jsonl", source="people.jsonl")
    ids = {
        email: add_user(
            db,
            email,
            role="annotator",
            vendor=vendor,
            projects=[PROJECT],
            password_hash=password_hash,
        ).user.id
        for email, vendor, _ in ANNOTATORS
    }
    rita = add_user(
        db, "rita@inhouse.example", role="reviewer", projects=[PROJECT], password_hash=password_hash
    ).user
    boss = add_user(
        db,
        "boss@acme.example",
        role="manager",
        vendor="acme",
        projects=[PROJECT],
        password_hash=password_hash,
    ).user
    root = add_user(db, "root@inhouse.example", role="admin", password_hash=password_hash).user
    today = datetime.now(UTC).replace(tzinfo=None).date()
    monday_b = today - timedelta(days=today.weekday() + 7)
    start_a = datetime.combine(monday_b - timedelta(days=7), datetime.min.time()) + timedelta(
        hours=9
    )
    start_b = datetime.combine(monday_b, datetime.min.time()) + timedelta(hours=9)
    rng = random.Random(7)
    with db.read() as conn:
        first_item = int(conn.execute(select(func.min(items.c.id))).scalar_one())
    seen_v2: set[str] = set()

    def round_of(at: datetime, version: int) -> None:
        for email, _, seconds in ANNOTATORS:
            task = assignment.next_task_for(db, PROJECT, ids[email], now=at, rng=rng)
            assert task is not None
            gold = task.item_id < first_item + 12
            index = task.item_id - first_item - 12
            first_v2 = version == 2 and gold and email not in seen_v2
            if first_v2:
                seen_v2.add(email)
            label = _answer(email, index, gold, version, first_v2)
            assignment.submit_annotation(
                db,
                task.assignment_id,
                ids[email],
                value={"sentiment": label},
                seconds=seconds,
                idempotency_key=f"{email}-{task.item_id}",
                now=at + timedelta(seconds=seconds),
                rng=rng,
            )
            at += timedelta(minutes=1)

    for k in range(6):
        round_of(start_a + timedelta(minutes=5 * k), 1)
    apply_spec(db, spec_from_dict(SPEC), guidelines="# Rules\nVersion two: read twice.")
    for email, _, _ in ANNOTATORS:
        guidelines.acknowledge_guidelines(
            db, PROJECT, 2, actor=Actor(ids[email], email, Role.ANNOTATOR, None)
        )
    for k in range(6 + len(TRUTH)):
        round_of(start_b + timedelta(minutes=5 * k), 2)
    dee = add_user(db, "dee@inhouse.example", role="annotator", projects=[PROJECT]).user
    assert (
        assignment.next_task_for(db, PROJECT, dee.id, now=start_b + timedelta(hours=3)) is not None
    )
    reviewer = Actor(rita.id, rita.email, Role.REVIEWER, None)
    _review(db, ids, reviewer, first_item)
    return PeopleWorld(
        project=PROJECT,
        ids=ids,
        week_a=week_of(start_a.date()),
        week_b=week_of(start_b.date()),
        admin=Actor(root.id, root.email, Role.ADMIN, None),
        acme=Actor(boss.id, boss.email, Role.MANAGER, "acme"),
        reviewer=reviewer,
    )


def _review(db: Database, ids: dict[str, int], reviewer: Actor, first_item: int) -> None:
    who = {v: k for k, v in ids.items()}
    with db.read() as conn:
        queued = conn.execute(
            select(reviews.c.id, reviews.c.annotator_id, reviews.c.item_id).order_by(reviews.c.id)
        ).all()
    for review_id, annotator, item in queued:
        email = who[int(annotator)]
        index = int(item) - first_item - 12
        if email.startswith("cy") and index >= 6:
            continue  # left pending
        wrong = email.startswith("cy") or (email.startswith("ben") and index in (0, 3))
        decide_review(
            db,
            PROJECT,
            int(review_id),
            decision="fix" if wrong else "accept",
            value={"sentiment": TRUTH[index]} if wrong else None,
            actor=reviewer,
        )


def week_dates(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week."""
    year, number = int(week[:4]), int(week[6:])
    monday = date.fromisocalendar(year, number, 1)
    return monday, monday + timedelta(days=6)
