"""Importing items through the service: formats, de-duplication, all-or-nothing refusals."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from tests.services.builders import jsonl, make_project

from labelworks.domain.errors import InvalidImport
from labelworks.services.exports import export_project
from labelworks.services.ingestion import ImportFormat, ImportSummary, import_items
from labelworks.services.status import project_status
from labelworks.storage.engine import Database
from labelworks.storage.tables import imports

ROWS: list[dict[str, Any]] = [
    {"external_id": "r1", "text": "Loved it", "lang": "en", "metadata": {"shop": "a"}},
    {"external_id": "r2", "text": "Hated it", "lang": "en", "metadata": {"shop": "b"}},
    {"external_id": "r3", "text": "C'est bien", "lang": "fr", "metadata": {}},
]


def _csv(rows: list[dict[str, Any]]) -> io.BytesIO:
    lines = ["external_id,text,lang,metadata"]
    for r in rows:
        meta = json.dumps(r["metadata"]).replace('"', '""')
        lines.append(f'{r["external_id"]},"{r["text"]}",{r["lang"]},"{meta}"')
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def _parquet(rows: list[dict[str, Any]]) -> io.BytesIO:
    table = pa.table(
        {
            "external_id": [r["external_id"] for r in rows],
            "text": [r["text"] for r in rows],
            "lang": [r["lang"] for r in rows],
            "metadata": [json.dumps(r["metadata"]) for r in rows],
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    out.seek(0)
    return out


def _import(db: Database, body: io.BytesIO, fmt: ImportFormat, **kw: Any) -> ImportSummary:
    return import_items(db, "sentiment", body, format=fmt, source=f"items.{fmt}", **kw)


def _exported(db: Database, project: str = "sentiment") -> list[dict[str, Any]]:
    out = io.BytesIO()
    export_project(db, project, out, format="jsonl")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _items(db: Database, project: str = "sentiment") -> list[tuple[Any, ...]]:
    return [
        (r["external_id"], r["payload"], r["metadata"], r["pre_annotations"])
        for r in _exported(db, project)
    ]


def _n_imports(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(imports)).scalar_one())


EXPECTED_ITEMS = [
    ("r1", {"text": "Loved it", "lang": "en"}, {"shop": "a"}, []),
    ("r2", {"text": "Hated it", "lang": "en"}, {"shop": "b"}, []),
    ("r3", {"text": "C'est bien", "lang": "fr"}, {}, []),
]


@pytest.mark.parametrize(
    ("fmt", "body"),
    [("jsonl", jsonl(ROWS)), ("csv", _csv(ROWS)), ("parquet", _parquet(ROWS))],
    ids=["jsonl", "csv", "parquet"],
)
def test_every_format_imports_the_same_items(
    db: Database, fmt: ImportFormat, body: io.BytesIO
) -> None:
    """JSONL, CSV and Parquet versions of one table give identical items and summaries."""
    make_project(db)
    body.seek(0)
    summary = _import(db, body, fmt)
    assert summary == ImportSummary("sentiment", f"items.{fmt}", 3, 3, 0, 1)
    assert _items(db) == EXPECTED_ITEMS


def test_duplicates_within_a_file_and_across_imports_are_skipped(db: Database) -> None:
    """Repeated payloads are counted as skipped, in one file and in a later import."""
    make_project(db)
    first = _import(db, jsonl([{"text": "a"}, {"text": "b"}, {"text": "a"}]), "jsonl")
    assert first == ImportSummary("sentiment", "items.jsonl", 3, 2, 1, 1)
    # Key order does not matter: the content hash is of the canonical payload.
    again = _import(
        db, jsonl([{"text": "b"}, {"text": "c", "n": 1}, {"n": 1, "text": "c"}]), "jsonl"
    )
    assert again == ImportSummary("sentiment", "items.jsonl", 3, 1, 2, 2)
    assert [payload for _, payload, _, _ in _items(db)] == [
        {"text": "a"},
        {"text": "b"},
        {"text": "c", "n": 1},
    ]
    assert project_status(db, "sentiment").items == 3


def test_same_external_id_and_payload_is_a_duplicate(db: Database) -> None:
    """Re-importing a file with external ids skips every row instead of failing."""
    make_project(db)
    _import(db, jsonl(ROWS), "jsonl")
    assert _import(db, jsonl(ROWS), "jsonl") == ImportSummary(
        "sentiment", "items.jsonl", 3, 0, 3, 2
    )
    assert _items(db) == EXPECTED_ITEMS


def test_pre_annotations_are_stored_with_the_item(db: Database) -> None:
    """Model predictions come back in the export; a duplicate row does not add its own."""
    make_project(db)
    pre = [{"model": "bert", "score": 0.75, "value": {"sentiment": "positive"}}]
    rows = [
        {"payload": {"text": "nice"}, "pre_annotations": pre},
        {"text": "meh", "pre_annotations": [{"model": "rules", "value": {"sentiment": "neutral"}}]},
        {"text": "nice", "pre_annotations": [{"model": "dup", "value": {"sentiment": "negative"}}]},
    ]
    assert _import(db, jsonl(rows), "jsonl", batch_size=2) == ImportSummary(
        "sentiment", "items.jsonl", 3, 2, 1, 1
    )
    assert _items(db) == [
        (None, {"text": "nice"}, {}, pre),
        (
            None,
            {"text": "meh"},
            {},
            [{"model": "rules", "score": None, "value": {"sentiment": "neutral"}}],
        ),
    ]


def test_progress_reports_every_batch(db: Database) -> None:
    """The progress callback receives each batch size, adding up to the rows read."""
    make_project(db)
    seen: list[int] = []
    _import(
        db, jsonl([{"text": str(i)} for i in range(5)]), "jsonl", batch_size=2, progress=seen.append
    )
    assert seen == [2, 2, 1]


BIG = 50 * 1024 * 1024

BAD_INPUTS = [
    pytest.param(
        "jsonl", b"", {"line": None, "field": None}, "bad.jsonl: bad.jsonl has no rows", id="empty"
    ),
    pytest.param(
        "csv",
        b"body,lang\nnice,en\n",
        {"line": 1, "field": "text"},
        "bad.csv, line 1, field 'text': CSV header has no column 'text', which the project's "
        "fields need (columns: body, lang)",
        id="csv-wrong-header",
    ),
    pytest.param(
        "jsonl",
        b'{"text": "ok"}\n["text", "not an object"]\n',
        {"line": 2, "field": None},
        "bad.jsonl, line 2: row is a JSON array, not an object",
        id="line-not-object",
    ),
    pytest.param(
        "jsonl",
        lambda: b'{"text": "ok"}\n{"text": "' + b"x" * BIG + b'"}\n',
        {"line": 2, "field": None},
        f"bad.jsonl, line 2: row is {BIG + 12:,} bytes, over the limit of 10,485,760 bytes per row",
        id="50MB-field",
    ),
    pytest.param(
        "jsonl",
        b'{"text": "ok"}\n{"text": "caf\xe9"}\n',
        {"line": 2, "field": None},
        "bad.jsonl, line 2: invalid UTF-8 at byte 14 of the line (0xe9); save the file as UTF-8",
        id="invalid-utf8",
    ),
    pytest.param(
        "jsonl",
        b'{"external_id": "n1", "text": "ok"}\n{"external_id": "n1", "text": "other"}\n',
        {"line": 2, "field": "external_id"},
        "bad.jsonl, line 2, field 'external_id': external_id 'n1' repeats the one on line 1",
        id="duplicate-external-id-in-file",
    ),
    pytest.param(
        "jsonl",
        b'{"text": "ok"}\n{"external_id": "old", "text": "changed"}\n',
        {"line": 2, "field": "external_id"},
        "bad.jsonl, line 2, field 'external_id': external id 'old' already belongs to item 1, "
        "whose payload differs",
        id="external-id-exists-with-other-payload",
    ),
    pytest.param(
        "jsonl",
        b'{"text": "ok"}\n{"text": "hm", "pre_annotations": '
        b'[{"model": "m", "score": 0.5, "value": {"sentiment": "angry"}}]}\n',
        {"line": 2, "field": "pre_annotations[0].value.sentiment"},
        "bad.jsonl, line 2, field 'pre_annotations[0].value.sentiment': pre-annotation from "
        "model 'm' does not fit the project's fields: 'angry' is not one of the labels "
        "'positive', 'negative', 'neutral'",
        id="pre-annotation-invalid",
    ),
    pytest.param(
        "jsonl",
        b'{"text": "ok"}\n{"body": "no text key"}\n',
        {"line": 2, "field": "payload.text"},
        "bad.jsonl, line 2, field 'payload.text': payload has no key 'text', which the "
        "project's fields need",
        id="missing-required-key",
    ),
    pytest.param(
        "jsonl",
        b'{"text": "ok"}\n{"text": "trailing comma",}\n',
        {"line": 2, "field": None},
        "bad.jsonl, line 2: invalid JSON: Expecting property name enclosed in double quotes at "
        "column 27",
        id="bad-json",
    ),
]


@pytest.mark.parametrize(("fmt", "body", "where", "message"), BAD_INPUTS)
def test_bad_input_is_refused_and_nothing_is_written(
    db: Database,
    fmt: ImportFormat,
    body: bytes | Callable[[], bytes],
    where: dict[str, Any],
    message: str,
) -> None:
    """A bad row raises InvalidImport naming file, line and field; items and imports stay put."""
    make_project(db)
    _import(db, jsonl([{"external_id": "old", "text": "existing"}]), "jsonl")
    before = project_status(db, "sentiment").to_dict()
    # batch_size=1 makes the good rows before the bad one reach the database first.
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db,
            "sentiment",
            io.BytesIO(body() if callable(body) else body),
            format=fmt,
            source="bad." + fmt,
            batch_size=1,
        )
    assert caught.value.to_dict() == {
        "code": "invalid_import",
        "message": message,
        "location": {"file": "bad." + fmt, **where},
    }
    assert project_status(db, "sentiment").to_dict() == before
    assert _n_imports(db) == 1
    assert _items(db) == [("old", {"text": "existing"}, {}, [])]


def test_unknown_project_is_not_found(db: Database) -> None:
    """Importing into a project that does not exist writes nothing."""
    from labelworks.domain.errors import NotFound

    with pytest.raises(NotFound) as caught:
        import_items(db, "nope", jsonl(ROWS), format="jsonl", source="x.jsonl")
    assert str(caught.value) == "project 'nope' does not exist"
    assert _n_imports(db) == 0


def test_parquet_field_over_the_row_limit_is_refused(db: Database) -> None:
    """A 50 MB Parquet cell is refused like a 50 MB JSONL or CSV row, and nothing is written."""
    make_project(db)
    body = io.BytesIO()
    pq.write_table(pa.table({"text": ["ok", "x" * BIG]}), body)
    body.seek(0)
    with pytest.raises(InvalidImport) as caught:
        import_items(db, "sentiment", body, format="parquet", source="big.parquet")
    assert caught.value.to_dict() == {
        "code": "invalid_import",
        "message": f"big.parquet, line 2: row is {BIG + 11:,} bytes, over the limit of "
        "10,485,760 bytes per row",
        "location": {"file": "big.parquet", "line": 2, "field": None},
    }
    assert project_status(db, "sentiment").items == 0
    assert _n_imports(db) == 0


def test_unterminated_string_is_reported_with_its_column(db: Database) -> None:
    """An unterminated JSON string is reported once with its column."""
    make_project(db)
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db, "sentiment", io.BytesIO(b'{"text": "open\n'), format="jsonl", source="u.jsonl"
        )
    assert str(caught.value) == (
        "u.jsonl, line 1: invalid JSON: Unterminated string starting at column 10"
    )


def _repeat(line: int, external_id: str, first: int) -> str:
    return (
        f"bad.jsonl, line {line}, field 'external_id': external_id '{external_id}' repeats "
        f"the one on line {first}"
    )


REPEATS = [
    pytest.param(
        [{"external_id": "a", "text": "x"}, {"text": "y"}, {"external_id": "a", "text": "z"}],
        _repeat(3, "a", 1),
        id="other-payload",
    ),
    pytest.param(
        [{"external_id": "a", "text": "x"}, {"external_id": "a", "text": "x"}],
        _repeat(2, "a", 1),
        id="identical-row",
    ),
    pytest.param(
        [{"external_id": 7, "text": "x"}, {"payload": {"text": "y"}, "external_id": "7"}],
        _repeat(2, "7", 1),
        id="integer-then-string",
    ),
    pytest.param(
        [
            {"external_id": "a", "text": "x"},
            {"external_id": "b", "text": "x"},  # skipped as a duplicate: not in the database
            {"external_id": "b", "text": "y"},
        ],
        _repeat(3, "b", 2),
        id="id-of-a-skipped-row",
    ),
    pytest.param(
        [
            {"external_id": "a", "text": "x"},
            {"external_id": "b", "text": "y"},
            {"external_id": "a", "text": "y"},  # a duplicate payload whose id was used
        ],
        _repeat(3, "a", 1),
        id="skipped-row-with-a-used-id",
    ),
    pytest.param(
        [
            {"external_id": "old", "text": "changed"},
            {"external_id": "a", "text": "x"},
            {"external_id": "a", "text": "y"},
        ],
        "bad.jsonl, line 1, field 'external_id': external id 'old' already belongs to item 1, "
        "whose payload differs",
        id="clash-before-repeat",
    ),
]


@pytest.mark.parametrize("batch_size", [1, 2, 5000])
@pytest.mark.parametrize(("rows", "message"), REPEATS)
def test_an_external_id_used_twice_in_a_file_is_refused(
    db: Database, rows: list[dict[str, Any]], message: str, batch_size: int
) -> None:
    """A repeated external id names both lines, whatever the batches; nothing is written."""
    make_project(db)
    _import(db, jsonl([{"external_id": "old", "text": "existing"}]), "jsonl")
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db, "sentiment", jsonl(rows), format="jsonl", source="bad.jsonl", batch_size=batch_size
        )
    assert str(caught.value) == message
    assert _items(db) == [("old", {"text": "existing"}, {}, [])]
    assert _n_imports(db) == 1


@pytest.mark.parametrize("batch_size", [1, 5000])
def test_the_first_bad_row_is_reported_whatever_the_check(db: Database, batch_size: int) -> None:
    """A repeat found by the database check comes before a later JSON error in the batch."""
    make_project(db)
    body = b'{"external_id": "a", "text": "x"}\n{"external_id": "a", "text": "y"}\n{"text": ,}\n'
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db,
            "sentiment",
            io.BytesIO(body),
            format="jsonl",
            source="bad.jsonl",
            batch_size=batch_size,
        )
    assert str(caught.value) == _repeat(2, "a", 1)
    assert _n_imports(db) == 0


def test_a_csv_repeat_is_refused_like_a_jsonl_one(db: Database) -> None:
    """CSV rows follow the same external-id rule, with CSV line numbers."""
    make_project(db)
    with pytest.raises(InvalidImport) as caught:
        import_items(
            db,
            "sentiment",
            io.BytesIO(b"text,external_id\na,x\nb,y\nc,x\n"),
            format="csv",
            source="bad.csv",
        )
    assert str(caught.value) == (
        "bad.csv, line 4, field 'external_id': external_id 'x' repeats the one on line 2"
    )


def test_duplicates_with_ids_skip_across_batches(db: Database) -> None:
    """Re-importing rows with ids, mixed with new ones, in small batches skips the old ones."""
    make_project(db)
    _import(db, jsonl(ROWS[:2]), "jsonl")
    assert _import(db, jsonl(list(reversed(ROWS))), "jsonl", batch_size=1) == ImportSummary(
        "sentiment", "items.jsonl", 3, 1, 2, 2
    )
    assert sorted(_items(db)) == sorted(EXPECTED_ITEMS)
