"""``labelworks migrate labelstudio``, ``labelworks import --format labelstudio`` and
``labelworks import --create-annotators`` end to end on an embedded SQLite data directory."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.runner import lw
from tests.formats.label_studio_data import CONFIG, annotation, export, result

SPEC = """\
name: sentiment
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
overlap: 1
"""


def test_migrate_reports_the_project_made_and_what_was_left_out(tmp_path: Path) -> None:
    """The command creates the project, restores the work and says what it left out."""
    (tmp_path / "export.json").write_text(json.dumps(export()))
    (tmp_path / "config.xml").write_text(CONFIG)
    done = lw(
        tmp_path / "data",
        "migrate",
        "labelstudio",
        str(tmp_path / "export.json"),
        "--config",
        str(tmp_path / "config.xml"),
        "--project",
        "reviews",
        "--create-annotators",
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "imported 2 new items into reviews (created) from 2 tasks; 0 duplicates skipped",
        "restored 1 annotations and 1 predictions; skipped 1 cancelled and 0 superseded "
        "annotations; created 1 annotators",
        "fields: sentiment (choice), topics (multi_choice), ner (spans), objects (boxes), "
        "comment (text), stars (rating), speakers (segments)",
        "skipped 1 results of outline",
        'not translated: <PolygonLabels name="outline">: <PolygonLabels> has no labelworks '
        "equivalent",
    ]
    listed = lw(tmp_path / "data", "export", "reviews")
    assert [json.loads(line)["external_id"] for line in listed.stdout.splitlines()] == ["11", "12"]


def test_import_labelstudio_refuses_an_unknown_annotator(tmp_path: Path) -> None:
    """Into an existing project, an unknown annotator exits 2 naming task and email; with
    --create-annotators the same file imports."""
    data = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert lw(data, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    tasks = [
        {
            "id": 1,
            "data": {"text": "ok"},
            "annotations": [
                annotation(
                    "who@example.com",
                    [result("sentiment", "t", "choices", {"choices": ["positive"]})],
                )
            ],
        }
    ]
    (tmp_path / "ls.json").write_text(json.dumps(tasks))
    args = ("import", "sentiment", str(tmp_path / "ls.json"), "--format", "labelstudio")
    refused = lw(data, *args)
    assert refused.exit_code == 2
    assert "line 1" in refused.output and "who@example.com" in refused.output
    assert "annotations[0].annotator" in refused.output
    done = lw(data, *args, "--create-annotators")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0] == (
        "imported 1 new items into sentiment from 1 tasks; 0 duplicates skipped"
    )
