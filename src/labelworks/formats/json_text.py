"""JSON text for export files: compact, UTF-8, and always encodable.

Payloads are untrusted and may hold unpaired surrogates (JSON allows ``"\\ud800"``), which
have no UTF-8 form; those values are written with ASCII escapes instead, which read back
to the same value.

Exports hand stored JSON text through as ``RawJson`` instead of decoding it only to encode
it again (that round trip was ~40% of an export's time); ``json_object_text`` and
``json_array_text`` compose records around such text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from json.encoder import encode_basestring  # the C encoder that keeps non-ASCII as is
from typing import Any


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2026-03-01T12:00:00.184345Z`` (no fraction when it is 0).

    A naive ``moment`` is taken as UTC (storage keeps naive UTC); an aware one is converted.
    It is the text the API's pydantic models write, so exports and the API agree.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"


def _timestamp(value: Any) -> str:
    # The encoders' fallback: a datetime anywhere in a record becomes its UTC text.
    if isinstance(value, datetime):
        return utc_text(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_plain = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_timestamp
)
_ascii = json.JSONEncoder(
    ensure_ascii=True, separators=(",", ":"), allow_nan=False, default=_timestamp
)

# Export columns whose values are JSON documents rather than scalars.
JSON_COLUMNS = frozenset({"payload", "metadata", "pre_annotations", "annotations", "final"})
# Export columns holding a moment: UTC text in JSONL and CSV, a UTC timestamp in Parquet.
TIMESTAMP_COLUMNS = frozenset({"created_at", "updated_at"})


class RawJson(str):
    """JSON text already encoded (say as stored), which writers embed verbatim.

    It must be valid JSON of Unicode text, as read from the database (which cannot hold
    unpaired surrogates). A JSONL line re-encodes a document that holds a line break (JSON
    allows it as white space) so that one record stays one line.
    """

    __slots__ = ()


def json_text(value: Any) -> str:
    """Compact JSON text of ``value`` that is guaranteed to encode as UTF-8.

    ``RawJson`` is returned as it is.
    """
    if type(value) is RawJson:
        return value
    text = _plain.encode(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii.encode(value)
    return text


def json_line(value: Any) -> bytes:
    """One JSONL line (UTF-8 bytes ending in a newline) for ``value``.

    ``RawJson`` values of a top-level object are embedded as they are.
    """
    if isinstance(value, dict) and any(type(v) is RawJson for v in value.values()):
        text: str = json_object_text(value)
    else:
        text = _plain.encode(value)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (_ascii.encode(_decoded(value)) + "\n").encode("utf-8")


def json_object_text(fields: Mapping[str, Any]) -> RawJson:
    """Compact JSON text of an object, embedding ``RawJson`` values verbatim (keys in order)."""
    return RawJson(
        "{" + ",".join(f"{encode_basestring(k)}:{_member(v)}" for k, v in fields.items()) + "}"
    )


def json_array_text(elements: Iterable[str]) -> RawJson:
    """Compact JSON text of an array whose elements are already JSON text."""
    return RawJson("[" + ",".join(elements) + "]")


def _member(value: Any) -> str:
    # The common scalar types are written directly: one encoder call per value costs more
    # than the value itself.
    kind = type(value)
    if kind is RawJson:
        if "\n" in value or "\r" in value:
            return str(_plain.encode(json.loads(value)))
        return str(value)
    if kind is str:
        return str(encode_basestring(value))
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is datetime:
        return f'"{utc_text(value)}"'
    return str(_plain.encode(value))


def _decoded(value: Any) -> Any:
    """``value`` with its ``RawJson`` parts decoded (the slow path for unpaired surrogates)."""
    if type(value) is RawJson:
        return json.loads(value)
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    return value
