"""JSONL import rows: the hot path of a large import, one JSON object per line.

Plain flat rows (a payload with maybe an external id) are decoded with orjson and handled
inline in the loop; any other row goes through the stdlib decoder, and rows with more parts
through ``RowChecker.from_object``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import orjson

from labelworks.domain.json_value import decode_failure
from labelworks.formats.lines import iter_line_batches
from labelworks.pipelines.content_hash import fast_payload
from labelworks.pipelines.rows import ImportRow, PreAnnotation, RowChecker, kind_of


def _make_row_factory() -> Callable[
    [
        int,
        str | None,
        dict[str, Any],
        dict[str, Any],
        tuple[PreAnnotation, ...],
        str,
        str | None,
    ],
    ImportRow,
]:
    """A constructor for ``ImportRow`` that fills the slots directly.

    The frozen dataclass ``__init__`` goes through ``object.__setattr__`` for each field,
    which costs about a tenth of the per-row time of a plain JSONL import; the rows it
    builds are ordinary (equal to, and indistinguishable from, ``ImportRow(...)``).
    """
    new = object.__new__
    slots = ImportRow.__dict__
    (
        set_line,
        set_id,
        set_payload,
        set_meta,
        set_pre,
        set_hash,
        set_json,
        set_gold,
        set_why,
        set_history,
        set_predictions,
    ) = (
        slots[name].__set__
        for name in (
            "line",
            "external_id",
            "payload",
            "metadata",
            "pre_annotations",
            "content_hash",
            "payload_json",
            "gold",
            "gold_explanation",
            "annotations",
            "predictions",
        )
    )

    def make(
        line: int,
        external_id: str | None,
        payload: dict[str, Any],
        metadata: dict[str, Any],
        pre_annotations: tuple[PreAnnotation, ...],
        content_hash: str,
        payload_json: str | None,
    ) -> ImportRow:
        row = new(ImportRow)
        set_line(row, line)
        set_id(row, external_id)
        set_payload(row, payload)
        set_meta(row, metadata)
        set_pre(row, pre_annotations)
        set_hash(row, content_hash)
        set_json(row, payload_json)
        set_gold(row, None)
        set_why(row, "")
        set_history(row, ())
        set_predictions(row, ())
        return row

    return make


new_row = _make_row_factory()


# Keys that send a row through ``RowChecker.from_object`` (a flat row without them is its
# own payload, apart from ``external_id``).
_FLAT_ONLY = frozenset(
    {
        "payload",
        "metadata",
        "pre_annotations",
        "predictions",
        "gold",
        "gold_explanation",
        "annotations",
    }
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)
decode_json: Callable[[str], Any] = _decoder.decode
# The scanner alone skips decode()'s two whitespace regexes; rows that it cannot take
# whole (leading spaces, errors) go through decode() for the exact error.
_scan_once: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]


def json_error(exc: ValueError | RecursionError) -> str:
    """A short description of a JSON syntax error, with its column when known."""
    if isinstance(exc, json.JSONDecodeError):
        # Some messages already end in "at" ("Unterminated string starting at").
        joiner = " " if exc.msg.endswith(" at") else " at "
        return f"{exc.msg}{joiner}column {exc.colno}"
    return decode_failure(exc)


def jsonl_rows(stream: BinaryIO, checker: RowChecker, max_row_bytes: int) -> Iterator[ImportRow]:
    """Rows of a JSONL stream; see ``read_rows`` for the shapes and errors."""
    source = checker.source
    required = checker.required
    loads = orjson.loads
    fast = fast_payload
    make_row = new_row
    rows = 0
    for first, lines in iter_line_batches(stream, source=source, max_row_bytes=max_row_bytes):
        line = first - 1
        for text in lines:
            line += 1
            # The common row (a flat payload of strings, numbers without fractions, booleans
            # or nulls, maybe a string id) is decoded and encoded by orjson, inline: at a
            # million rows every call shows in the import rate. Anything else, including
            # every row orjson refuses, is decoded again by the stdlib path below, which
            # owns what is accepted and the error messages.
            try:
                obj = loads(text)
            except orjson.JSONDecodeError:
                pass
            else:
                if (
                    type(obj) is dict
                    and "payload" not in obj
                    and "metadata" not in obj
                    and "pre_annotations" not in obj
                    and "predictions" not in obj
                    and "gold" not in obj
                    and "gold_explanation" not in obj
                    and "annotations" not in obj
                ):
                    external_id = obj.pop("external_id", None)
                    if external_id is None or (type(external_id) is str and external_id):
                        for key in required:
                            if key not in obj:
                                break
                        else:
                            parts = fast(obj)
                            if parts is not None:
                                rows += 1
                                yield make_row(line, external_id, obj, {}, (), parts[1], parts[0])
                                continue
            row = _stdlib_row(text, line, checker)
            if row is not None:
                rows += 1
                yield row
    if not rows:
        checker.fail(None, f"{source} has no rows")


def _stdlib_row(text: str, line: int, checker: RowChecker) -> ImportRow | None:
    """One line through the stdlib decoder and the full checks; ``None`` for a blank line."""
    try:
        obj, end = _scan_once(text, 0)
        if end != len(text) and not text[end:].isspace():
            obj = decode_json(text)  # raises the "Extra data" error
    except (ValueError, StopIteration, RecursionError):
        if not text.strip():
            return None  # blank lines (e.g. a trailing one) are not rows
        try:
            obj = decode_json(text)
        except (ValueError, RecursionError) as exc:
            checker.fail(line, f"invalid JSON: {json_error(exc)}")
    if type(obj) is not dict:
        checker.fail(line, f"row is a JSON {kind_of(obj)}, not an object")
    if not _FLAT_ONLY.isdisjoint(obj):
        return checker.from_object(obj, line)
    # A flat row is its own payload: the same checks as any row, without metadata.
    return checker.build(line, obj.pop("external_id", None), obj, None, None)
