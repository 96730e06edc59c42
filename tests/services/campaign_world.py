"""A blind arena: project 'arena' (one pairwise field, overlap 1) comparing four models of
known strength on prompts in two categories, and votes cast by simulated evaluators who
prefer the stronger model with the Bradley-Terry probability."""

from __future__ import annotations

import math
import random
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

ARENA = "arena"
# Elo-scale strengths: each 100 points apart (64% expected wins between neighbours).
STRENGTH = {"atlas": 1150.0, "birch": 1050.0, "cedar": 950.0, "dune": 850.0}
MODELS = list(STRENGTH)


def campaign_rows(n: int, models: list[str] = MODELS) -> list[dict[str, Any]]:
    return [
        {
            "id": f"p{i}",
            "prompt": f"question {i}",
            # Outputs never name their model: blindness is checked on what evaluators see.
            "outputs": {m: output(k, i) for k, m in enumerate(models)},
            "metadata": {"category": ("math", "prose")[i % 2]},
        }
        for i in range(n)
    ]


def output(k: int, prompt: int) -> str:
    """The k-th model's answer to a prompt (longer for some models)."""
    return f"reply {chr(65 + k)}{prompt}" + " in more words" * (k % 3)


def make_arena(
    db: Database, *, prompts: int = 30, pairs: str = "all", mode: str = "pairwise"
) -> None:
    """The project and its campaign rows imported (every pair of every prompt)."""
    fields: list[dict[str, Any]] = [{"name": "pref", "kind": "pairwise"}]
    if mode == "rating":
        fields = [
            {"name": "helpful", "kind": "rating", "source": "response"},
            {"name": "correct", "kind": "rating", "source": "response"},
        ]
    spec = {"name": ARENA, "fields": fields, "overlap": 2 if mode == "rating" else 1,
            "evaluation": {"models": MODELS, "mode": mode, "pairs": pairs, "seed": 3}}  # fmt: skip
    apply_spec(db, spec_from_dict(spec), guidelines="# Judge\nPick the better answer.")
    body = jsonl(campaign_rows(prompts))
    import_items(db, ARENA, body, format="jsonl", source="campaign.jsonl")


def metadata_of(db: Database, item_id: int) -> dict[str, Any]:
    with db.read() as conn:
        item = item_store.get(conn, item_id)
    assert item is not None
    return item.metadata


def vote(db: Database, n: int, *, seed: int = 5, who: str = "judge") -> list[int]:
    """n votes by one evaluator who picks the stronger model by Bradley-Terry odds (ties
    one time in ten); the ids of the items voted on."""
    rng = random.Random(seed)
    person = add_user(db, f"{who}@x.example", role="annotator", projects=[ARENA]).user.id
    voted = []
    for k in range(n):
        task = next_task_for(db, ARENA, person)
        assert task is not None
        record = metadata_of(db, task.item_id)["campaign"]
        gap = STRENGTH[record["left"]] - STRENGTH[record["right"]]
        p_left = 1.0 / (1.0 + math.pow(10.0, -gap / 400.0))
        roll = rng.random()
        choice = "tie" if roll < 0.1 else ("a" if rng.random() < p_left else "b")
        submit_annotation(db, task.assignment_id, person, value={"pref": {"choice": choice}},
                          seconds=1.0, idempotency_key=f"{who}{k}")  # fmt: skip
        voted.append(task.item_id)
    return voted


def rate(db: Database, n: int, *, who: str, seed: int) -> None:
    """n rubric ratings: better models get higher marks, with noise."""
    rng = random.Random(seed)
    person = add_user(db, f"{who}@x.example", role="annotator", projects=[ARENA]).user.id
    for k in range(n):
        task = next_task_for(db, ARENA, person)
        assert task is not None
        model = metadata_of(db, task.item_id)["campaign"]["model"]
        base = {"atlas": 4.5, "birch": 3.5, "cedar": 2.5, "dune": 1.5}[model]
        value = {c: max(1, min(5, round(base + rng.gauss(0, 0.6)))) for c in ("helpful", "correct")}
        submit_annotation(db, task.assignment_id, person, value=value, seconds=1.0,
                          idempotency_key=f"{who}{k}")  # fmt: skip
