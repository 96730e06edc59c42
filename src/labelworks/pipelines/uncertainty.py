"""How unsure a model is about an item, from the scores of its predictions.

An item's scores are those of its pre-annotations (one per predicted value). One score
``p`` is read as a two-way prediction ``[p, 1 - p]``; several are normalised to sum to
one. Higher means less sure:

- **least** (least confident): ``1 - max(p)``;
- **margin**: ``1 - (p1 - p2)``, the two largest;
- **entropy**: ``-Σ p ln p`` (natural log).

Scores must be finite and within [0, 1]. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MEASURES = ("least", "margin", "entropy")


def distribution(scores: Sequence[float]) -> list[float]:
    """The scores as a probability distribution (see the module's note)."""
    if not scores:
        raise ValueError("no scores")
    for s in scores:
        if not math.isfinite(s) or not 0.0 <= s <= 1.0:
            raise ValueError(f"a score must be a number from 0 to 1, not {s!r}")
    if len(scores) == 1:
        return [scores[0], 1.0 - scores[0]]
    total = sum(scores)
    if total == 0:
        return [1.0 / len(scores)] * len(scores)
    return [s / total for s in scores]


def uncertainty(scores: Sequence[float], measure: str) -> float:
    """The item's uncertainty by ``measure`` (``least``, ``margin`` or ``entropy``)."""
    p = sorted(distribution(scores), reverse=True)
    if measure == "least":
        return 1.0 - p[0]
    if measure == "margin":
        return 1.0 - (p[0] - p[1])
    if measure == "entropy":
        return -sum(q * math.log(q) for q in p if q > 0)
    raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not '{measure}'")
