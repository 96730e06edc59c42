"""Exports with an aggregated label per item (``aggregate=``), on every database: majority
vote and Dawid–Skene decided by the consensus core from the annotations the caller may see,
with their confidence; items nobody labelled have none."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from tests.services.builders import SENTIMENT, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.consensus import Vote, decide
from labelworks.domain.errors import InvalidInput
from labelworks.domain.spec import spec_from_dict
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.consensus import fit_models
from labelworks.services.exports import export_project
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

# Who says what on items 1-3 (item 4 is never labelled): acme's two and globex's one.
SAYS = {
    "a1": ["positive", "negative", "positive"],
    "a2": ["positive", "negative", "negative"],
    "g1": ["negative", "negative", "negative"],
}


def _world(db: Database) -> dict[str, int]:
    make_project(db, overlap=3)
    load_texts(db, "sentiment", ["one", "two", "three", "four"])
    ids = {}
    for who, answers in SAYS.items():
        vendor = "acme" if who.startswith("a") else "globex"
        made = add_user(db, f"{who}@x.example", role="annotator", projects=["sentiment"],
                        vendor=vendor)  # fmt: skip
        ids[who] = made.user.id
        for k, answer in enumerate(answers):
            task = next_task_for(db, "sentiment", made.user.id)
            assert task is not None and task.item_id == k + 1
            value = {"sentiment": answer}
            key = f"{who}{k}"
            submit_annotation(
                db, task.assignment_id, made.user.id, value=value, seconds=1.0, idempotency_key=key
            )
    return ids


def _aggregates(db: Database, method: str, actor: Actor | None = None) -> dict[int, Any]:
    out = io.BytesIO()
    export_project(db, "sentiment", out, format="jsonl", aggregate=method, actor=actor)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    return {r["id"]: r.get("aggregate") for r in rows}


def _expected(method: str, ids: dict[str, int], who: list[str]) -> dict[int, Any]:
    spec = spec_from_dict({**SENTIMENT, "overlap": 3})
    votes = [(item, ids[w], {"sentiment": SAYS[w][item - 1]}) for w in who for item in (1, 2, 3)]
    models = {}
    if method == "dawid_skene":
        models = fit_models(spec, [(0, item, a, v) for item, a, v in votes])
    out: dict[int, Any] = {4: None}
    for item in (1, 2, 3):
        given = [Vote(a, v) for i, a, v in votes if i == item]
        d = decide(spec.fields, given, method, models)
        out[item] = {"method": method, "value": d.value, "confidence": d.confidence,
                     "fields": d.fields, "n_annotations": len(given)}  # fmt: skip
    return out


@pytest.mark.parametrize("method", ["majority", "dawid_skene"])
def test_each_labelled_item_gets_the_methods_label(db: Database, method: str) -> None:
    """Every annotated item carries the label the consensus core decides from its three
    votes (item 1: positive 2 to 1), the unlabelled item none."""
    ids = _world(db)
    found = _aggregates(db, method)
    assert (found, found[1]["value"]) == (
        _expected(method, ids, ["a1", "a2", "g1"]),
        {"sentiment": "positive"},
    )


def test_behind_a_wall_only_the_vendors_votes_count(db: Database) -> None:
    """acme's manager gets aggregates of acme's two annotators only (item 3 splits 1–1)."""
    ids = _world(db)
    lead = add_user(db, "lead@acme.example", role="manager", projects=["sentiment"], vendor="acme")
    actor = Actor(id=lead.user.id, email="lead@acme.example", role=Role.MANAGER, vendor="acme")
    assert _aggregates(db, "majority", actor) == _expected("majority", ids, ["a1", "a2"])


def test_csv_has_the_column_and_an_unknown_method_is_refused(db: Database) -> None:
    """CSV gets an ``aggregate`` column of JSON text; ``mean`` is refused before writing."""
    _world(db)
    out = io.BytesIO()
    export_project(db, "sentiment", out, format="csv", aggregate="majority")
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    with pytest.raises(InvalidInput):
        export_project(db, "sentiment", io.BytesIO(), format="jsonl", aggregate="mean")
    assert [json.loads(r["aggregate"])["value"] if r["aggregate"] else None for r in rows] == [
        {"sentiment": "positive"},
        {"sentiment": "negative"},
        {"sentiment": "negative"},
        None,
    ]
