"""JSON text for export files: compact, UTF-8, and always encodable.

Payloads are untrusted and may hold unpaired surrogates (JSON allows ``"\\ud800"``), which
have no UTF-8 form; those values are written with ASCII escapes instead, which read back
to the same value.
"""

from __future__ import annotations

import json
from typing import Any

_plain = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)

# Export columns whose values are JSON documents rather than scalars.
JSON_COLUMNS = frozenset({"payload", "metadata", "pre_annotations", "annotations"})


def json_text(value: Any) -> str:
    """Compact JSON text of ``value`` that is guaranteed to encode as UTF-8."""
    text = _plain.encode(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii.encode(value)
    return text


def json_line(value: Any) -> bytes:
    """One JSONL line (UTF-8 bytes ending in a newline) for ``value``."""
    text = _plain.encode(value)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (_ascii.encode(value) + "\n").encode("utf-8")
