"""Where annotators disagree: per label, per item, and which label pairs are confused."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from labelworks.stats.chance import fleiss_kappa
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError, Ratings
from labelworks.stats.statistic import UnitCounts, gram, require_pairable


def per_label_agreement(
    r: Ratings, metric: Callable[..., float] = fleiss_kappa, **metric_kwargs: Any
) -> dict[Any, float]:
    """Agreement on each category alone: ``metric`` on the one-vs-rest recoding (1 = this
    category, 0 = any other).

    Fleiss (1971), "Measuring nominal scale agreement among many raters", §3 (kappa for a
    single category); any coefficient works via ``metric``. A low value flags a category the
    guidelines leave ambiguous. NaN for a category nobody (or everybody) used.

    >>> r = Ratings.from_matrix([["a", "a", "a"], ["a", "b", "b"], ["b", "b", "b"],
    ...                          ["c", "c", "c"], ["c", "b", "c"]])
    >>> {k: round(v, 3) for k, v in per_label_agreement(r).items()}
    {'a': 0.659, 'b': 0.444, 'c': 0.7}
    """
    out: dict[Any, float] = {}
    for code, category in enumerate(r.categories):
        binary = dataclasses.replace(
            r,
            label=(r.label == code).astype(np.int64),
            categories=[0, 1],
            values=np.array([0.0, 1.0]),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out[category] = float(metric(binary, **metric_kwargs))
    return out


def item_agreement(
    r: Ratings, measure: Literal["pairwise", "majority"] = "pairwise"
) -> dict[Any, float]:
    """Agreement on each item with two or more ratings, most contested first.

    ``"pairwise"``: share of agreeing annotator pairs (the item term P_i of Fleiss 1971);
    ``"majority"``: share of ratings that went to the most chosen label. 1 is unanimous;
    the first entries are the items to send to adjudication or to study for guideline gaps.
    Ties keep item order.

    >>> r = Ratings.from_records([("x", "ann", 1), ("x", "bob", 1), ("x", "cat", 2),
    ...                           ("y", "ann", 3), ("y", "bob", 3), ("z", "ann", 1)])
    >>> item_agreement(r)
    {'x': 0.3333333333333333, 'y': 1.0}
    """
    r.require_single_ratings("item_agreement")
    uc = UnitCounts.of(r)
    require_pairable(uc.raters)
    m = uc.raters
    if measure == "pairwise":
        agree = np.bincount(uc.unit, uc.count * (uc.count - 1), minlength=uc.n_units)
        value = agree / np.maximum(m * (m - 1), 1.0)
    elif measure == "majority":
        top = np.zeros(uc.n_units)
        np.maximum.at(top, uc.unit, uc.count)
        value = top / np.maximum(m, 1.0)
    else:
        raise InvalidRatingsError(f"measure must be 'pairwise' or 'majority', got {measure!r}")
    rated = np.flatnonzero(m >= 2)
    order = rated[np.argsort(value[rated], kind="stable")]
    ids = r.items  # read once, not once per item
    return {ids[k]: float(value[k]) for k in order.tolist()}


@dataclass(frozen=True)
class DisagreementMatrix:
    """How often two annotators of the same item gave each pair of labels.

    ``counts[c, k]``: ordered pairs of ratings of one item by different annotators where
    the first said ``categories[c]`` and the second ``categories[k]`` (symmetric; the
    diagonal holds agreements). ``rates[c, k]``: given one annotator said ``c``, the share
    of the other annotators who said ``k`` (rows sum to 1; NaN for an unused category).
    """

    categories: list[Any]
    counts: IntArray
    rates: FloatArray

    def top_confusions(self, n: int = 10) -> list[tuple[Any, Any, int]]:
        """The ``n`` most frequent unordered pairs of different labels, with their counts."""
        upper = np.triu(self.counts, k=1)
        flat = np.argsort(-upper, axis=None, kind="stable")[:n]
        out = []
        for f in flat.tolist():
            c, k = divmod(f, len(self.categories))
            if upper[c, k] > 0:
                out.append((self.categories[c], self.categories[k], int(upper[c, k])))
        return out


def disagreement_matrix(r: Ratings) -> DisagreementMatrix:
    """Count which label pairs annotators confuse (Krippendorff's coincidences, unweighted).

    After Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability" (coincidence
    matrix), without the 1/(m_u - 1) weighting so entries are plain pair counts. Large
    off-diagonal cells name the distinctions the guidelines should sharpen.

    >>> r = Ratings.from_matrix([["a", "a"], ["a", "b"], ["b", "b"], ["a", "b"]])
    >>> d = disagreement_matrix(r)
    >>> d.counts.tolist(), d.top_confusions()
    ([[2, 2], [2, 2]], [('a', 'b', 2)])
    """
    r.require_single_ratings("disagreement_matrix")
    uc = UnitCounts.of(r)
    require_pairable(uc.raters)
    n = uc.matrix()
    pairs = gram(n, n)
    pairs -= np.diag(uc.category_totals())
    counts = np.rint(pairs).astype(np.int64)
    totals = counts.sum(axis=1, keepdims=True).astype(np.float64)
    rates = np.divide(counts, totals, out=np.full(counts.shape, np.nan), where=totals > 0)
    return DisagreementMatrix(list(r.categories), counts, rates)
