"""Agreement weights: how much credit two categories get for a near miss.

Weights follow Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., ch. 3, and are
computed on the *positions* 1..q of the ordered category list (not on the category values),
so ``categories=["low", "mid", "high"]`` works and unused levels still count as steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelworks.stats.ratings import FloatArray, InvalidRatingsError

WEIGHT_NAMES = ("identity", "linear", "quadratic", "ordinal", "radical", "ratio")


def weight_matrix(weights: Any, q: int) -> FloatArray:
    """The q × q agreement weights: 1 on the diagonal, in [0, 1] off it.

    ``weights`` is ``None``/``"identity"`` (exact matches only), ``"linear"``
    (1 - |k-l|/(q-1)), ``"quadratic"`` (1 - (k-l)²/(q-1)²), ``"ordinal"``, ``"radical"``,
    ``"ratio"``, or an explicit q × q matrix.

    >>> weight_matrix("linear", 3).tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    """
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return np.eye(q)
    if not isinstance(weights, str):
        try:
            given = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidRatingsError(f"weights must be a name or a matrix: {exc}") from exc
        if given.shape != (q, q):
            raise InvalidRatingsError(
                f"weights matrix has shape {given.shape}, expected ({q}, {q})"
            )
        return given
    if weights not in WEIGHT_NAMES:
        raise InvalidRatingsError(f"unknown weights {weights!r}; use one of {WEIGHT_NAMES}")
    if q < 2:
        return np.eye(q)
    pos = np.arange(1, q + 1, dtype=np.float64)
    k, el = np.meshgrid(pos, pos, indexing="ij")
    span = float(q - 1)
    if weights == "linear":
        w = 1 - np.abs(k - el) / span
    elif weights == "quadratic":
        w = 1 - (k - el) ** 2 / span**2
    elif weights == "radical":
        w = 1 - np.sqrt(np.abs(k - el)) / np.sqrt(span)
    elif weights == "ratio":
        # Gwet's ratio weights, scaled so the two end categories get 0
        w = 1 - ((k - el) / (k + el)) ** 2 / (span / (q + 1.0)) ** 2
    else:
        steps = np.abs(k - el) + 1
        ordinal = steps * (steps - 1) / 2
        w = 1 - ordinal / ordinal.max()
    return np.asarray(w, dtype=np.float64)
