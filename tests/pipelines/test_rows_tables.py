"""read_rows on CSV and Parquet: column rules and refused inputs, with the whole error."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelworks.domain.errors import InvalidImport
from labelworks.pipelines.content_hash import content_hash
from labelworks.pipelines.rows import ImportRow, PreAnnotation, read_rows


def _csv(text: str | bytes, **options: Any) -> list[ImportRow]:
    data = text.encode() if isinstance(text, str) else text
    return list(read_rows(io.BytesIO(data), format="csv", source="in.csv", **options))


def _parquet_bytes(table: pa.Table) -> io.BytesIO:
    out = io.BytesIO()
    pq.write_table(table, out)
    out.seek(0)
    return out


def _parquet(table: pa.Table, **options: Any) -> list[ImportRow]:
    stream = _parquet_bytes(table)
    return list(read_rows(stream, format="parquet", source="in.parquet", **options))


def _error(call: Any, *args: Any, **options: Any) -> dict[str, Any]:
    with pytest.raises(InvalidImport) as err:
        call(*args, **options)
    return err.value.to_dict()


def _at(file: str, line: int | None, message: str, field: str | None = None) -> dict[str, Any]:
    where = file + (f", line {line}" if line is not None else "")
    where += f", field '{field}'" if field else ""
    return {
        "code": "invalid_import",
        "message": f"{where}: {message}",
        "location": {"file": file, "line": line, "field": field},
    }


def test_flat_csv_columns_are_string_payload_keys() -> None:
    """Non-reserved columns are string payload keys; JSON columns parse; records keep lines."""
    text = (
        "\ufefftext , url,external_id,metadata,pre_annotations\r\n"
        '"two\nlines",http://a,e1,"{""k"": 1}",\r\n'
        "\r\n"
        'plain,,,,"[{""model"": ""m"", ""score"": 0.5, ""value"": {""s"": 1}}]"\r\n'
    )
    first = {"text": "two\nlines", "url": "http://a"}
    second = {"text": "plain", "url": ""}
    assert _csv(text, required_keys=["text"]) == [
        ImportRow(2, "e1", first, {"k": 1}, (), content_hash(first)),
        ImportRow(5, None, second, {}, (PreAnnotation("m", 0.5, {"s": 1}),), content_hash(second)),
    ]


def test_csv_with_a_payload_column_is_structured() -> None:
    """A payload column holds the payload as JSON; export-only columns are ignored."""
    text = 'id,status,external_id,payload\n1,new,a,"{""text"": ""hi"", ""n"": 2}"\n'
    payload = {"text": "hi", "n": 2}
    assert _csv(text, required_keys=["text"]) == [
        ImportRow(2, "a", payload, {}, (), content_hash(payload))
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", _at("in.csv", None, "in.csv has no rows")),
        ("text,url\n", _at("in.csv", None, "in.csv has no rows")),
        (
            "\ntext\nhello\n",
            _at("in.csv", 1, "CSV header is empty; the first line must name the columns"),
        ),
        (
            ",,\n1,2,3\n",
            _at("in.csv", 1, "CSV header is empty; the first line must name the columns"),
        ),
        ("text,,url\n", _at("in.csv", 1, "CSV header column 2 has no name")),
        (
            "text,url,text\n",
            _at("in.csv", 1, "CSV header repeats column 'text' (columns 1 and 3)", "text"),
        ),
        (
            "title,url\na,b\n",
            _at(
                "in.csv",
                1,
                "CSV header has no column 'text', which the project's fields need "
                "(columns: title, url)",
                "text",
            ),
        ),
        (
            "text,url\na,b\nc\n",
            _at("in.csv", 3, "row has 1 cell but the header has 2 columns"),
        ),
        (
            "text,url\na,b,c\n",
            _at("in.csv", 2, "row has 3 cells but the header has 2 columns"),
        ),
        (
            'text\n"never closed\n',
            _at("in.csv", 2, "malformed CSV: unexpected end of data"),
        ),
        (
            "text,metadata\na,{oops}\n",
            _at(
                "in.csv",
                2,
                "metadata is not valid JSON: Expecting property name enclosed in double quotes "
                "at column 2",
                "metadata",
            ),
        ),
        (
            "text,metadata\na,[1]\n",
            _at("in.csv", 2, "metadata must be a JSON object, not array", "metadata"),
        ),
        (
            'payload,external_id\n"[1]",x\n',
            _at("in.csv", 2, "payload must be a JSON object, not array", "payload"),
        ),
        ('payload\n""\n', _at("in.csv", 2, "payload is empty", "payload")),
        (
            "payload,text\n{},a\n",
            _at(
                "in.csv",
                1,
                "unknown column 'text' next to 'payload'"
                " (allowed: external_id, gold, gold_explanation,"
                " metadata, payload,"
                " pre_annotations, predictions; ignored from exports: annotations, content_hash,"
                " created_at, final, guideline_versions, id, status, updated_at); put item data"
                " inside 'payload'",
                "text",
            ),
        ),
    ],
)
def test_bad_csv_input_is_refused(text: str, expected: dict[str, Any]) -> None:
    """Each malformed CSV raises InvalidImport naming the file, line and field."""
    assert _error(_csv, text, required_keys=["text"]) == expected


def test_csv_invalid_utf8_names_the_physical_line() -> None:
    """A bad byte inside a multi-line record is reported on its own physical line."""
    data = b'text\n"line one\nline \xff two"\n'
    assert _error(_csv, data) == _at(
        "in.csv", 3, "invalid UTF-8 at byte 6 of the line (0xff); save the file as UTF-8"
    )


def test_csv_50_mb_field_gives_the_size_error() -> None:
    """A 50 MB quoted cell spanning lines is refused with its size, not csv's field limit."""
    cell = ("y" * 1023 + "\n") * (50 * 1024)
    data = f'text\nok\n"{cell}"\n'.encode()
    assert _error(_csv, data) == _at(
        "in.csv", 3, "row is at least 10,485,761 bytes, over the limit of 10,485,760 bytes per row"
    )


