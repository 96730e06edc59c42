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

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _make_fast_encoder() -> Callable[[Any], str]:
    """Build the encoder once: ``JSONEncoder.encode`` rebuilds its C encoder on every call.

    Falls back to the public API where CPython's C accelerator is missing.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:

        def portable(value: Any) -> str:
            """The canonical JSON text of a JSON value (sorted keys, no spaces)."""
            return _encoder.encode(value)

        return portable
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

    return canonical


canonical_json: Callable[[Any], str] = _make_fast_encoder()


def content_hash(payload: Any) -> str:
    """Hex blake2b-128 digest of the payload's canonical JSON.

    Raises ``ValueError`` for NaN or infinite floats and ``UnicodeEncodeError`` for unpaired
    surrogates: neither has a portable JSON form.
    """
    return blake2b(canonical_json(payload).encode("utf-8"), digest_size=16).hexdigest()
