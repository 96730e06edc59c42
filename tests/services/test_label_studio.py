"""Label Studio exports into labelworks (migrate and import) and labelworks projects out as
Label Studio exports: refusals leave nothing behind, round trips keep the values."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.formats.label_studio_data import CONFIG, annotation, export, result
from tests.services.builders import add_annotators, jsonl

from labelworks.domain.errors import InvalidImport, InvalidInput, Location, NotFound
from labelworks.domain.spec import spec_from_dict
from labelworks.formats.label_studio_config import label_config_of
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import export_dataset
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.label_studio import import_label_studio, migrate_label_studio
from labelworks.storage.engine import Database


def _bytes(tasks: list[dict[str, Any]]) -> bytes:
    return json.dumps(tasks).encode()


def _records(db: Database, project: str) -> list[dict[str, Any]]:
    out = io.BytesIO()
    export_project(db, project, out, format="jsonl")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_migrate_creates_the_project_and_restores_the_work(db: Database) -> None:
    """The config becomes the spec, tasks become items with the annotation, its annotator
    (created), time and seconds, and the prediction; what was left out is reported."""
    summary = migrate_label_studio(
        db,
        _bytes(export()),
        project_name="reviews",
        source="export.json",
        config=CONFIG.encode(),
        create_annotators=True,
    )
    assert (summary.project, summary.created_project, summary.tasks, summary.inserted) == (
        "reviews",
        True,
        2,
        2,
    )
    assert (summary.annotations, summary.cancelled, summary.predictions) == (1, 1, 1)
    assert summary.created_annotators == ("ann0@example.com",)
    assert summary.skipped_results == {"outline": 1}
    assert summary.untranslated == (
        '<PolygonLabels name="outline">: <PolygonLabels> has no labelworks equivalent',
    )
    assert summary.fields == (
        "sentiment (choice)",
        "topics (multi_choice)",
        "ner (spans)",
        "objects (boxes)",
        "comment (text)",
        "stars (rating)",
        "speakers (segments)",
    )
    records = _records(db, "reviews")
    assert [(r["external_id"], r["status"]) for r in records] == [("11", "complete"), ("12", "new")]
    assert records[0]["annotations"] == [
        {
            "annotator": "ann0@example.com",
            "created_at": "2024-05-01T10:00:00Z",
            "value": {
                "ner": [{"start": 0, "end": 4, "label": "BRAND"}],
                "objects": [
                    {"x": 20.0, "y": 20.0, "width": 100.0, "height": 40.0, "label": "logo"}
                ],
                "speakers": [{"start": 0.5, "end": 2.25, "label": "agent"}],
                "sentiment": "negative",
                "topics": ["shipping", "price"],
                "comment": "late\nagain",
                "stars": 3,
            },
            "seconds": 12.5,
            "guideline_version": None,
        }
    ]
    assert records[0]["pre_annotations"] == [
        {"model": "clf-v1", "score": 0.8, "value": {"sentiment": "neutral"}}
    ]


def test_migrate_refusal_leaves_no_project(db: Database) -> None:
    """An unknown annotator refuses the migration naming task and email; the project made
    for it is gone again."""
    with pytest.raises(InvalidImport) as caught:
        migrate_label_studio(
            db,
            _bytes(export()),
            project_name="reviews",
            source="export.json",
            config=CONFIG.encode(),
        )
    assert caught.value.location == Location(
        file="export.json", line=1, field="annotations[0].annotator"
    )
    assert "ann0@example.com" in caught.value.message
    with pytest.raises(NotFound):
        project_service.get_project(db, "reviews")


def test_migrate_without_a_config_guesses_fields(db: Database) -> None:
    """Without a config the fields come from the results and the overlap from the tasks."""
    summary = migrate_label_studio(
        db, _bytes(export()), project_name="guessed", source="e.json", create_annotators=True
    )
    assert summary.fields[:3] == ("sentiment (choice)", "topics (multi_choice)", "ner (spans)")
    assert project_service.get_project(db, "guessed").spec.overlap == 1


def _sentiment(db: Database) -> None:
    project_service.apply_spec(
        db,
        spec_from_dict(
            {
                "name": "sentiment",
                "fields": [
                    {
                        "name": "sentiment",
                        "kind": "choice",
                        "labels": ["positive", "negative", "neutral"],
                    }
                ],
                "overlap": 1,
            }
        ),
        guidelines=None,
    )


def test_import_into_a_project_refuses_a_value_outside_its_labels(db: Database) -> None:
    """An import into an existing project names the task and result of a foreign label,
    and stores nothing."""
    _sentiment(db)
    add_annotators(db, "sentiment", 1)
    good = annotation(
        "ann0@example.com", [result("sentiment", "r", "choices", {"choices": ["positive"]})]
    )
    bad = annotation(
        "ann0@example.com", [result("sentiment", "r", "choices", {"choices": ["meh"]})]
    )
    tasks = [
        {"id": 1, "data": {"text": "a"}, "annotations": [good]},
        {"id": 2, "data": {"text": "b"}, "annotations": [bad]},
    ]
    with pytest.raises(InvalidImport) as caught:
        import_label_studio(db, "sentiment", _bytes(tasks), source="ls.json")
    assert caught.value.location == Location(
        file="ls.json", line=2, field="annotations[0].result[0].value.choices"
    )
    assert _records(db, "sentiment") == []


def test_import_refuses_a_truncated_export(db: Database) -> None:
    """A file cut off in its third task is refused naming that task, and the tasks before
    it are not stored either."""
    _sentiment(db)
    tasks = [{"id": n, "data": {"text": f"task {n}"}} for n in range(1, 4)]
    with pytest.raises(InvalidImport) as caught:
        import_label_studio(db, "sentiment", _bytes(tasks)[:-10], source="ls.json")
    assert caught.value.message.startswith("invalid JSON")
    assert caught.value.location == Location(file="ls.json", line=3)
    assert _records(db, "sentiment") == []


BOXES_SPEC: dict[str, Any] = {
    "name": "shapes",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative"]},
        {"name": "ner", "kind": "spans", "labels": ["BRAND", "PRODUCT"]},
        {
            "name": "objects",
            "kind": "boxes",
            "labels": ["logo", "box"],
            "width_key": "w",
            "height_key": "h",
        },
        {"name": "comment", "kind": "text", "required": False},
        {"name": "stars", "kind": "rating", "min": 1, "max": 5},
    ],
    "overlap": 2,
}
VALUE_A = {
    "sentiment": "negative",
    "ner": [{"start": 0, "end": 4, "label": "BRAND"}],
    "objects": [{"x": 20.0, "y": 10.0, "width": 100.0, "height": 50.0, "label": "logo"}],
    "comment": "late",
    "stars": 2,
}
VALUE_B = {"sentiment": "positive", "ner": [], "objects": [], "stars": 5}


def test_label_studio_export_imports_back_with_the_same_values(
    db: Database, tmp_path: Path
) -> None:
    """A project written as a Label Studio export and migrated back with its config gives
    the same payloads, annotators, times, seconds and values."""
    project_service.apply_spec(db, spec_from_dict(BOXES_SPEC), guidelines=None)
    add_annotators(db, "shapes", 2)
    rows = [
        {
            "external_id": "s1",
            "payload": {"text": "Acme phone", "image": "a.png", "w": 200, "h": 100},
            "annotations": [
                {
                    "annotator": "ann0@example.com",
                    "value": VALUE_A,
                    "created_at": "2026-01-02T03:04:05Z",
                    "seconds": 7.5,
                },
                {
                    "annotator": "ann1@example.com",
                    "value": VALUE_B,
                    "created_at": "2026-01-02T03:05:00Z",
                    "seconds": 2.0,
                },
            ],
        },
        {"external_id": "s2", "payload": {"text": "Nothing", "image": "b.png", "w": 10, "h": 10}},
    ]
    import_items(db, "shapes", jsonl(rows), format="jsonl", source="seed.jsonl")
    target = tmp_path / "ls.json"
    written = export_dataset(db, "shapes", "labelstudio", target, media_dir=tmp_path, labels="all")
    assert written == 2
    config = label_config_of(project_service.get_project(db, "shapes").spec)
    summary = migrate_label_studio(
        db, target.read_bytes(), project_name="back", source="ls.json", config=config.encode()
    )
    assert (summary.inserted, summary.annotations, summary.untranslated) == (2, 2, ())

    def kept(records: list[dict[str, Any]]) -> list[Any]:
        return [(r["external_id"], r["payload"], r["status"], r["annotations"]) for r in records]

    first, back = _records(db, "shapes"), _records(db, "back")
    assert [
        [{**a, "guideline_version": None} for a in annotations] for *_, annotations in kept(first)
    ] == [annotations for *_, annotations in kept(back)]
    assert [k[:3] for k in kept(first)] == [k[:3] for k in kept(back)]


def test_export_refuses_boxes_of_images_of_unknown_size(db: Database, tmp_path: Path) -> None:
    """Boxes on an image whose size is neither in the payload nor on disk are refused."""
    spec = {**BOXES_SPEC, "fields": [{"name": "objects", "kind": "boxes", "labels": ["logo"]}]}
    project_service.apply_spec(db, spec_from_dict(spec), guidelines=None)
    add_annotators(db, "shapes", 1)
    value = {"objects": [{"x": 1, "y": 1, "width": 2, "height": 2, "label": "logo"}]}
    rows = [
        {"image": "missing.png", "annotations": [{"annotator": "ann0@example.com", "value": value}]}
    ]
    import_items(db, "shapes", jsonl(rows), format="jsonl", source="seed.jsonl")
    with pytest.raises(InvalidInput) as caught:
        export_dataset(
            db, "shapes", "labelstudio", tmp_path / "x.json", media_dir=tmp_path, labels="all"
        )
    assert "size of 'missing.png' is unknown" in caught.value.message
    assert not (tmp_path / "x.json").exists()
