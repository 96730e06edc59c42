"""JSON Lines export: one compact JSON object per line, UTF-8."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO

from labelworks.formats.json_text import json_line

# Lines are gathered and written in blocks so an unbuffered stream does not get one system
# call per record; the block stays small, so memory is constant.
_FLUSH_BYTES = 1 << 18


class JsonlWriter:
    """Streams records to ``stream`` as JSON Lines; ``close()`` flushes but leaves it open."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record (keys keep their order)."""
        line = json_line(dict(record) if not isinstance(record, dict) else record)
        self._pending.append(line)
        self._size += len(line)
        if self._size >= _FLUSH_BYTES:
            self._flush()

    def close(self) -> None:
        """Write what is pending and flush the stream; the caller still owns (and closes) it."""
        self._flush()
        self._stream.flush()

    def _flush(self) -> None:
        if self._pending:
            self._stream.write(b"".join(self._pending))
            self._pending.clear()
            self._size = 0

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
