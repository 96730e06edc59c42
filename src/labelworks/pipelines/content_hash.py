"""The content hash that deduplicates items: blake2b-128 of the payload's canonical JSON.

Canonical JSON is ``json.dumps(payload, sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`` encoded as UTF-8. It depends only on the payload's
JSON value, so the same payload hashes the same whichever file format brought it in.
Note that JSON keeps ``1`` and ``1.0`` apart, and CSV cells are always strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from hashlib import blake2b
from typing import Any

import orjson

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _make_fast_encoders() -> tuple[Callable[[Any], str], Callable[[dict[str, Any]], str]]:
    """Build the encoder once: ``JSONEncoder.encode`` rebuilds its C encoder on every call.

    Falls back to the public API where CPython's C accelerator is missing.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:

        def portable(value: Any) -> str:
            """The canonical JSON text of a JSON value (sorted keys, no spaces)."""
            return _encoder.encode(value)

        def portable_hash(payload: dict[str, Any]) -> str:
            """The content hash of a payload object."""
            return blake2b(portable(payload).encode("utf-8"), digest_size=16).hexdigest()

        return portable, portable_hash
    encode = make(
        None,
        _encoder.default,
        json.encoder.encode_basestring,
        None,
        ":",
        ",",
        True,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan
    )

    def canonical(value: Any) -> str:
        """The canonical JSON text of a JSON value (sorted keys, no spaces)."""
        if type(value) is not dict:  # the C encoder only handles containers at the top
            return _encoder.encode(value)
        return "".join(encode(value, 0))

    join = "".join

    def fast_hash(payload: dict[str, Any]) -> str:
        """The content hash of a payload object (one call per row on the import path)."""
        return blake2b(join(encode(payload, 0)).encode("utf-8"), digest_size=16).hexdigest()

    return canonical, fast_hash


canonical_json, hash_payload = _make_fast_encoders()


def _make_compact_encoder() -> Callable[[Any], str]:
    """Compact JSON that keeps key order (what people wrote is how they see it again)."""
    plain = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return plain.encode
    encode = make(
        None, plain.default, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )

    def compact(value: Any) -> str:
        if type(value) is not dict:
            return plain.encode(value)
        return "".join(encode(value, 0))

    return compact


compact_json = _make_compact_encoder()


def content_hash(payload: dict[str, Any]) -> str:
    """Hex blake2b-128 digest of the payload's canonical JSON.

    Raises ``ValueError`` for NaN or infinite floats and ``UnicodeEncodeError`` for unpaired
    surrogates: neither has a portable JSON form.
    """
    return hash_payload(payload)


_SIMPLE = frozenset({str, int, bool, type(None)})
_dumps = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS


def fast_payload(payload: dict[str, Any]) -> tuple[str, str] | None:
    """``(compact_json(payload), content_hash(payload))`` through orjson, when that is exact.

    orjson writes strings, integers, booleans and null byte for byte as the stdlib encoders
    do (same escapes, keys sorted by code point), but not floats (``1e+16`` vs ``1e16``), so
    only payloads whose values are all of those scalar types qualify. Returns ``None`` for
    any other payload, and where orjson refuses (unpaired surrogates, integers beyond 64
    bits): the caller then takes the stdlib path, which gives the exact error.
    """
    for value in payload.values():
        if type(value) not in _SIMPLE:
            return None
    try:
        compact = _dumps(payload)
        canonical = compact if len(payload) < 2 else _dumps(payload, option=_SORTED)
    except TypeError:
        return None
    return compact.decode(), blake2b(canonical, digest_size=16).hexdigest()
