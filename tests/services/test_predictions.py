"""Predictions on every database: pushed all or none, a push of the same item, model and
version replacing the earlier one, imported with items, and shown to annotators as
suggestions only when the spec says so."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from tests.services.builders import jsonl, make_project
from tests.services.eval_world import LABELS, PROJECT, make_eval_world, prediction

from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.domain.spec import spec_from_dict
from labelworks.services import predictions
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.projects import apply_spec, get_project
from labelworks.storage import predictions as store
from labelworks.storage.engine import Database


def _suggestions(db: Database) -> dict[str, list[tuple[str, Any]]]:
    """Each item's suggestions (model, value), by external id."""
    out = io.BytesIO()
    export_project(db, PROJECT, out, format="jsonl")
    found: dict[str, list[tuple[str, Any]]] = {}
    for line in out.getvalue().splitlines():
        row = json.loads(line)
        for p in row["pre_annotations"]:
            found.setdefault(row["external_id"], []).append((p["model"], p["value"]))
    return found


def _versions(db: Database) -> list[tuple[str, str, int]]:
    return [(m.model, m.version, m.items) for m in predictions.model_versions(db, PROJECT)]


def _show(db: Database, section: dict[str, Any] | None) -> None:
    spec = get_project(db, PROJECT).spec.model_dump(mode="json", by_alias=True)
    spec["predictions"] = section
    apply_spec(db, spec_from_dict(spec), guidelines="# Rules\nBe kind.")


def test_a_push_stores_each_model_version_apart(db: Database) -> None:
    """Two pushes of 60 items make two versions of 60 predictions each; the answer says what
    was stored."""
    make_eval_world(db, push=False)
    first = predictions.push(db, PROJECT, [prediction(i, "1", "pos") for i in range(60)])
    predictions.push(db, PROJECT, [prediction(i, "2", "neg") for i in range(60)])
    assert (first.project, first.stored, first.models) == (PROJECT, 60, ["m@1"])
    assert sorted(_versions(db)) == [("m", "1", 60), ("m", "2", 60)]


def test_pushing_the_same_item_model_and_version_replaces_it(db: Database) -> None:
    """The second push of item r0 for m@1 replaces the first: one prediction, the new one."""
    make_eval_world(db, push=False)
    predictions.push(db, PROJECT, [prediction(0, "1", "pos")])
    predictions.push(db, PROJECT, [prediction(0, "1", "neg", probabilities=False)])
    with db.read() as conn:
        found = store.of_item(conn, 1)
    assert found == [
        {
            "model": "m",
            "version": "1",
            "value": {"sentiment": "neg"},
            "score": 0.8,
            "probabilities": None,
        }
    ]


@pytest.mark.parametrize(
    ("rows", "where", "message"),
    [
        (
            [
                {"item": "r0", "model": "m", "value": {"sentiment": "pos"}},
                {"item": "nope", "model": "m", "value": {"sentiment": "pos"}},
            ],
            "predictions[1].item",
            "no item with external id 'nope'",
        ),
        (
            [{"item_id": 999, "model": "m", "value": {"sentiment": "pos"}}],
            "predictions[0].item_id",
            "no item with id 999",
        ),
        ([{"model": "m", "value": {"sentiment": "pos"}}], "predictions[0]", "exactly one of"),
        (
            [{"item": "r0", "model": "m", "value": {"sentiment": "bad"}}],
            "predictions[0].value.sentiment",
            "'bad'",
        ),
        (
            [
                {"item": "r0", "model": "m", "value": {"sentiment": "pos"}},
                {"item": "r0", "model": "m", "value": {"sentiment": "neg"}},
            ],
            "predictions[1]",
            "predicted twice",
        ),
        ([7], "predictions[0]", "must be an object, not number"),
    ],
)
def test_a_bad_push_names_the_row_and_stores_nothing(
    db: Database, rows: list[Any], where: str, message: str
) -> None:
    """All or none: the first bad row is named by position and field; nothing is stored."""
    make_eval_world(db, push=False)
    with pytest.raises(InvalidInput) as caught:
        predictions.push(db, PROJECT, rows)
    assert caught.value.location is not None
    assert caught.value.location.field == where
    assert message in caught.value.message
    assert _versions(db) == []


def test_a_push_too_big_for_one_request_is_refused(db: Database) -> None:
    """More than MAX_PUSH rows is refused before anything is read; the CLI lifts the cap."""
    make_eval_world(db, push=False)
    rows = [prediction(i % 60, str(i), "pos") for i in range(predictions.MAX_PUSH + 1)]
    with pytest.raises(InvalidInput, match="at most 10000"):
        predictions.push(db, PROJECT, rows)


def test_predictions_come_with_imported_items(db: Database) -> None:
    """A row's 'predictions' are stored for the item it creates; a bad one refuses the
    whole import with its file, line and field."""
    make_project(db, name=PROJECT, overlap=1,
                 fields=[{"name": "sentiment", "kind": "choice", "labels": LABELS}])  # fmt: skip
    good = {"text": "a", "predictions": [{"model": "x", "version": "1",
                                          "value": {"sentiment": "neu"}}]}  # fmt: skip
    import_items(db, PROJECT, jsonl([good, {"text": "b"}]), format="jsonl", source="in.jsonl")
    assert _versions(db) == [("x", "1", 1)]
    bad = {"text": "c", "predictions": [{"model": "x", "value": {"sentiment": "???"}}]}
    with pytest.raises(InvalidImport) as caught:
        import_items(db, PROJECT, jsonl([{"text": "d"}, bad]), format="jsonl", source="in.jsonl")
    assert str(caught.value) == (
        "in.jsonl, line 2, field 'predictions[0].value.sentiment': '???' is not one of the "
        "labels 'pos', 'neg', 'neu'"
    )
    assert _versions(db) == [("x", "1", 1)]


def test_predictions_are_suggestions_only_when_the_spec_says_so(db: Database) -> None:
    """Off by default; 'suggest' shows every version as name@version beside other
    suggestions; 'models' narrows it; turning it off takes them away again."""
    make_eval_world(db)
    assert _suggestions(db) == {}
    _show(db, {"suggest": True})
    shown = _suggestions(db)
    assert len(shown) == 60
    assert sorted(shown["r5"]) == [("m@1", {"sentiment": "pos"}), ("m@2", {"sentiment": "neu"})]
    _show(db, {"suggest": True, "models": ["other"]})
    assert _suggestions(db) == {}
    _show(db, {"suggest": True})
    predictions.push(db, PROJECT, [prediction(5, "2", "neg")])
    assert sorted(_suggestions(db)["r5"]) == [("m@1", {"sentiment": "pos"}),
                                              ("m@2", {"sentiment": "neg"})]  # fmt: skip
    _show(db, None)
    assert _suggestions(db) == {}
