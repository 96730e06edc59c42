"""Exports through the service: every item with payload, metadata, predictions and work."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.services.builders import add_annotators, jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.formats import CsvFormulas
from labelworks.schemas.api import ItemRowOut
from labelworks.services.adjudication import adjudicate
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.catalog import list_items
from labelworks.services.exports import (
    EXPORT_COLUMNS,
    ExportFormat,
    _finals,
    count_for_export,
    export_project,
)
from labelworks.services.ingestion import import_items
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.export_rows import StoredFinal

T0 = datetime(2026, 1, 1, 12, 0, 0)
# The API's form of a time (pydantic's for an aware UTC datetime): microseconds when not 0.
UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")
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
        "created_at": "2026-01-01T12:00:00Z",
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
        _check_utc(r.pop("created_at"))  # set at import: only its form is known
    return records


def _check_utc(moment: Any) -> None:
    """A time as exported: UTC text ending in ``Z`` (JSON, CSV) or a UTC datetime (Parquet)."""
    if isinstance(moment, str):
        assert UTC_TEXT.fullmatch(moment), moment
    else:
        assert (type(moment), moment.utcoffset()) == (datetime, timedelta(0))


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


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_times_are_the_api_item_lists_utc_times(db: Database, fmt: ExportFormat) -> None:
    """Each item's ``created_at`` is the item list API's text (``…Z``), a UTC timestamp
    column in Parquet, and its annotations' times are ``…Z`` text."""
    _seed(db)
    listed = [
        ItemRowOut.model_validate(r, from_attributes=True).model_dump(mode="json")["created_at"]
        for r in list_items(db, "sentiment").items
    ]
    out = io.BytesIO()
    export_project(db, "sentiment", out, format=fmt)
    if fmt == "parquet":
        table = pq.read_table(io.BytesIO(out.getvalue()))
        created = [
            f"{t.replace(tzinfo=None).isoformat()}Z" for t in table["created_at"].to_pylist()
        ]
        annotations = table["annotations"].to_pylist()
        kind = str(table.schema.field("created_at").type)
    else:
        rows = (
            [json.loads(line) for line in out.getvalue().splitlines()]
            if fmt == "jsonl"
            else list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
        )
        created = [r["created_at"] for r in rows]
        annotations = [r["annotations"] for r in rows]
        kind = "text"
    first = annotations[0] if fmt == "jsonl" else json.loads(annotations[0])
    assert all(UTC_TEXT.fullmatch(t) for t in listed), listed
    assert (created, [a["created_at"] for a in first], kind) == (
        listed,
        ["2026-01-01T12:00:00Z"] * 2,
        "text" if fmt != "parquet" else "timestamp[us, tz=UTC]",
    )


def test_jsonl_export_reimports_into_a_new_project(db: Database) -> None:
    """An export imported into another project reproduces payloads, ids, metadata,
    predictions and the annotations (its history)."""
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
    assert [r["annotations"] for r in _read("jsonl", copy.getvalue())] == [
        r["annotations"] for r in EXPECTED
    ]


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


# Payloads that exercise JSON text: non-ASCII, escapes, a JSON-escaped line break and
# U+2028, nesting, big integers, floats, nulls and booleans.
TRICKY = [
    {
        "external_id": "u1",
        "payload": {
            "text": 'Très "bien" \\ 日本語 🎉\nline two\u2028\x01',
            "nested": {"a": [1, 2.5, None, True, {"b": "ü", "c": []}], "d": {}},
            "big": 12345678901234567890,
            "tiny": 1e-07,
        },
        "metadata": {"batch": "β-2", "tags": ["x", "y"]},
        "pre_annotations": [
            {"model": "m/ü", "score": 1 / 3, "value": {"sentiment": "negative"}},
            {"model": "m2", "score": None, "value": {"sentiment": "neutral"}},
        ],
    },
    {"external_id": "u2", "payload": {"text": "plain", "z": -0.0, "a": False}},
    {"payload": {"text": "ascii only"}, "pre_annotations": [PRE[0]]},
]
OTHER = [
    {"external_id": "o1", "payload": {"text": "other project"}, "pre_annotations": PRE},
    {"payload": {"text": "other too"}},
]
LATE = [{"external_id": "u4", "payload": {"text": "after the other project", "n": 4}}]