def test_parquet_row_over_the_limit_is_refused() -> None:
    """A Parquet cell that makes its row's JSON larger than the limit is refused on its row."""
    table = pa.table({"text": ["ok", "x" * 3000, "ok again"]})
    stream = _parquet_bytes(table)
    rows = read_rows(stream, format="parquet", source="in.parquet", max_row_bytes=1000)
    assert next(rows).payload == {"text": "ok"}
    with pytest.raises(InvalidImport) as err:
        next(rows)
    assert err.value.to_dict() == _at(
        "in.parquet", 2, "row is 3,011 bytes, over the limit of 1,000 bytes per row"
    )


def test_parquet_flat_and_struct_columns() -> None:
    """Flat Parquet columns are payload keys; structs and lists become dicts and lists."""
    table = pa.table(
        {
            "text": ["a", "b"],
            "tags": [["x"], None],
            "external_id": [5, 6],
            "metadata": [{"k": 1}, None],
            "pre_annotations": [[{"model": "m", "score": 0.5, "value": {"s": "x"}}], []],
        }
    )
    first = {"text": "a", "tags": ["x"]}
    second = {"text": "b", "tags": None}
    assert _parquet(table, required_keys=["text"]) == [
        ImportRow(
            1, "5", first, {"k": 1}, (PreAnnotation("m", 0.5, {"s": "x"}),), content_hash(first)
        ),
        ImportRow(2, "6", second, {}, (), content_hash(second)),
    ]


def test_parquet_struct_payload_is_structured() -> None:
    """A struct payload column is the structured form; JSON text metadata is parsed."""
    table = pa.table(
        {
            "payload": [{"text": "a", "n": 1}],
            "metadata": ['{"k": [1, 2]}'],
            "annotations": ["[]"],
        }
    )
    payload = {"text": "a", "n": 1}
    assert _parquet(table) == [
        ImportRow(1, None, payload, {"k": [1, 2]}, (), content_hash(payload))
    ]


def test_parquet_export_timestamps_are_ignored_only_next_to_a_payload() -> None:
    """An export's UTC ``created_at`` column re-imports with its payload; the same column
    in a flat file is payload data with no JSON form, refused as any timestamp."""
    at = pa.array([0], pa.timestamp("us", tz="UTC"))
    structured = pa.table({"payload": ['{"text": "a"}'], "created_at": at})
    flat = pa.table({"text": ["a"], "created_at": at})
    payload = {"text": "a"}
    assert (_parquet(structured), _error(_parquet, flat)) == (
        [ImportRow(1, None, payload, {}, (), content_hash(payload))],
        _at(
            "in.parquet",
            None,
            "column 'created_at' has Parquet type timestamp[us, tz=UTC], which has no JSON "
            "form; cast it to a string or a number before importing",
            "created_at",
        ),
    )


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            pa.table({"text": pa.array([], pa.string())}),
            _at("in.parquet", None, "in.parquet has no rows"),
        ),
        (
            pa.table({"title": ["a"]}),
            _at(
                "in.parquet",
                None,
                "Parquet file has no column 'text', which the project's fields need "
                "(columns: title)",
                "text",
            ),
        ),
        (
            pa.table({"text": ["a"], "when": pa.array([0], pa.timestamp("s"))}),
            _at(
                "in.parquet",
                None,
                "column 'when' has Parquet type timestamp[ms], which has no JSON form; cast it "
                "to a string or a number before importing",
                "when",
            ),
        ),
        (
            pa.table({"text": ["a", "b"], "score": [1.0, float("nan")]}),
            _at(
                "in.parquet",
                2,
                "payload holds NaN or Infinity, which JSON cannot represent",
                "payload",
            ),
        ),
        (
            pa.table({"text": ["a"], "external_id": [1.5]}),
            _at(
                "in.parquet",
                1,
                "external_id must be a string or an integer, not number",
                "external_id",
            ),
        ),
    ],
)
def test_bad_parquet_input_is_refused(table: pa.Table, expected: dict[str, Any]) -> None:
    """Each unusable Parquet file raises InvalidImport naming the file, row and column."""
    assert _error(_parquet, table, required_keys=["text"]) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", _at("in.parquet", None, "in.parquet has no rows")),
        (
            b"text\nnot parquet\n",
            _at(
                "in.parquet",
                None,
                "not a readable Parquet file: Parquet magic bytes not found in footer. Either the "
                "file is corrupted or this is not a parquet file.",
            ),
        ),
    ],
)
def test_non_parquet_bytes_are_refused(data: bytes, expected: dict[str, Any]) -> None:
    """An empty stream or one that is not Parquet is refused before any row."""
    stream = io.BytesIO(data)
    assert (
        _error(lambda: list(read_rows(stream, format="parquet", source="in.parquet"))) == expected
    )
