"""A JSON array of row objects, read through the JSONL row path.

Each element's text is cut out of the array and handed on as one JSONL line (line breaks
between its tokens, the only place JSON allows them, become spaces), so an array and the
same rows as JSONL are decoded by the same code and get the same errors; an error's line
is the element's 1-based number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from labelworks.pipelines.jsonl_rows import json_error, jsonl_rows
from labelworks.pipelines.rows import ImportRow, RowChecker

# Finds where each element ends without judging it: NaN, unpaired surrogates and the like
# are left for the JSONL decoder to refuse with its own messages.
_scan: Any = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]
_SPACE = " \t\r\n"


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _elements(text: str, checker: RowChecker) -> Iterator[bytes]:
    at = _skip(text, 1 if text.startswith("\ufeff") else 0)
    if not text.startswith("[", at):
        checker.fail(None, f"{checker.source} is not a JSON array of row objects")
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        checker.fail(None, f"{checker.source} has no rows")
    number = 0
    while True:
        number += 1
        try:
            _, end = _scan(text, at)
        except StopIteration:
            checker.fail(number, f"invalid JSON: expecting a value at character {at + 1}")
        except (ValueError, RecursionError) as exc:
            checker.fail(number, f"invalid JSON: {json_error(exc)}")
        element = text[at:end]
        if "\n" in element or "\r" in element:
            element = element.replace("\r", " ").replace("\n", " ")
        yield element.encode("utf-8") + b"\n"
        at = _skip(text, end)
        if text.startswith("]", at):
            if _skip(text, at + 1) != len(text):
                checker.fail(number, "invalid JSON: extra data after the array")
            return
        if not text.startswith(",", at):
            checker.fail(number, f"invalid JSON: expecting ',' or ']' at character {at + 1}")
        at = _skip(text, at + 1)


class _Lines:
    """A read-only binary stream over generated JSONL lines (what ``jsonl_rows`` reads)."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            line = next(self._lines, None)
            if line is None:
                break
            self._buffer += line
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def json_array_rows(
    stream: BinaryIO, checker: RowChecker, max_row_bytes: int
) -> Iterator[ImportRow]:
    """Rows of a JSON array; see ``read_rows`` for the shapes and errors."""
    raw = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        checker.fail(None, f"{checker.source} is not UTF-8 (byte {exc.start}, line {line})")
    del raw
    lines = _Lines(_elements(text, checker))
    return jsonl_rows(lines, checker, max_row_bytes)  # type: ignore[arg-type]
