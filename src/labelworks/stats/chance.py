"""Chance-corrected agreement coefficients of the kappa family.

All share one form, ``(p_a - p_e) / (1 - p_e)``: observed agreement ``p_a`` corrected by the
agreement ``p_e`` expected by chance, and differ only in ``p_e``. Missing ratings follow
Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed.: ``p_a`` averages over items
with two or more ratings, category propensities average over every rated item. They count
pairs of annotators, so a table with repeated ratings (``repeats=True``) is refused.

A coefficient is NaN when it is undefined (``p_e = 1``, e.g. every rating is the same
category). Landis & Koch (1977) read kappa-type values as: < 0 poor, 0–0.20 slight,
0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 substantial, 0.81–1 almost perfect.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from labelworks.stats.ratings import FloatArray, InvalidRatingsError, Ratings
from labelworks.stats.statistic import (
    Block,
    ItemStatistics,
    OneHot,
    UnitCounts,
    columns,
    ratio,
    require_pairable,
    resamplable,
)
from labelworks.stats.weights import weight_matrix

_FIXED = 3  # columns before the category propensities: pa_i, [r_i >= 2], 1


def _pooled_table(r: Ratings, weights: Any) -> tuple[tuple[Block, ...], FloatArray]:
    """Columns: per-item agreement p_a,i (0 below two ratings), has-two-ratings flag, one,
    then the item's category shares n_ik / r_i."""
    uc = UnitCounts.of(r)
    require_pairable(uc.raters)
    w = weight_matrix(weights, r.n_categories)
    m = uc.raters
    two = m >= 2
    pa_i = np.where(two, (uc.within_unit_pairs(w) - m) / np.where(two, m * (m - 1), 1.0), 0.0)
    table = columns(pa_i, two.astype(np.float64), np.ones(uc.n_units), uc.scaled(1.0 / m))
    return table, w


def _pa(t: FloatArray) -> FloatArray:
    return ratio(t[:, 0], t[:, 1])


def _shares(t: FloatArray, q: int) -> FloatArray:
    return t[:, _FIXED : _FIXED + q] / t[:, 2:3]


def _kappa(pa: FloatArray, pe: FloatArray) -> FloatArray:
    return ratio(pa - pe, 1.0 - pe)


def _percent_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("percent_agreement")
    table, _ = _pooled_table(r, weights)
    return ItemStatistics(table, _pa)


def _fleiss_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("fleiss_kappa")
    table, w = _pooled_table(r, weights)
    q = r.n_categories

    def finish(t: FloatArray) -> FloatArray:
        pi = _shares(t, q)
        return _kappa(_pa(t), np.einsum("bk,kl,bl->b", pi, w, pi))

    return ItemStatistics(table, finish)


def _scott_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("scott_pi")
    _require_two(r, "scott_pi")
    return _fleiss_statistics(r, weights)


def _gwet_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("gwet_ac1" if weights is None else "gwet_ac2")
    table, w = _pooled_table(r, weights)
    q = r.n_categories

    def finish(t: FloatArray) -> FloatArray:
        pi = _shares(t, q)
        if q < 2:
            return np.full(t.shape[0], np.nan)
        pe = w.sum() / (q * (q - 1)) * (pi * (1 - pi)).sum(axis=1)
        return _kappa(_pa(t), pe)

    return ItemStatistics(table, finish)


def _gwet_ac1_statistics(r: Ratings) -> ItemStatistics:
    return _gwet_statistics(r, None)


def _bp_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("brennan_prediger")
    table, w = _pooled_table(r, weights)
    pe = w.sum() / r.n_categories**2
    return ItemStatistics(table, lambda t: _kappa(_pa(t), np.full(t.shape[0], pe)))