def _submit(db: Database, project: str, who: int, label: str, seconds: float | None) -> None:
    """``who`` takes the next task of ``project`` and submits ``label``."""
    task = next_task_for(db, project, who, now=T0)
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        who,
        value={"sentiment": label},
        seconds=seconds,
        idempotency_key=f"{project}-{who}",
        now=T0,
    )


def _seed_tricky(db: Database) -> None:
    """Project ``sentiment`` gets items 1-3 and 6, project ``other`` items 4-5 in between."""
    make_project(db)
    make_project(db, name="other")
    import_items(db, "sentiment", jsonl(TRICKY), format="jsonl", source="a.jsonl")
    import_items(db, "other", jsonl(OTHER), format="jsonl", source="b.jsonl")
    import_items(db, "sentiment", jsonl(LATE), format="jsonl", source="c.jsonl")
    a, b = add_annotators(db, "sentiment", 2)
    _submit(db, "sentiment", a, "negative", 1.25)
    _submit(db, "sentiment", b, "neutral", 7.0)
    (c,) = add_annotators(db, "other", 1, prefix="oth")
    _submit(db, "other", c, "positive", None)


def _tricky_expected() -> list[dict[str, Any]]:
    """The records of the tricky project, written out by hand from the seed."""
    done = [
        _annotation("ann0@example.com", "negative", 1.25),
        _annotation("ann1@example.com", "neutral", 7.0),
    ]
    rows = [*TRICKY, *LATE]
    return [
        {
            "id": item_id,
            "external_id": row.get("external_id"),
            "status": "complete" if item_id == 1 else "new",
            "payload": row["payload"],
            "metadata": row.get("metadata", {}),
            "pre_annotations": row.get("pre_annotations", []),
            "annotations": done if item_id == 1 else [],
        }
        for item_id, row in zip([1, 2, 3, 6], rows, strict=True)
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_of_stored_json_text_decodes_to_the_imported_values(
    db: Database, fmt: ExportFormat
) -> None:
    """Unicode, nested payloads, predictions and work read back as imported, across pages
    whose id ranges hold another project's items (which must not leak in)."""
    _seed_tricky(db)
    out = io.BytesIO()
    assert export_project(db, "sentiment", out, format=fmt, page_size=2) == 4
    assert _read(fmt, out.getvalue()) == _tricky_expected()


def test_jsonl_export_is_the_compact_encoding_of_the_records(db: Database) -> None:
    """Stored text passed through gives the same bytes as encoding the decoded records."""
    _seed_tricky(db)
    out = io.BytesIO()
    export_project(db, "sentiment", out, format="jsonl", page_size=3)
    stamps = [json.loads(line)["created_at"] for line in out.getvalue().splitlines()]
    expected = [
        {**{k: r[k] for k in ("id", "external_id", "status")}, "created_at": stamp, **r}
        for r, stamp in zip(_tricky_expected(), stamps, strict=True)
    ]
    text = "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in expected
    )
    assert out.getvalue() == text.encode("utf-8")


# Texts a spreadsheet would run as formulas, and a number that must stay a number.
FORMULAS = ['=HYPERLINK("http://evil")', "@SUM(A1)", "-2+3", "+cmd|' /C calc'!A0", "\tx", "-1.5"]


def _seed_formulas(db: Database) -> None:
    """One item per text, which is both its external id and its payload text."""
    make_project(db)
    rows = [{"external_id": text, "payload": {"text": text}} for text in FORMULAS]
    import_items(db, "sentiment", jsonl(rows), format="jsonl", source="formulas.jsonl")


def _exported(db: Database, fmt: ExportFormat, csv_formulas: CsvFormulas) -> bytes:
    out = io.BytesIO()
    export_project(db, "sentiment", out, format=fmt, csv_formulas=csv_formulas)
    return out.getvalue()


