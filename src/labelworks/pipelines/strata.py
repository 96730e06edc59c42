"""How many items to draw from each stratum: proportional allocation by the largest
remainder (Hamilton's method), or equal allocation.

- **proportional**: stratum ``i`` of ``N_i`` items out of ``N`` has the quota
  ``n · N_i / N``; each gets the whole part of its quota, and the items left over go one
  each to the strata with the largest fractional parts (ties: the stratum named first).
  Allocations sum to ``n`` and each is within one of its quota.
- **equal**: every stratum gets the same number, a stratum smaller than that gives all it
  has, and what is left over goes one each to the larger strata by name. Allocations sum
  to ``n``; strata with items to spare differ by at most one.

Pure: counts in, counts out.
"""

from __future__ import annotations

from collections.abc import Mapping


def _check(sizes: Mapping[str, int], n: int) -> int:
    total = sum(sizes.values())
    if any(size < 0 for size in sizes.values()):
        raise ValueError("stratum sizes cannot be negative")
    if not 0 <= n <= total:
        raise ValueError(f"cannot draw {n:,} items from {total:,}")
    return total


def proportional(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Largest-remainder allocation of ``n`` over strata of the given sizes."""
    total = _check(sizes, n)
    if total == 0:
        return {name: 0 for name in sizes}
    whole = {name: n * size // total for name, size in sizes.items()}
    left = n - sum(whole.values())
    # Fractional part n*size/total - whole, compared exactly as (n*size) mod total.
    order = sorted(sizes, key=lambda name: (-(n * sizes[name] % total), name))
    for name in order[:left]:
        whole[name] += 1
    return whole


def equal(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """As even an allocation of ``n`` as the strata's sizes allow (water-filling: the
    highest level ``L`` with ``Σ min(N_i, L) <= n``, then one more each, by name, for
    strata larger than ``L`` until ``n`` is reached)."""
    _check(sizes, n)
    lo, hi = 0, max(sizes.values(), default=0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(size, mid) for size in sizes.values()) <= n:
            lo = mid
        else:
            hi = mid - 1
    out = {name: min(size, lo) for name, size in sizes.items()}
    left = n - sum(out.values())
    for name in sorted(name for name, size in sizes.items() if size > lo)[:left]:
        out[name] += 1
    return out
