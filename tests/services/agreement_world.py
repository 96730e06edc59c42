"""A project whose annotators disagree in known ways, made through the services, for the
Agreement page's tests (server, browser, XSS): a choice field and a spans field, overlap 3,
six annotators of two vendors and in-house, their work spread over the last 40 days.

Each annotator is right with their own probability (seeded); when wrong, "positive" is
mistaken for "mixed" and "negative" for "neutral", so the confusion matrix has two clear
off-diagonal pairs. Spans mark the first word, as PER when right and ORG when not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PROJECT = "reviews-agree"
LABELS = ["positive", "negative", "neutral", "mixed"]
MISTAKE = {"positive": "mixed", "negative": "neutral", "neutral": "negative", "mixed": "positive"}
# (email, vendor, how often right)
ANNOTATORS = [
    ("ada@acme.example", "acme", 0.95),
    ("ben@acme.example", "acme", 0.85),
    ("cy@acme.example", "acme", 0.7),
    ("dee@globex.example", "globex", 0.9),
    ("eve@globex.example", "globex", 0.6),
    ("fay@inhouse.example", None, 0.8),
]
SPEC: dict[str, Any] = {
    "name": PROJECT,
    "description": "sentiment and names in product reviews",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": LABELS},
        {"name": "names", "kind": "spans", "labels": ["PER", "ORG"], "source": "text"},
    ],
    "overlap": 3,
}


@dataclass(frozen=True, slots=True)
class AgreementWorld:
    project: str
    ids: dict[str, int]  # email → user id
    truth: dict[int, str]  # item id → the label a perfect annotator gives
    now: datetime  # the newest submission's moment (naive UTC)


def build(
    db: Database, n_items: int = 60, *, labels: list[str] | None = None, seed: int = 3
) -> AgreementWorld:
    """The project with ``n_items`` items, each labelled by three of the annotators, item
    ``k`` submitted ``k * 40 / n_items`` days before now. ``labels`` replaces the choice
    labels (hostile ones, for the XSS crawl)."""
    names = labels or LABELS
    spec = {**SPEC, "fields": [{**SPEC["fields"][0], "labels": names}, SPEC["fields"][1]]}
    apply_spec(db, spec_from_dict(spec), guidelines=None)
    rows = [{"text": f"Name{k} wrote review {k}", "id": f"r-{k}"} for k in range(n_items)]
    ingestion.import_items(db, PROJECT, jsonl(rows), format="jsonl", source="reviews.jsonl")
    ids = {
        email: add_user(db, email, role="annotator", vendor=vendor, projects=[PROJECT]).user.id
        for email, vendor, _ in ANNOTATORS
    }
    rng = random.Random(seed)
    mistake = dict(zip(names, [names[LABELS.index(MISTAKE[x])] for x in LABELS], strict=False))
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    truth: dict[int, str] = {}
    turn = 0
    while True:
        leased = 0
        for email, _, right in rng.sample(ANNOTATORS, len(ANNOTATORS)):
            at = now - timedelta(days=40 * (1 - turn / (3 * n_items)))
            task = assignment.next_task_for(db, PROJECT, ids[email], now=at, rng=rng)
            if task is None:
                continue
            leased += 1
            k = int(task.payload["text"].split()[-1])
            truth[task.item_id] = names[k % len(names)]
            label = truth[task.item_id] if rng.random() < right else mistake[truth[task.item_id]]
            kind = "PER" if rng.random() < right else "ORG"
            value = {
                "sentiment": label,
                "names": [{"start": 0, "end": len(f"Name{k}"), "label": kind}],
            }
            assignment.submit_annotation(
                db,
                task.assignment_id,
                ids[email],
                value=value,
                seconds=2.0,
                idempotency_key=f"{email}-{task.item_id}",
                now=at,
            )
            turn += 1
        if not leased:
            break
    return AgreementWorld(PROJECT, ids, truth, now)
