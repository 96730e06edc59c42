"""A model's suggestion that marks no region survives a Label Studio export and import."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.formats.label_studio_config import label_config_of
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import export_dataset
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.label_studio import import_label_studio, migrate_label_studio
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "detect",
    "fields": [
        {
            "name": "objects",
            "kind": "boxes",
            "labels": ["logo", "box"],
            "width_key": "w",
            "height_key": "h",
        }
    ],
    "overlap": 1,
}
FOUND = {"objects": [{"x": 20.0, "y": 10.0, "width": 100.0, "height": 50.0, "label": "logo"}]}
ROWS = [
    {
        "external_id": "p1",
        "payload": {"image": "a.png", "w": 200, "h": 100},
        "pre_annotations": [{"model": "det-v2", "score": 0.75, "value": FOUND}],
    },
    {
        "external_id": "p2",
        "payload": {"image": "b.png", "w": 200, "h": 100},
        # The detector looked and found nothing.
        "pre_annotations": [{"model": "det-v2", "score": 0.5, "value": {"objects": []}}],
    },
]


def _suggestions(db: Database, project: str) -> list[tuple[str, list[dict[str, Any]]]]:
    out = io.BytesIO()
    export_project(db, project, out, format="jsonl")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    return [(r["external_id"], r["pre_annotations"]) for r in records]


def test_an_empty_box_suggestion_comes_back_as_an_empty_list(db: Database, tmp_path: Path) -> None:
    """Exported as result: [] and read back, by migrating with the config and by importing
    into a project of the same spec, the suggestion is objects: [] again."""
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    import_items(db, "detect", jsonl(ROWS), format="jsonl", source="seed.jsonl")
    target = tmp_path / "ls.json"
    assert export_dataset(db, "detect", "labelstudio", target, media_dir=tmp_path) == 2
    exported = json.loads(target.read_bytes())
    config = label_config_of(project_service.get_project(db, "detect").spec)
    migrate_label_studio(
        db, target.read_bytes(), project_name="back", source="ls.json", config=config.encode()
    )
    project_service.apply_spec(db, spec_from_dict({**SPEC, "name": "again"}), guidelines=None)
    import_label_studio(db, "again", target.read_bytes(), source="ls.json")
    expected = [
        ("p1", [{"model": "det-v2", "score": 0.75, "value": FOUND}]),
        ("p2", [{"model": "det-v2", "score": 0.5, "value": {"objects": []}}]),
    ]
    assert [t["predictions"][0]["result"] for t in exported][1] == []
    assert (_suggestions(db, "detect"), _suggestions(db, "back"), _suggestions(db, "again")) == (
        expected,
        expected,
        expected,
    )
