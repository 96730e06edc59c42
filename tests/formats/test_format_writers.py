"""Export writers: JSONL, CSV and Parquet over caller-owned streams."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelworks.formats import CsvWriter, JsonlWriter, ParquetWriter, open_writer
from labelworks.formats.json_text import RawJson, json_array_text, json_object_text

COLUMNS = (
    "id",
    "external_id",
    "status",
    "created_at",
    "payload",
    "metadata",
    "pre_annotations",
    "annotations",
)

RECORD: dict[str, Any] = {
    "id": 7,
    "external_id": "r-7",
    "status": "complete",
    "created_at": "2026-01-02T03:04:05+00:00",
    "payload": {"text": "Très bien", "n": 2},
    "metadata": {"batch": "b1"},
    "pre_annotations": [{"model": "m1", "score": 0.9, "value": {"sentiment": "positive"}}],
    "annotations": [
        {
            "annotator": "ann@example.com",
            "created_at": "2026-01-02T04:00:00+00:00",
            "value": {"sentiment": "positive"},
            "seconds": 3.5,
            "guideline_version": 1,
        }
    ],
}

BARE: dict[str, Any] = {
    "id": 8,
    "external_id": None,
    "status": "new",
    "created_at": "2026-01-02T03:04:06+00:00",
    "payload": {"text": "x"},
    "metadata": {},
    "pre_annotations": [],
    "annotations": [],
}


def test_jsonl_writer_writes_compact_utf8_lines_and_leaves_the_stream_open() -> None:
    """Each record is one compact UTF-8 JSON line in key order; close() does not close."""
    out = io.BytesIO()
    writer = JsonlWriter(out)
    writer.write({"id": 1, "payload": {"text": "é"}, "external_id": None})
    writer.write({"id": 2, "payload": {"b": 1, "a": [1.5, True]}})
    writer.close()
    assert not out.closed
    assert (
        out.getvalue()
        == (
            '{"id":1,"payload":{"text":"é"},"external_id":null}\n'
            '{"id":2,"payload":{"b":1,"a":[1.5,true]}}\n'
        ).encode()
    )


def test_jsonl_writer_escapes_unpaired_surrogates() -> None:
    """A string with no UTF-8 form is written with escapes that read back to the same value."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"payload": {"text": "a\ud800b"}})
    assert out.getvalue() == b'{"payload":{"text":"a\\ud800b"}}\n'
    assert json.loads(out.getvalue()) == {"payload": {"text": "a\ud800b"}}


def test_csv_writer_flattens_json_columns() -> None:
    """JSON columns become JSON text cells, None an empty cell, under the fixed header."""
    out = io.BytesIO()
    writer = CsvWriter(out, COLUMNS)
    writer.write(RECORD)
    writer.write(BARE)
    writer.close()
    assert not out.closed
    assert out.getvalue().decode() == (
        "id,external_id,status,created_at,payload,metadata,pre_annotations,annotations\r\n"
        '7,r-7,complete,2026-01-02T03:04:05+00:00,"{""text"":""Très bien"",""n"":2}",'
        '"{""batch"":""b1""}",'
        '"[{""model"":""m1"",""score"":0.9,""value"":{""sentiment"":""positive""}}]",'
        '"[{""annotator"":""ann@example.com"",""created_at"":""2026-01-02T04:00:00+00:00"",'
        '""value"":{""sentiment"":""positive""},""seconds"":3.5,""guideline_version"":1}]"\r\n'
        '8,,new,2026-01-02T03:04:06+00:00,"{""text"":""x""}",{},[],[]\r\n'
    )


def test_csv_writer_refuses_keys_outside_its_columns() -> None:
    """A record key that is not a column raises rather than being dropped."""
    writer = CsvWriter(io.BytesIO(), ("id", "payload"))
    with pytest.raises(ValueError) as err:
        writer.write({"id": 1, "payload": {}, "extra": 1, "more": True})
    assert str(err.value) == "record keys not in the CSV columns: ['extra', 'more']"


def test_parquet_writer_stores_json_columns_as_text_in_row_groups() -> None:
    """Records land in row groups of the batch size; JSON columns hold JSON text."""
    out = io.BytesIO()
    writer = ParquetWriter(out, COLUMNS, batch_size=2)
    for record in (RECORD, BARE, RECORD):
        writer.write(record)
    writer.close()
    assert not out.closed
    out.seek(0)
    parquet = pq.ParquetFile(out)
    assert parquet.metadata.num_row_groups == 2
    table = parquet.read()
    assert table.schema == pa.schema(
        [("id", pa.int64())] + [(name, pa.string()) for name in COLUMNS[1:]]
    )
    expected = {
        name: (
            json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            if name in {"payload", "metadata", "pre_annotations", "annotations"}
            else value
        )
        for name, value in RECORD.items()
    }
    bare = dict(
        expected,
        **{
            "id": 8,
            "external_id": None,
            "status": "new",
            "created_at": "2026-01-02T03:04:06+00:00",
            "payload": '{"text":"x"}',
            "metadata": "{}",
            "pre_annotations": "[]",
            "annotations": "[]",
        },
    )
    assert table.to_pylist() == [expected, bare, expected]