def test_csv_export_escapes_formula_cells_unless_raw(db: Database) -> None:
    """CSV cells that start a formula get a quote by default and not when raw; JSON columns
    (which start with a brace) and the number keep their text."""
    _seed_formulas(db)
    read = {
        mode: [
            (row["id"], row["external_id"], json.loads(row["payload"]))
            for row in csv.DictReader(io.StringIO(_exported(db, "csv", mode).decode()))
        ]
        for mode in ("escape", "raw")
    }
    escaped_ids = [
        '\'=HYPERLINK("http://evil")',
        "'@SUM(A1)",
        "'-2+3",
        "'+cmd|' /C calc'!A0",
        "'\tx",
        "-1.5",
    ]
    assert read == {
        "escape": [
            (str(n), escaped, {"text": text})
            for n, escaped, text in zip(range(1, 7), escaped_ids, FORMULAS, strict=True)
        ],
        "raw": [(str(n), text, {"text": text}) for n, text in enumerate(FORMULAS, start=1)],
    }


def test_jsonl_and_parquet_exports_keep_formula_texts_exact(db: Database) -> None:
    """JSONL and Parquet hold the exact texts; asking them for raw CSV cells is refused."""
    _seed_formulas(db)
    jsonl_records = [json.loads(line) for line in _exported(db, "jsonl", "escape").splitlines()]
    parquet_records = pq.read_table(io.BytesIO(_exported(db, "parquet", "escape"))).to_pylist()
    expected = [(text, {"text": text}) for text in FORMULAS]
    assert [(r["external_id"], r["payload"]) for r in jsonl_records] == expected
    assert [(r["external_id"], json.loads(r["payload"])) for r in parquet_records] == expected
    refused = {}
    for fmt in ("jsonl", "parquet"):
        out = io.BytesIO()
        with pytest.raises(InvalidInput) as caught:
            export_project(db, "sentiment", out, format=fmt, csv_formulas="raw")
        refused[fmt] = (str(caught.value), out.getvalue())
    assert refused == {
        fmt: (
            f"csv_formulas 'raw' applies to csv exports only; {fmt} exports always hold "
            "the exact text",
            b"",
        )
        for fmt in ("jsonl", "parquet")
    }


