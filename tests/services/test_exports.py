"""Exports through the service: every item with payload, metadata, predictions and work."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks.domain.errors import NotFound
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.exports import (
    EXPORT_COLUMNS,
    ExportFormat,
    count_for_export,
    export_project,
)
from labelworks.services.ingestion import import_items
from labelworks.storage.engine import Database

T0 = datetime(2026, 1, 1, 12, 0, 0)
PRE = [{"model": "bert-v2", "score": 0.5, "value": {"sentiment": "positive"}}]
ROWS = [
    {
        "external_id": "r1",
        "payload": {"text": "Loved it", "stars": 5},
        "metadata": {"shop": "a"},
        "pre_annotations": PRE,
    },
    {"text": "So-so <b>ok</b>", "lang": "en"},
    {"text": "Nobody looked at me"},
]


def _seed(db: Database) -> None:
    """Three items; item 1 complete (two annotations), item 2 leased, item 3 untouched."""
    make_project(db)
    import_items(db, "sentiment", jsonl(ROWS), format="jsonl", source="seed.jsonl")
    a, b = add_annotators(db, "sentiment", 2)
    for who, label, seconds in ((a, "positive", 4.5), (b, "negative", 2.0)):
        task = next_task_for(db, "sentiment", who, now=T0)
        assert task is not None and task.item_id == 1
        submit_annotation(
            db,
            task.assignment_id,
            who,
            value={"sentiment": label},
            seconds=seconds,
            idempotency_key=f"k{who}",
            now=T0,
        )
    assert next_task_for(db, "sentiment", a, now=T0) is not None


def _annotation(email: str, label: str, seconds: float) -> dict[str, Any]:
    return {
        "annotator": email,
        "created_at": T0.isoformat(),
        "value": {"sentiment": label},
        "seconds": seconds,
        "guideline_version": 1,
    }


EXPECTED = [
    {
        "id": 1,
        "external_id": "r1",
        "status": "complete",
        "payload": {"text": "Loved it", "stars": 5},
        "metadata": {"shop": "a"},
        "pre_annotations": PRE,
        "annotations": [
            _annotation("ann0@example.com", "positive", 4.5),
            _annotation("ann1@example.com", "negative", 2.0),
        ],
    },
    {
        "id": 2,
        "external_id": None,
        "status": "in_progress",
        "payload": {"text": "So-so <b>ok</b>", "lang": "en"},
        "metadata": {},
        "pre_annotations": [],
        "annotations": [],
    },
    {
        "id": 3,
        "external_id": None,
        "status": "new",
        "payload": {"text": "Nobody looked at me"},
        "metadata": {},
        "pre_annotations": [],
        "annotations": [],
    },
]


def _read(fmt: ExportFormat, data: bytes) -> list[dict[str, Any]]:
    """The export's records as plain dicts, JSON columns decoded, ``created_at`` checked."""
    if fmt == "jsonl":
        records = [json.loads(line) for line in data.splitlines()]
    else:
        if fmt == "csv":
            raw = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        else:
            raw = pq.read_table(io.BytesIO(data)).to_pylist()
        records = []
        for r in raw:
            assert list(r) == list(EXPORT_COLUMNS)
            r = dict(r)
            for key in ("payload", "metadata", "pre_annotations", "annotations"):
                r[key] = json.loads(r[key])
            r["id"] = int(r["id"])
            r["external_id"] = r["external_id"] or None
            records.append(r)
    for r in records:
        datetime.fromisoformat(r.pop("created_at"))  # an ISO timestamp, set at import
    return records


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_holds_every_item_with_its_work(db: Database, fmt: ExportFormat) -> None:
    """Each format carries payload, metadata, predictions and annotations of every item."""
    _seed(db)
    out = io.BytesIO()
    progress: list[int] = []
    written = export_project(
        db, "sentiment", out, format=fmt, page_size=2, progress=progress.append
    )
    assert (written, progress) == (3, [2, 1])
    assert _read(fmt, out.getvalue()) == EXPECTED
    assert count_for_export(db, "sentiment") == 3


def test_jsonl_export_reimports_into_a_new_project(db: Database) -> None:
    """An export imported into another project reproduces payloads, ids, metadata, predictions."""
    _seed(db)
    out = io.BytesIO()
    export_project(db, "sentiment", out, format="jsonl")
    make_project(db, name="copy")
    out.seek(0)
    summary = import_items(db, "copy", out, format="jsonl", source="export.jsonl")
    assert (summary.rows, summary.inserted, summary.skipped_duplicates) == (3, 3, 0)
    copy = io.BytesIO()
    export_project(db, "copy", copy, format="jsonl")
    keep = ("external_id", "payload", "metadata", "pre_annotations")
    assert [{k: r[k] for k in keep} for r in _read("jsonl", copy.getvalue())] == [
        {k: r[k] for k in keep} for r in EXPECTED
    ]
    assert [r["annotations"] for r in _read("jsonl", copy.getvalue())] == [[], [], []]


def test_empty_project_exports_no_records(db: Database) -> None:
    """A project without items exports an empty JSONL file and an empty, valid Parquet file."""
    make_project(db)
    out = io.BytesIO()
    assert export_project(db, "sentiment", out, format="jsonl") == 0
    assert out.getvalue() == b""
    out = io.BytesIO()
    assert export_project(db, "sentiment", out, format="parquet") == 0
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert (table.num_rows, table.column_names) == (0, list(EXPORT_COLUMNS))


def test_unknown_project_is_not_found(db: Database) -> None:
    """Exporting or counting a missing project raises NotFound and writes nothing."""
    out = io.BytesIO()
    with pytest.raises(NotFound) as caught:
        export_project(db, "nope", out, format="jsonl")
    assert str(caught.value) == "project 'nope' does not exist"
    assert out.getvalue() == b""
    with pytest.raises(NotFound):
        count_for_export(db, "nope")
