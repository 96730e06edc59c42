"""Near-duplicate texts: MinHash signatures over character shingles, LSH banding for
candidate pairs, each candidate verified by its estimated Jaccard similarity.

- **Shingles**: a text is case-folded and its runs of whitespace become one space; its
  shingles are the overlapping ``k``-character substrings (``k`` = 5 by default), hashed
  to 32 bits by a polynomial hash over code points. A text shorter than ``k`` is one
  shingle; an empty text has none (two empty texts count as identical). Character shingles
  see through small edits, punctuation and re-tokenisation, and need no language rules.
- **Signature**: for each of ``num_perm`` hash functions ``h(x) = (a·x + b) >> 32`` (a,
  b random 64-bit, from ``seed``) the smallest value over the text's shingles. The share of
  positions where two signatures agree estimates the Jaccard similarity of their shingle
  sets (standard error ``sqrt(J(1-J)/num_perm)``).
- **LSH**: the signature is cut into ``bands`` of ``rows``; texts that agree on a whole
  band become candidates. ``bands`` and ``rows`` are chosen for the threshold so that a
  pair at the threshold is found with high probability (see ``lsh_params``). Identical
  texts agree on every band, so they always become candidates.
- **Verification**: a candidate is kept when its estimated Jaccard is at least the
  threshold; clusters are the connected components of kept pairs (``clusters``).

Pure: numpy only, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from labelworks.pipelines.clusters import components, unique_pairs

SHINGLE = 5
NUM_PERM = 128
EMPTY = np.uint32(0xFFFFFFFF)
_BASE = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_CHUNK = 1 << 15  # shingles hashed at a time: 32k x 128 x 8 bytes = 32 MB
# A bucket larger than this (many texts sharing a band) is joined as a chain and a star
# around its first member instead of every pair, which keeps the work linear.
BUCKET_PAIRS = 64
RECALL_AT_THRESHOLD = 0.99

Progress = Callable[[int, int], None]


def normalize(text: str) -> str:
    """Case-folded, whitespace runs as one space, trimmed."""
    return " ".join(text.casefold().split())


def shingle_hashes(text: str, k: int = SHINGLE) -> NDArray[np.uint32]:
    """The distinct 32-bit hashes of the normalised text's ``k``-character shingles."""
    codes = np.frombuffer(normalize(text).encode("utf-32-le"), dtype=np.uint32)
    if len(codes) == 0:
        return np.empty(0, np.uint32)
    width = min(k, len(codes))
    wide = codes.astype(np.uint64)
    count = len(codes) - width + 1
    h = np.zeros(count, np.uint64)
    for j in range(width):
        h = h * _BASE + wide[j : j + count]
    h ^= h >> np.uint64(33)
    h *= _MIX
    h ^= h >> np.uint64(29)
    return np.unique((h & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def _coefficients(num_perm: int, seed: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def signatures(
    texts: Sequence[str],
    *,
    num_perm: int = NUM_PERM,
    k: int = SHINGLE,
    seed: int = 1,
    progress: Progress | None = None,
) -> NDArray[np.uint32]:
    """The MinHash signature of each text, as rows of an ``(n, num_perm)`` array."""
    a, b = _coefficients(num_perm, seed)
    out = np.full((len(texts), num_perm), EMPTY, np.uint32)
    start = 0
    while start < len(texts):
        rows: list[int] = []
        parts: list[NDArray[np.uint32]] = []
        size = 0
        stop = start
        while stop < len(texts) and (size < _CHUNK or not parts):
            hashes = shingle_hashes(texts[stop], k)
            if len(hashes):
                rows.append(stop)
                parts.append(hashes)
                size += len(hashes)
            stop += 1
        if parts:
            x = np.concatenate(parts).astype(np.uint64)
            hashed = ((x[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)).astype(np.uint32)
            offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
            out[rows] = np.minimum.reduceat(hashed, offsets, axis=0)
        start = stop
        if progress is not None:
            progress(start, len(texts))
    return out


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    """The chance that a pair of that Jaccard similarity agrees on at least one band."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def lsh_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows): the most rows per band (the fewest candidates below the threshold)
    for which a pair exactly at the threshold still collides with probability >= 0.99;
    candidates are verified, so a missed pair costs more than a checked one."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    chosen = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if collision_probability(threshold, bands, rows) >= RECALL_AT_THRESHOLD:
            chosen = (bands, rows)
    return chosen


def _band_keys(sig: NDArray[np.uint32], band: int, rows: int) -> NDArray[np.uint64]:
    key = np.zeros(len(sig), np.uint64)
    for col in range(band * rows, (band + 1) * rows):
        key = (key * _BASE) ^ sig[:, col].astype(np.uint64)
    return key


def candidate_pairs(
    sig: NDArray[np.uint32], bands: int, rows: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs of rows that agree on at least one band, each once as (smaller, larger)."""
    lefts: list[NDArray[np.int64]] = []
    rights: list[NDArray[np.int64]] = []
    for band in range(bands):
        keys = _band_keys(sig, band, rows)
        order = np.argsort(keys, kind="stable").astype(np.int64)
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        for s, m in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            members = order[s : s + m]
            if m <= BUCKET_PAIRS:
                i, j = np.triu_indices(m, 1)
                lefts.append(members[i])
                rights.append(members[j])
            else:
                lefts += [members[:-1], np.full(m - 1, members[0])]
                rights += [members[1:], members[1:]]
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return unique_pairs(np.concatenate(lefts), np.concatenate(rights))


def estimated_jaccard(
    sig: NDArray[np.uint32], left: NDArray[np.int64], right: NDArray[np.int64]
) -> NDArray[np.float64]:
    """The share of signature positions where each pair agrees."""
    out = np.empty(len(left), np.float64)
    step = 1 << 14
    for s in range(0, len(left), step):
        out[s : s + step] = (sig[left[s : s + step]] == sig[right[s : s + step]]).mean(axis=1)
    return out


def exact_jaccard(a: str, b: str, k: int = SHINGLE) -> float:
    """The Jaccard similarity of the two texts' shingle sets (1.0 for two empty texts)."""
    sa, sb = set(shingle_hashes(a, k).tolist()), set(shingle_hashes(b, k).tolist())
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def similar_pairs(
    sig: NDArray[np.uint32], threshold: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Candidate pairs whose estimated Jaccard reaches ``threshold``, with the estimate."""
    bands, rows = lsh_params(threshold, sig.shape[1])
    left, right = candidate_pairs(sig, bands, rows)
    score = estimated_jaccard(sig, left, right)
    keep = score >= threshold - 1e-12
    return left[keep], right[keep], score[keep]


def clusters(sig: NDArray[np.uint32], threshold: float) -> list[list[int]]:
    """Clusters (row positions) of texts joined by pairs at or above ``threshold``."""
    left, right, _ = similar_pairs(sig, threshold)
    return components(len(sig), left, right)