def _conger_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("conger_kappa")
    r.require_annotators(2)
    pooled, w = _pooled_table(r, weights)
    q, a = r.n_categories, r.n_annotators
    by_rater = sparse.csr_matrix(
        (np.ones(r.n_ratings), (r.item, r.annotator * q + r.label)), shape=(r.n_items, a * q)
    )
    table = columns(pooled, by_rater)
    start = _FIXED + q

    def finish(t: FloatArray) -> FloatArray:
        classified = t[:, start:].reshape(-1, a, q)
        rated = classified.sum(axis=2)
        active = rated > 0
        share = np.divide(
            classified, rated[:, :, None], out=np.zeros_like(classified), where=active[:, :, None]
        )
        raters = active.sum(axis=1).astype(np.float64)
        mean = share.sum(axis=1) / raters[:, None]
        outer = mean[:, :, None] * mean[:, None, :]
        spread = (np.einsum("bak,bal->bkl", share, share) - raters[:, None, None] * outer) / (
            raters[:, None, None] - 1
        )
        pe = np.einsum("kl,bkl->b", w, outer - spread / raters[:, None, None])
        return _kappa(_pa(t), pe)

    return ItemStatistics(table, finish)


def _cohen_statistics(r: Ratings, weights: Any = None) -> ItemStatistics:
    r.require_single_ratings("cohen_kappa")
    _require_two(r, "cohen_kappa")
    q = r.n_categories
    # each annotator's label per item (-1: not rated), in one scatter and the narrowest
    # type: selecting each annotator's rows first cost more than the rest of the kappa
    labels = np.full((2, r.n_items), -1, dtype=np.int8 if q <= 127 else np.int64)
    labels[r.annotator, r.item] = r.label
    first, second = labels
    both = (first >= 0) & (second >= 0)
    if not both.any():
        raise InvalidRatingsError("the two annotators share no rated item")
    w = weight_matrix(weights, q)
    code = first.astype(np.int64)
    code *= q
    code += second
    code[~both] = -1
    table = (OneHot(code, q * q),)

    def finish(t: FloatArray) -> FloatArray:
        joint = t.reshape(-1, q, q)
        n = joint.sum(axis=(1, 2))
        po = ratio(np.einsum("kl,bkl->b", w, joint), n)
        rows = joint.sum(axis=2) / np.where(n > 0, n, 1.0)[:, None]
        cols = joint.sum(axis=1) / np.where(n > 0, n, 1.0)[:, None]
        pe = np.einsum("bk,kl,bl->b", rows, w, cols)
        return np.where(n > 0, _kappa(po, pe), np.nan)

    return ItemStatistics(table, finish)


def _require_two(r: Ratings, name: str) -> None:
    if r.n_annotators != 2:
        raise InvalidRatingsError(
            f"{name} needs exactly two annotators, got {r.n_annotators}; use fleiss_kappa or "
            "conger_kappa for more, or pairwise_matrix for every pair"
        )


@resamplable(_percent_statistics)
def percent_agreement(r: Ratings, weights: Any = None) -> float:
    """Share of agreeing annotator pairs, averaged over items with two or more ratings.

    Not chance-corrected (Gwet 2014, *Handbook of Inter-Rater Reliability*, §2.2); with two
    annotators it is the share of items on which they agree. 1 means every pair agreed;
    a value near the largest category's share means the labels could be a guess.

    >>> r = Ratings.from_matrix([["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"]])
    >>> percent_agreement(r)
    0.75
    """
    return _percent_statistics(r, weights).value()


@resamplable(_cohen_statistics)
def cohen_kappa(r: Ratings, weights: Any = None) -> float:
    """Cohen's kappa for exactly two annotators, over the items both rated.

    Cohen (1960), "A coefficient of agreement for nominal scales"; weighted form Cohen (1968).
    Chance agreement uses each annotator's own label distribution. ``weights`` is ``None``,
    ``"linear"``, ``"quadratic"`` (on positions in ``r.categories``) or a q × q matrix.
    1 is perfect agreement, 0 chance level; read with Landis & Koch (1977) bands.

    >>> r = Ratings.from_matrix([[1, 1], [1, 2], [2, 2], [3, 3], [3, 2]])
    >>> round(cohen_kappa(r), 4)
    0.4444
    >>> round(cohen_kappa(r, weights="quadratic"), 4)
    0.6667
    """
    return _cohen_statistics(r, weights).value()


