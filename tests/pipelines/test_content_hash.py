"""The content hash: canonical JSON and a digest that is stable across runs and formats."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.pipelines.content_hash import canonical_json, compact_json, content_hash

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
