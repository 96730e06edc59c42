"""Exports re-import cleanly, content hashes survive every format, and reading is lazy."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelworks.formats import open_writer
from labelworks.pipelines.content_hash import canonical_json, content_hash
from labelworks.pipelines.history_rows import HistoryAnnotation
from labelworks.pipelines.rows import ImportRow, PreAnnotation, read_rows

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
FORMATS = ("jsonl", "csv", "parquet")
_AT = datetime(2026, 3, 1, 12, 5)


def _record(number: int, payload: dict[str, Any], **parts: Any) -> dict[str, Any]:
    """An export record as the services layer builds it."""
    record: dict[str, Any] = {
        "id": number,
        "external_id": None,
        "status": "complete",
        "created_at": "2026-03-01T12:00:00+00:00",
        "payload": payload,
        "metadata": {},
        "pre_annotations": [],
        "annotations": [
            {
                "annotator": "ann@example.com",
                "created_at": "2026-03-01T12:05:00+00:00",
                "value": {"sentiment": "negative"},
                "seconds": 4.25,
                "guideline_version": 2,
            }
        ],
    }
    record.update(parts)
    return record


def _export(fmt: str, records: list[dict[str, Any]]) -> io.BytesIO:
    out = io.BytesIO()
    writer = open_writer(fmt, out, COLUMNS)  # type: ignore[arg-type]
    for record in records:
        writer.write(record)
    writer.close()
    out.seek(0)
    return out


RECORDS = [
    _record(
        1,
        {"text": 'Great, but "loud",\nsaid 👍', "image": "s3://b/1.png", "n": [1, 2.5, None]},
        external_id="r1",
        metadata={"batch": 3, "tags": ["a"]},
        pre_annotations=[
            {"model": "clf-v2", "score": 0.75, "value": {"sentiment": "positive"}},
            {"model": "llm", "score": None, "value": {"sentiment": "neutral"}},
        ],
    ),
    _record(2, {"text": "plain"}),
    _record(3, {"other": {"nested": True}, "text": ""}, external_id="42"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_re_imports_with_the_same_rows(fmt: str) -> None:
    """Writing export records and reading them back gives the same items, in every format;
    JSONL also gives back each item's history (CSV and Parquet leave it out)."""
    rows = list(read_rows(_export(fmt, RECORDS), format=fmt, source=f"export.{fmt}"))  # type: ignore[arg-type]
    history = (
        (HistoryAnnotation("ann@example.com", {"sentiment": "negative"}, _AT, 4.25, 2),)
        if fmt == "jsonl"
        else ()
    )
    expected = [
        ImportRow(
            line=(number + 1 if fmt == "csv" else number),
            external_id=record["external_id"],
            payload=record["payload"],
            metadata=record["metadata"],
            pre_annotations=tuple(PreAnnotation(**p) for p in record["pre_annotations"]),
            content_hash=content_hash(record["payload"]),
            annotations=history,
        )
        for number, record in enumerate(RECORDS, start=1)
    ]
    # JSON text escapes newlines, so each CSV record is one physical line after the header.
    assert rows == expected


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
PAYLOADS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS, fmt=st.sampled_from(FORMATS))
def test_any_json_object_payload_survives_write_and_read(payload: dict[str, Any], fmt: str) -> None:
    """Any JSON-object payload comes back equal, with the hash of its canonical JSON."""
    stream = _export(fmt, [_record(1, payload)])
    rows = list(read_rows(stream, format=fmt, source="p", required_keys=list(payload)[:1]))  # type: ignore[arg-type]
    assert [(row.payload, row.content_hash) for row in rows] == [(payload, content_hash(payload))]
    assert canonical_json(rows[0].payload) == canonical_json(payload)


@settings(max_examples=60, deadline=None)
@given(payload=PAYLOADS)
def test_flat_jsonl_rows_hash_their_payload(payload: dict[str, Any]) -> None:
    """A flat JSONL line without reserved keys is its own payload, whatever its keys."""
    payload = {
        k: v for k, v in payload.items() if k not in ("external_id", "metadata", "pre_annotations")
    }
    if isinstance(payload.get("payload"), dict):
        payload["payload"] = [payload["payload"]]  # an object under "payload" means structured
    line = json.dumps(payload).encode() + b"\n"
    rows = list(read_rows(io.BytesIO(line), format="jsonl", source="p"))
    assert [(row.payload, row.content_hash) for row in rows] == [(payload, content_hash(payload))]


class _EndlessRows(io.RawIOBase):
    """A raw stream serving JSONL rows from a generator that never ends, one row per read."""

    def __init__(self) -> None:
        self._rows: Iterator[bytes] = (
            json.dumps({"text": f"row {n}", "external_id": f"e{n}"}).encode() + b"\n"
            for n in itertools.count(1)
        )
        self._pending = b""
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            self._pending = next(self._rows)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.served += size
        return size


def test_read_rows_is_lazy_on_an_endless_stream() -> None:
    """Taking ten rows of an endless stream reads exactly those ten rows' bytes."""
    stream = _EndlessRows()
    rows = read_rows(stream, format="jsonl", source="endless.jsonl")  # type: ignore[arg-type]
    first = list(itertools.islice(rows, 10))
    assert [(row.line, row.external_id, row.payload) for row in first] == [
        (n, f"e{n}", {"text": f"row {n}"}) for n in range(1, 11)
    ]
    ten_rows = sum(
        len(json.dumps({"text": f"row {n}", "external_id": f"e{n}"})) + 1 for n in range(1, 11)
    )
    assert stream.served == ten_rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_large_export_re_imports_across_write_blocks(fmt: str) -> None:
    """Thousands of records (several write blocks and row groups) come back in order."""
    records = [
        _record(n, {"text": f"item {n} " + "lorem ipsum " * 20}, external_id=f"x{n}")
        for n in range(1, 5001)
    ]
    rows = read_rows(_export(fmt, records), format=fmt, source="big")  # type: ignore[arg-type]
    assert [(row.external_id, row.content_hash) for row in rows] == [
        (record["external_id"], content_hash(record["payload"])) for record in records
    ]
