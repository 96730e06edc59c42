"""MinHash/LSH near-duplicate texts, cross-checked against exact Jaccard similarity."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.pipelines import minhash

WORDS = st.lists(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota"])
)


def test_shingles_see_through_case_and_spacing() -> None:
    """Case and runs of whitespace do not change a text's shingles."""
    a = minhash.shingle_hashes("The  Quick\tbrown fox")
    b = minhash.shingle_hashes("the quick brown FOX")
    assert a.tolist() == b.tolist()
    assert len(a) == len(set(a.tolist())) == len("the quick brown fox") - 4


def test_short_and_empty_texts() -> None:
    """A text shorter than a shingle is one shingle; an empty one has none, and two empty
    texts count as identical."""
    assert len(minhash.shingle_hashes("ab")) == 1
    assert len(minhash.shingle_hashes("   ")) == 0
    assert minhash.exact_jaccard("", "") == 1.0
    assert minhash.exact_jaccard("", "abcdef") == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=6), st.integers(0, 5))
def test_identical_texts_always_cluster(texts: list[str], dup: int) -> None:
    """A text repeated verbatim is always in one cluster with its copy, at any threshold."""
    base = texts[dup % len(texts)]
    corpus = [*texts, base]
    sig = minhash.signatures(corpus)
    for threshold in (0.5, 0.9, 1.0):
        found = minhash.clusters(sig, threshold)
        holding = [c for c in found if len(corpus) - 1 in c]
        assert len(holding) == 1
        assert dup % len(texts) in holding[0] or any(
            corpus[i] == base for i in holding[0] if i != len(corpus) - 1
        )


@settings(max_examples=60, deadline=None)
@given(WORDS, WORDS, WORDS)
def test_estimate_is_close_to_exact(shared: list[str], left: list[str], right: list[str]) -> None:
    """The estimated Jaccard of 256-position signatures is within 0.2 (over 3 standard
    errors) of the exact Jaccard of the shingle sets."""
    a = " ".join(shared + left)
    b = " ".join(shared + right)
    sig = minhash.signatures([a, b], num_perm=256)
    estimate = minhash.estimated_jaccard(sig, np.array([0]), np.array([1]))[0]
    assert abs(estimate - minhash.exact_jaccard(a, b)) <= 0.2


def test_collision_probability_at_threshold() -> None:
    """The banding chosen for a threshold finds a pair at that similarity with at least
    99% probability, with as many rows per band as allows it."""
    for threshold in (0.5, 0.7, 0.85, 0.95):
        bands, rows = minhash.lsh_params(threshold)
        assert bands * rows <= minhash.NUM_PERM
        assert minhash.collision_probability(threshold, bands, rows) >= 0.99
        more = rows + 1
        assert minhash.collision_probability(threshold, minhash.NUM_PERM // more, more) < 0.99


def test_planted_near_duplicates_are_found() -> None:
    """Lightly edited copies cluster with their originals; unrelated texts stay apart."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(2000)]
    originals = [" ".join(rng.choice(vocab, 60)) for _ in range(200)]
    edited = [t.replace(t.split()[5], "changed", 1) for t in originals[:50]]
    sig = minhash.signatures(originals + edited)
    found = minhash.clusters(sig, 0.8)
    assert sorted(found) == sorted([[i, 200 + i] for i in range(50)])


def test_buckets_larger_than_the_pair_cap_still_join() -> None:
    """Two hundred copies of one text form one cluster even though their bucket is joined
    as a chain and a star rather than all pairs."""
    sig = minhash.signatures(["same words here"] * 200 + ["other"])
    assert minhash.clusters(sig, 0.9) == [list(range(200))]


def test_progress_reaches_the_total() -> None:
    """Signatures report progress up to the number of texts."""
    seen: list[tuple[int, int]] = []
    minhash.signatures(["a text"] * 3, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3, 3)
