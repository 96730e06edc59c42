"""Intra-annotator consistency: how well annotators agree with themselves.

A consistency audit serves some items to the same annotator a second time, unannounced,
and compares the two answers — test–retest reliability, what Krippendorff (2004, *Content
Analysis*, §11.2) calls stability, as opposed to the reproducibility measured across
annotators. The ratings come as one table with repeats
(``Ratings.from_records(..., repeats=True)``), in the order they were given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from labelworks.stats.ratings import FloatArray, IntArray, Ratings
from labelworks.stats.statistic import ratio
from labelworks.stats.weights import weight_matrix

__all__ = ["RetestAgreement", "test_retest"]


@dataclass(frozen=True)
class RetestAgreement:
    """Each annotator's first rating of an item against their second, per annotator.

    Arrays follow ``annotators`` (every annotator of the table, retested or not).

    Attributes:
        annotators: annotator ids.
        categories: category values, the order of ``tables``' axes.
        items: how many items the annotator rated at least twice (the pairs compared).
        agreed: of those, how many got the same category both times.
        percent_agreement: ``agreed / items`` (NaN where ``items`` is 0).
        kappa: Cohen's kappa between first and second ratings, chance from the
            annotator's own first- and second-rating distributions (NaN with no retested
            items, or when chance agreement is 1, e.g. one category throughout).
        tables: ``tables[a, k, l]`` counts items annotator ``a`` first rated
            ``categories[k]`` and then ``categories[l]``.
        weights: the agreement weights kappa used (the identity when exact matches only).
    """

    annotators: list[Any]
    categories: list[Any]
    items: IntArray
    agreed: IntArray
    percent_agreement: FloatArray
    kappa: FloatArray
    tables: IntArray
    weights: FloatArray

    def overall(self) -> dict[str, Any]:
        """Every annotator's pairs pooled: items, agreed, percent agreement and kappa."""
        pooled = self.tables.sum(axis=0)[None]
        items = int(pooled.sum())
        agreed = int(np.trace(pooled[0]))
        return {
            "items": items,
            "agreed": agreed,
            "percent_agreement": float(ratio(np.array(agreed), np.array(items))),
            "kappa": float(_kappa(pooled, self.weights)[0]),
        }

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per annotator who rated some item twice, for a report."""
        return [
            {
                "annotator": name,
                "items": int(self.items[a]),
                "agreed": int(self.agreed[a]),
                "percent_agreement": float(self.percent_agreement[a]),
                "kappa": float(self.kappa[a]),
            }
            for a, name in enumerate(self.annotators)
            if self.items[a] > 0
        ]


def test_retest(ratings: Ratings, weights: Any = None) -> RetestAgreement:
    """Per annotator, agreement of their first and second rating of the items they rated
    more than once.

    "First" and "second" are in row order (build the table in the order the ratings were
    given); third and later ratings of an item are not used. Percent agreement counts
    exact matches; Cohen's (1960) kappa treats the two occasions as two raters, so chance
    agreement comes from how often the annotator used each category the first time and
    the second time. ``weights`` (``None``, ``"linear"``, ``"quadratic"``, ... or a q × q
    matrix, see ``weight_matrix``) gives kappa partial credit for near misses on ordered
    categories (Cohen 1968). Read kappa with the usual bands (Landis & Koch 1977: above
    0.8 almost perfect); an annotator who disagrees with themselves cannot be expected to
    agree with others, so a low value is a guideline or fatigue problem, not a crowd one.

    >>> from labelworks.stats import Ratings
    >>> r = Ratings.from_records([
    ...     ("q1", "ann", "cat"), ("q2", "ann", "dog"), ("q3", "ann", "cat"),
    ...     ("q1", "bob", "dog"), ("q2", "bob", "dog"),
    ...     ("q1", "ann", "cat"), ("q2", "ann", "cat"), ("q3", "ann", "cat"),
    ...     ("q1", "bob", "dog"),
    ... ], repeats=True)
    >>> test_retest(r).to_records()  # doctest: +NORMALIZE_WHITESPACE
    [{'annotator': 'ann', 'items': 3, 'agreed': 2, 'percent_agreement': 0.6666666666666666,
      'kappa': 0.0},
     {'annotator': 'bob', 'items': 1, 'agreed': 1, 'percent_agreement': 1.0, 'kappa': nan}]
    """
    q, n_annotators = ratings.n_categories, ratings.n_annotators
    w = weight_matrix(weights, q)
    first, second = _first_two(ratings)
    annotator = ratings.annotator[first]
    flat = (annotator * q + ratings.label[first]) * q + ratings.label[second]
    tables = np.bincount(flat, minlength=n_annotators * q * q).reshape(n_annotators, q, q)
    items = tables.sum(axis=(1, 2))
    agreed = np.trace(tables, axis1=1, axis2=2)
    return RetestAgreement(
        annotators=list(ratings.annotators),
        categories=list(ratings.categories),
        items=items.astype(np.int64),
        agreed=agreed.astype(np.int64),
        percent_agreement=ratio(agreed.astype(np.float64), items.astype(np.float64)),
        kappa=_kappa(tables, w),
        tables=tables.astype(np.int64),
        weights=w,
    )


def _first_two(ratings: Ratings) -> tuple[IntArray, IntArray]:
    """Rows of the first and second rating of every (item, annotator) rated twice or more,
    in row order."""
    width = max(ratings.n_annotators, 1)
    pair = ratings.item * width + ratings.annotator
    order = np.argsort(pair, kind="stable")  # each pair's rows together, in row order
    grouped = pair[order]
    same = grouped[1:] == grouped[:-1]
    opens = np.concatenate(([True], ~same))  # a pair's first row in ``order``
    second_at = np.flatnonzero(same & opens[:-1]) + 1  # the row right after a first one
    return order[second_at - 1], order[second_at]


def _kappa(tables: Any, w: FloatArray) -> FloatArray:
    """Cohen's (weighted) kappa of each first × second table, shape (..., q, q)."""
    joint = np.asarray(tables, dtype=np.float64)
    n = joint.sum(axis=(1, 2))
    scale = np.where(n > 0, n, 1.0)[:, None]
    observed = np.einsum("kl,akl->a", w, joint) / scale[:, 0]
    rows, cols = joint.sum(axis=2) / scale, joint.sum(axis=1) / scale
    chance = np.einsum("ak,kl,al->a", rows, w, cols)
    kappa = ratio(observed - chance, 1.0 - chance)
    kappa[n == 0] = np.nan
    return kappa