@resamplable(_scott_statistics)
def scott_pi(r: Ratings, weights: Any = None) -> float:
    """Scott's pi for exactly two annotators: chance from the pooled label distribution.

    Scott (1955), "Reliability of content analysis: the case of nominal scale coding";
    missing ratings per Gwet (2014). Read like kappa: 1 perfect, 0 chance level.

    >>> r = Ratings.from_matrix([[1, 1], [1, 2], [2, 2], [3, 3], [3, 2]])
    >>> round(scott_pi(r), 4)
    0.3939
    """
    return _scott_statistics(r, weights).value()


@resamplable(_fleiss_statistics)
def fleiss_kappa(r: Ratings, weights: Any = None) -> float:
    """Fleiss' kappa for any number of annotators (Scott's pi generalised).

    Fleiss (1971), "Measuring nominal scale agreement among many raters"; missing ratings
    and weights per Gwet (2014, ch. 2). 1 perfect, 0 chance level, Landis & Koch bands.

    >>> r = Ratings.from_matrix([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, None], [3, 2, 3]])
    >>> round(fleiss_kappa(r), 4)
    0.5946
    """
    return _fleiss_statistics(r, weights).value()


@resamplable(_gwet_ac1_statistics)
def gwet_ac1(r: Ratings) -> float:
    """Gwet's AC1: chance agreement from how hard items are to classify, not from how
    lopsided the labels are, so it stays high when one class dominates.

    Gwet (2008), "Computing inter-rater reliability and its variance in the presence of high
    agreement", Br. J. Math. Stat. Psychol. 61. Read like kappa (1 perfect, 0 chance).

    >>> r = Ratings.from_matrix([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, None], [3, 2, 3]])
    >>> round(gwet_ac1(r), 4)
    0.6026
    """
    return _gwet_statistics(r, None).value()


@resamplable(_gwet_statistics)
def gwet_ac2(r: Ratings, weights: Any = "quadratic") -> float:
    """Gwet's AC2: AC1 with partial credit for near misses on ordered categories.

    Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., ch. 3. ``weights`` as in
    :func:`weight_matrix` on category positions. Read like kappa (1 perfect, 0 chance).

    >>> r = Ratings.from_matrix([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, None], [3, 2, 3]])
    >>> round(gwet_ac2(r, weights="linear"), 4)
    0.7049
    """
    return _gwet_statistics(r, weights).value()


@resamplable(_bp_statistics)
def brennan_prediger(r: Ratings, weights: Any = None) -> float:
    """Brennan–Prediger coefficient: chance agreement 1/q for q categories (uniform guess).

    Brennan & Prediger (1981), "Coefficient kappa: some uses, misuses, and alternatives";
    equals Randolph's free-marginal kappa. Unused levels in ``categories=`` lower ``p_e``.
    Read like kappa (1 perfect, 0 uniform guessing).

    >>> r = Ratings.from_matrix([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, None], [3, 2, 3]])
    >>> round(brennan_prediger(r), 4)
    0.6
    """
    return _bp_statistics(r, weights).value()


@resamplable(_conger_statistics)
def conger_kappa(r: Ratings, weights: Any = None) -> float:
    """Conger's kappa: Cohen's kappa generalised to many annotators, each with their own
    label distribution.

    Conger (1980), "Integration and generalization of kappas for multiple raters", Psychol.
    Bull. 88; missing ratings per Gwet (2014). With two annotators and no missing data it
    equals Cohen's kappa. Read like kappa (1 perfect, 0 chance).

    >>> r = Ratings.from_matrix([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, None], [3, 2, 3]])
    >>> round(conger_kappa(r), 4)
    0.604
    """
    return _conger_statistics(r, weights).value()
