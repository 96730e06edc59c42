"""Perceptual hashes (checked against the imagehash package) and Hamming clustering
(checked against comparing every pair)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from labelworks.pipelines import phash


def _image(seed: int, size: tuple[int, int] = (48, 40)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray((rng.random((size[1], size[0], 3)) * 255).astype("uint8"))


def test_phash_matches_imagehash() -> None:
    """Our pHash equals imagehash.phash on random and smooth images."""
    imagehash = pytest.importorskip("imagehash")
    for seed in range(30):
        image = _image(seed, (30 + seed, 70 - seed))
        assert phash.to_hex(phash.phash(image)) == str(imagehash.phash(image))
    gradient = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (64, 1)))
    assert phash.to_hex(phash.phash(gradient)) == str(imagehash.phash(gradient))


def test_resized_copy_is_near() -> None:
    """A resized, recompressed copy stays within a few bits of the original."""
    base = _image(1, (200, 160)).resize((64, 64)).resize((200, 160))
    copy = base.resize((120, 96))
    assert phash.hamming(phash.phash(base), phash.phash(copy)) <= 6


def test_hex_round_trip_and_refusals() -> None:
    """Hashes read back from their 16 hex digits; anything else is refused."""
    assert phash.from_hex(phash.to_hex(2**64 - 1)) == 2**64 - 1
    assert phash.to_hex(5) == "0000000000000005"
    for bad in ("", "xyz", "0" * 15, "g" * 16, "0" * 17):
        with pytest.raises(ValueError):
            phash.from_hex(bad)


def _brute(hashes: list[int], k: int) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
        if (hashes[i] ^ hashes[j]).bit_count() <= k
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=30),
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 2**64 - 1)), max_size=20),
    st.integers(0, 20),
)
def test_pairs_match_brute_force(base: list[int], noise: list[tuple[int, int]], k: int) -> None:
    """Multi-index search finds exactly the pairs a comparison of every pair finds."""
    hashes = list(base)
    for i, flips in noise:  # near copies: a few bits of an existing hash flipped
        bits = [b for b in range(64) if flips >> b & 1][: (flips % 12)]
        hashes.append(hashes[i % len(hashes)] ^ sum(1 << b for b in bits))
    left, right, dist = phash.pairs_within(np.array(hashes, dtype=np.uint64), k)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == _brute(hashes, k)
    assert dist.tolist() == [(hashes[i] ^ hashes[j]).bit_count() for i, j in _brute(hashes, k)]


def test_clusters_and_distance_for() -> None:
    """Clusters join hashes transitively; a similarity threshold maps to a distance."""
    top = 0xFF << 56
    hashes = np.array([0, 0b11, 0b1111, top, top | 1], dtype=np.uint64)
    assert phash.clusters(hashes, 2) == [[0, 1, 2], [3, 4]]
    assert phash.clusters(hashes, 0) == []
    assert [phash.distance_for(t) for t in (1.0, 0.9, 0.85, 0.5)] == [0, 6, 9, 32]


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_hashes_have_no_pairs_at_any_distance(n: int) -> None:
    """No hash or one: no pair, at once, even at the widest distance (the chunked search
    would otherwise probe every mask of one 64-bit chunk)."""
    found = phash.pairs_within(np.arange(n, dtype=np.uint64), 63)
    assert [a.tolist() for a in found] == [[], [], []]