def test_empty_parquet_export_is_a_valid_file_with_the_schema() -> None:
    """Closing a writer that got no records still writes a readable, empty file."""
    out = io.BytesIO()
    ParquetWriter(out, ("id", "payload")).close()
    out.seek(0)
    table = pq.read_table(out)
    assert (table.num_rows, table.schema) == (
        0,
        pa.schema([("id", pa.int64()), ("payload", pa.string())]),
    )


def test_open_writer_picks_the_class_by_format() -> None:
    """Each format name gives its writer; an unknown one is a ValueError."""
    kinds = [
        type(open_writer(f, io.BytesIO(), COLUMNS)).__name__ for f in ("jsonl", "csv", "parquet")
    ]
    assert kinds == ["JsonlWriter", "CsvWriter", "ParquetWriter"]
    with pytest.raises(ValueError) as err:
        open_writer("xml", io.BytesIO(), COLUMNS)  # type: ignore[arg-type]
    assert str(err.value) == "unknown export format 'xml' (use jsonl, csv or parquet)"


def test_jsonl_writer_embeds_raw_json_verbatim() -> None:
    """RawJson values go into the line as they are (spacing kept), other values are encoded."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"id": 1, "payload": RawJson('{"a": [1, 2], "é": "ü"}'), "s": 'x"y'})
        writer.write({"metadata": RawJson("{}"), "n": None, "ok": True, "f": 0.5, "l": [1]})
    assert (
        out.getvalue()
        == (
            '{"id":1,"payload":{"a": [1, 2], "é": "ü"},"s":"x\\"y"}\n'
            '{"metadata":{},"n":null,"ok":true,"f":0.5,"l":[1]}\n'
        ).encode()
    )


def test_jsonl_writer_keeps_one_record_per_line_for_raw_json_with_line_breaks() -> None:
    """Raw JSON text holding line breaks (white space in JSON) is re-encoded compactly."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"id": 1, "payload": RawJson('{\n  "a": 1,\r\n  "b": "é"\n}')})
    assert out.getvalue() == '{"id":1,"payload":{"a":1,"b":"é"}}\n'.encode()


def test_jsonl_writer_escapes_unpaired_surrogates_next_to_raw_json() -> None:
    """A value with no UTF-8 form beside RawJson falls back to ASCII escapes, same values."""
    out = io.BytesIO()
    with JsonlWriter(out) as writer:
        writer.write({"payload": RawJson('{"t":"é"}'), "external_id": "a\ud800"})
    assert out.getvalue() == b'{"payload":{"t":"\\u00e9"},"external_id":"a\\ud800"}\n'
    assert json.loads(out.getvalue()) == {"payload": {"t": "é"}, "external_id": "a\ud800"}


def test_csv_and_parquet_writers_write_raw_json_as_the_cell_text() -> None:
    """RawJson becomes the cell text as it is, in JSON columns and others alike."""
    record = {"id": 3, "status": RawJson('"x"'), "payload": RawJson('{"a": "é"}')}
    csv_out = io.BytesIO()
    with CsvWriter(csv_out, ("id", "status", "payload")) as writer:
        writer.write(record)
    assert csv_out.getvalue().decode() == 'id,status,payload\r\n3,"""x""","{""a"": ""é""}"\r\n'
    parquet_out = io.BytesIO()
    with ParquetWriter(parquet_out, ("id", "status", "payload")) as writer:
        writer.write(record)
    parquet_out.seek(0)
    assert pq.read_table(parquet_out).to_pylist() == [
        {"id": 3, "status": '"x"', "payload": '{"a": "é"}'}
    ]


def test_json_object_text_refuses_nan_like_the_encoder() -> None:
    """NaN and infinities are not JSON, so composing them raises ValueError."""
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError):
            json_object_text({"score": bad})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), st.tuples(json_values, st.booleans()), max_size=5))
def test_composed_object_text_is_the_compact_encoding(fields: dict[str, Any]) -> None:
    """Composing plain and RawJson members gives exactly the compact encoding of the values."""
    plain = {key: value for key, (value, _) in fields.items()}
    mixed = {
        key: RawJson(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) if raw else value
        for key, (value, raw) in fields.items()
    }
    expected = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    assert json_object_text(mixed) == expected
    assert json_array_text([json_object_text(mixed)] * 2) == f"[{expected},{expected}]"