def _seed_finals(db: Database) -> int:
    """Project ``sentiment`` decides by majority at two annotations (dynamic overlap 2 to 2):
    item 1 agreed (final), item 2 split then adjudicated by a reviewer, item 3 untouched;
    returns the adjudicator's id."""
    make_project(db, quality={"dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9}})
    import_items(db, "sentiment", jsonl(ROWS), format="jsonl", source="seed.jsonl")
    a, b = add_annotators(db, "sentiment", 2)
    for who, labels in ((a, ("positive", "positive")), (b, ("positive", "negative"))):
        for k, label in enumerate(labels):
            task = next_task_for(db, "sentiment", who, now=T0)
            assert task is not None and task.item_id == k + 1
            submit_annotation(
                db,
                task.assignment_id,
                who,
                value={"sentiment": label},
                seconds=1.0,
                idempotency_key=f"f{who}-{k}",
                now=T0,
            )
    expert = add_user(db, "expert@example.com", role="reviewer", projects=["sentiment"]).user
    actor = Actor(expert.id, expert.email, Role.REVIEWER)
    adjudicate(db, "sentiment", 2, value={"sentiment": "negative"}, note="sarcasm", actor=actor)
    return expert.id


def _final(value: str, method: str, status: str, ids: list[int], by: str | None) -> Any:
    """A ``final`` record as exported (both items are sure: agreed, or an expert's)."""
    return {
        "value": {"sentiment": value},
        "method": method,
        "confidence": 1.0,
        "fields": {"sentiment": 1.0},
        "status": status,
        "annotation_ids": ids,
        "decided_by": by,
    }


FINALS = [
    _final("positive", "majority", "final", [1, 3], None),
    _final("negative", "adjudication", "adjudicated", [2, 4], "expert@example.com"),
    None,
]


def _finals_of(fmt: ExportFormat, data: bytes) -> list[Any]:
    """The ``final`` of each record (``None`` when absent or empty), ``decided_at`` checked."""
    if fmt == "jsonl":
        cells = [json.loads(line).get("final") for line in data.splitlines()]
    else:
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        else:
            rows = pq.read_table(io.BytesIO(data)).to_pylist()
        assert [list(r) for r in rows] == [[*EXPORT_COLUMNS, "final"]] * len(rows)
        cells = [json.loads(r["final"]) if r["final"] else None for r in rows]
    for cell in cells:
        if cell is not None:
            _check_utc(cell.pop("decided_at"))
    return cells


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_carries_final_labels_and_reimports(db: Database, fmt: ExportFormat) -> None:
    """Each format gives the agreed item its majority label, the adjudicated item the
    expert's with their email, the untouched item none; the file re-imports as is."""
    _seed_finals(db)
    out = io.BytesIO()
    assert export_project(db, "sentiment", out, format=fmt, page_size=2) == 3
    make_project(db, name="copy")
    summary = import_items(db, "copy", io.BytesIO(out.getvalue()), format=fmt, source="e")
    assert (_finals_of(fmt, out.getvalue()), summary.inserted) == (FINALS, 3)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_walled_exports_leave_final_labels_out(db: Database, fmt: ExportFormat) -> None:
    """A vendor's manager exports their vendor's work with no ``final`` key or column (a
    final label is decided from every vendor's work); a project without consensus and
    without final labels has no ``final`` column either."""
    _seed_finals(db)
    boss = add_user(
        db, "boss@acme.example", role="manager", vendor="acme", projects=["sentiment"]
    ).user
    walled = Actor(boss.id, boss.email, Role.MANAGER, vendor="acme")
    out = io.BytesIO()
    export_project(db, "sentiment", out, format=fmt, actor=walled)
    plain = io.BytesIO()
    make_project(db, name="plain")
    import_items(db, "plain", jsonl(ROWS), format="jsonl", source="p.jsonl")
    export_project(db, "plain", plain, format=fmt)
    assert [_read(fmt, data.getvalue()) for data in (out, plain)] == [
        [{**r, "annotations": []} for r in _walled_expected()],
        [{**r, "id": r["id"] + 3, "annotations": [], "status": "new"} for r in EXPECTED],
    ]


def _walled_expected() -> list[dict[str, Any]]:
    """The seed of ``_seed_finals`` as the acme manager sees it: no acme annotators."""
    return [
        {**r, "status": s} for r, s in zip(EXPECTED, ["complete", "complete", "new"], strict=True)
    ]


def test_final_label_text_is_the_compact_encoding_of_its_parts() -> None:
    """The written ``final`` decodes to its parts (NaN confidence as null, a non-ASCII email
    kept), and a stored text holding a line break is written on one line all the same."""
    at = datetime(2026, 3, 1, 12, 9)
    rows = [
        StoredFinal(1, '{"a":"x"}', "majority", 0.75, '{"a":0.75}', "final", "[1,2]", at, None),
        StoredFinal(
            2,
            '{"a":\n"y"}',
            "adjudication",
            float("nan"),
            "{}",
            "adjudicated",
            "[]",
            at,
            "zoë@example.com",
        ),
    ]
    texts = _finals(rows)
    assert ["\n" in t for t in texts.values()] == [False, False]
    assert {k: json.loads(t) for k, t in texts.items()} == {
        1: {
            "value": {"a": "x"},
            "method": "majority",
            "confidence": 0.75,
            "fields": {"a": 0.75},
            "status": "final",
            "annotation_ids": [1, 2],
            "decided_at": "2026-03-01T12:09:00Z",
            "decided_by": None,
        },
        2: {
            "value": {"a": "y"},
            "method": "adjudication",
            "confidence": None,
            "fields": {},
            "status": "adjudicated",
            "annotation_ids": [],
            "decided_at": "2026-03-01T12:09:00Z",
            "decided_by": "zoë@example.com",
        },
    }
