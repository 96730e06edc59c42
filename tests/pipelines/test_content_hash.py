"""The content hash: canonical JSON and a digest that is stable across runs and formats."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.pipelines.content_hash import (
    canonical_json,
    compact_json,
    content_hash,
    fast_payload,
)

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


def test_known_digest_is_stable() -> None:
    """A fixed payload always hashes to the same hex digest (stored hashes stay valid)."""
    assert (
        content_hash({"text": "é", "n": [1, 2.5]})
        == hashlib.blake2b('{"n":[1,2.5],"text":"é"}'.encode(), digest_size=16).hexdigest()
    )
    assert content_hash({"text": "a"}) == "9d7c32a2ff32a96ccee78c01ea1f7ec2"


@settings(max_examples=100, deadline=None)
@given(value=VALUES)
def test_canonical_json_is_sorted_compact_json(value: Any) -> None:
    """The fast encoder writes exactly what json.dumps writes with the canonical options."""
    assert canonical_json(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@settings(max_examples=100, deadline=None)
@given(value=VALUES)
def test_compact_json_keeps_key_order(value: Any) -> None:
    """The storage encoder writes what json.dumps writes compactly, keys in their order."""
    assert compact_json(value) == json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_floats_have_no_hash(bad: float) -> None:
    """NaN and Infinity are not JSON, so hashing them raises ValueError."""
    with pytest.raises(ValueError) as err:
        content_hash({"x": [bad]})
    assert str(err.value) == "Out of range float values are not JSON compliant"


FLAT = st.dictionaries(
    st.text(max_size=5),
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    max_size=4,
)


def _reference_hash(payload: dict[str, Any]) -> str:
    """The content hash as first defined: blake2b-128 of json.dumps' canonical text."""
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@settings(max_examples=300, deadline=None)
@given(payload=FLAT)
def test_orjson_path_gives_the_stdlib_text_and_hash(payload: dict[str, Any]) -> None:
    """fast_payload returns exactly (compact_json, the original hash), or None to defer."""
    fast = fast_payload(payload)
    if fast is not None:
        assert fast == (compact_json(payload), _reference_hash(payload))


@settings(max_examples=100, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=4))
def test_orjson_path_takes_every_payload_of_strings(payload: dict[str, Any]) -> None:
    """Payloads of valid Unicode strings never need the stdlib path."""
    valid = all(not any(0xD800 <= ord(c) < 0xE000 for c in k + v) for k, v in payload.items())
    assert (fast_payload(payload) is not None) == valid
