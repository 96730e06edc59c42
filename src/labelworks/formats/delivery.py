"""The label files of a delivery: one row per item, as JSONL and as Parquet (pyarrow).

Each row holds ``LABEL_COLUMNS``: the item's id and external id, its payload, the final
label (``final``, with its ``method`` and ``confidence``; ``null`` until the item is
decided), the final-label ``status`` and the ids of the annotations it was decided from.
JSONL writes ``payload`` and ``final`` as JSON objects (UTF-8, one record a line: U+2028 and
U+2029 escaped); Parquet as JSON text (payloads differ in shape from item to item, so one
schema holds them all, as in exports), with ``annotation_ids`` a list of int64 and
``confidence`` a float64.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, BinaryIO

LABEL_COLUMNS = (
    "item_id",
    "external_id",
    "payload",
    "final",
    "method",
    "confidence",
    "status",
    "annotation_ids",
)
_JSON_TEXT_COLUMNS = ("payload", "final")
DEFAULT_BATCH = 10_000


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class JsonlLabels:
    """Writes label rows as JSON lines to ``stream`` (left open)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, row: Mapping[str, Any]) -> None:
        record = {name: row.get(name) for name in LABEL_COLUMNS}
        # U+2028 and U+2029 end a line for some readers (str.splitlines, JavaScript):
        # escaped, one record stays one line whatever reads it.
        text = _json(record).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        self._stream.write((text + "\n").encode("utf-8"))

    def close(self) -> None:
        self._stream.flush()


class ParquetLabels:
    """Buffers label rows and writes them as Parquet row groups of ``batch_size``;
    ``close`` writes the footer (no rows: a valid file with the schema)."""

    def __init__(self, stream: BinaryIO, *, batch_size: int = DEFAULT_BATCH) -> None:
        # Imported here so that loading labelworks (e.g. for the CLI) does not load pyarrow.
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self._schema = pa.schema(
            [
                ("item_id", pa.int64()),
                ("external_id", pa.string()),
                ("payload", pa.string()),
                ("final", pa.string()),
                ("method", pa.string()),
                ("confidence", pa.float64()),
                ("status", pa.string()),
                ("annotation_ids", pa.list_(pa.int64())),
            ]
        )
        self._writer = pq.ParquetWriter(stream, self._schema)
        self._batch_size = batch_size
        self._pending: dict[str, list[Any]] = {name: [] for name in LABEL_COLUMNS}
        self._count = 0

    def write(self, row: Mapping[str, Any]) -> None:
        for name, values in self._pending.items():
            value = row.get(name)
            if name in _JSON_TEXT_COLUMNS and value is not None:
                value = _json(value)
            values.append(value)
        self._count += 1
        if self._count >= self._batch_size:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def _flush(self) -> None:
        if self._count:
            batch = self._pa.RecordBatch.from_pydict(self._pending, schema=self._schema)
            self._writer.write_batch(batch)
            for values in self._pending.values():
                values.clear()
            self._count = 0


def parquet_row_as_jsonl(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row read back from the Parquet file in the JSONL file's form (JSON text decoded)."""
    return {
        name: json.loads(row[name])
        if name in _JSON_TEXT_COLUMNS and row.get(name) is not None
        else row.get(name)
        for name in LABEL_COLUMNS
    }
