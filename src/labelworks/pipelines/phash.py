"""Near-duplicate images: a 64-bit perceptual hash (DCT pHash) and clusters of hashes
within a Hamming distance, found by multi-index hashing rather than comparing every pair.

- **pHash** (the same steps as the ``imagehash`` package's ``phash``): the image in
  grey, resized to 32x32 (Lanczos), its 2-D DCT-II; the 8x8 lowest frequencies are
  compared with their median, giving 64 bits, written as 16 hex digits (first row first,
  most significant bit first).
- **Search**: the 64 bits are cut into ``m`` chunks; two hashes within distance ``k`` have
  at least one chunk within ``k // m`` of each other (pigeonhole). For each chunk every
  hash is looked up, after flipping up to ``k // m`` of the chunk's bits, among the sorted
  chunk values; the candidates are verified by their full Hamming distance. ``m`` is
  chosen for the collection's size to keep both the probes and the candidates few.

Pure: works on an already opened Pillow image and on integers; reading files is the
caller's.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy.fft import dct

from labelworks.pipelines.clusters import components, unique_pairs

BITS = 64


def phash(image: Image.Image) -> int:
    """The 64-bit DCT perceptual hash of the image."""
    grey = image.convert("L").resize((32, 32), Image.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    freq = dct(dct(pixels, axis=0), axis=1)[:8, :8]
    bits = (freq > np.median(freq)).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def to_hex(value: int) -> str:
    """The hash as 16 lower-case hex digits."""
    return f"{value:016x}"


def from_hex(text: str) -> int:
    """A hash from its 16 hex digits; ``ValueError`` for anything else."""
    if len(text) != 16 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"a perceptual hash is 16 hex digits, not '{text[:40]}'")
    return int(text, 16)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _chunk_bounds(m: int) -> list[tuple[int, int]]:
    """(shift, width) of ``m`` chunks covering the 64 bits, as even as may be."""
    widths = [BITS // m + (1 if i < BITS % m else 0) for i in range(m)]
    bounds, shift = [], 0
    for w in widths:
        bounds.append((shift, w))
        shift += w
    return bounds


def _masks(width: int, radius: int) -> NDArray[np.uint64]:
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(width), r):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.uint64)


def chunks_for(n: int, k: int) -> int:
    """The number of chunks that minimises probes plus expected candidates for ``n``
    uniformly spread hashes and distance ``k``."""
    best: tuple[float, int] | None = None
    for m in range(1, min(k + 1, 16) + 1):
        probes = 0.0
        collide = 0.0
        for _, width in _chunk_bounds(m):
            masks = sum(comb(width, r) for r in range(k // m + 1))
            probes += n * masks
            collide += n * n * masks / 2.0**width
        cost = probes + collide
        if best is None or cost < best[0]:
            best = (cost, m)
    assert best is not None
    return best[1]


def pairs_within(
    hashes: NDArray[np.uint64], k: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Every pair of positions whose hashes differ in at most ``k`` bits, with the distance."""
    if not 0 <= k < BITS:
        raise ValueError(f"the distance must be between 0 and {BITS - 1}")
    n = len(hashes)
    if n < 2:  # no pair; and the chunk search below would probe every mask of one chunk
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    m = chunks_for(n, k)
    lefts: list[NDArray[np.int64]] = []
    rights: list[NDArray[np.int64]] = []
    for shift, width in _chunk_bounds(m):
        values = (hashes >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(values, kind="stable").astype(np.int64)
        ordered = values[order]
        for mask in _masks(width, k // m):
            probe = values ^ mask
            lo = np.searchsorted(ordered, probe, side="left")
            hi = np.searchsorted(ordered, probe, side="right")
            counts = hi - lo
            if not counts.any():
                continue
            who = np.repeat(np.arange(n, dtype=np.int64), counts)
            starts = np.repeat(lo - np.cumsum(np.r_[0, counts[:-1]]), counts)
            found = order[np.arange(len(who)) + starts]
            lefts.append(who)
            rights.append(found)
    if not lefts:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    left, right = unique_pairs(np.concatenate(lefts), np.concatenate(rights))
    distance = np.bitwise_count(hashes[left] ^ hashes[right]).astype(np.int64)
    keep = distance <= k
    return left[keep], right[keep], distance[keep]


def clusters(hashes: NDArray[np.uint64], k: int) -> list[list[int]]:
    """Clusters (positions) of images joined by hashes at most ``k`` bits apart."""
    left, right, _ = pairs_within(hashes, k)
    return components(len(hashes), left, right)


def distance_for(threshold: float) -> int:
    """The Hamming distance a similarity threshold allows: ``floor((1 - t) * 64)``."""
    return int(np.floor((1.0 - threshold) * BITS + 1e-9))
