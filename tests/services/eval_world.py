"""A project whose models can be evaluated: 'reviews' (one choice field, consensus on, an
annotator's answer is final), 60 items in two categories, the first 40 decided, the last
10 gold, and two versions of model 'm' whose mistakes are known by construction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.services.builders import jsonl, make_project

from labelworks.services import predictions
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

LABELS = ["pos", "neg", "neu"]
PROJECT = "reviews"
ITEMS, DECIDED, GOLD = 60, 40, 10


def truth(i: int) -> str:
    return LABELS[i % 3]


def wrong(i: int) -> str:
    return LABELS[(i + 1) % 3]


def answer_v1(i: int) -> str:
    """Version 1 is wrong on every fifth item."""
    return wrong(i) if i % 5 == 0 else truth(i)


def answer_v2(i: int) -> str:
    """Version 2 is wrong on every tenth: better on items 5, 15, 25, … and never worse."""
    return wrong(i) if i % 10 == 0 else truth(i)


def distribution(label: str, sure: float) -> dict[str, float]:
    rest = (1 - sure) / 2
    return {x: (sure if x == label else rest) for x in LABELS}


@dataclass(frozen=True)
class EvalWorld:
    project: str
    manager_token: str | None


def prediction(i: int, version: str, answer: str, probabilities: bool = True) -> dict[str, Any]:
    row: dict[str, Any] = {
        "item": f"r{i}",
        "model": "m",
        "version": version,
        "value": {"sentiment": answer},
        "score": 0.8,
    }
    if probabilities:
        row["probabilities"] = {"sentiment": distribution(answer, 0.8)}
    return row


def make_eval_world(db: Database, *, push: bool = True, with_token: bool = False) -> EvalWorld:
    """Build the world; ``push`` stores both versions' predictions on every item."""
    make_project(
        db,
        name=PROJECT,
        overlap=1,
        quality={"consensus": "majority"},
        fields=[{"name": "sentiment", "kind": "choice", "labels": LABELS}],
    )
    rows: list[dict[str, Any]] = []
    for i in range(ITEMS):
        row: dict[str, Any] = {
            "external_id": f"r{i}",
            "text": f"review {i}",
            "metadata": {"category": ("books", "toys")[i % 2]},
        }
        if i >= ITEMS - GOLD:
            row["gold"] = {"sentiment": truth(i)}
        rows.append(row)
    import_items(db, PROJECT, jsonl(rows), format="jsonl", source="reviews.jsonl")
    worker = add_user(db, "worker@x.example", role="annotator", projects=[PROJECT])
    for k in range(DECIDED):
        task = next_task_for(db, PROJECT, worker.user.id)
        assert task is not None
        value = {"sentiment": truth(task.item_id - 1)}
        submit_annotation(db, task.assignment_id, worker.user.id, value=value, seconds=1.0,
                          idempotency_key=f"w{k}")  # fmt: skip
    if push:
        predictions.push(db, PROJECT, [prediction(i, "1", answer_v1(i)) for i in range(ITEMS)])
        predictions.push(db, PROJECT, [prediction(i, "2", answer_v2(i)) for i in range(ITEMS)])
    boss = add_user(db, "boss@x.example", role="manager", projects=[PROJECT], with_token=with_token)
    return EvalWorld(PROJECT, boss.token)
