"""Bootstrap confidence intervals for agreement coefficients, resampling items: BCa (the
default) or percentile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from labelworks.stats.intervals import Method, bca_interval, percentile_interval
from labelworks.stats.ratings import FloatArray, InvalidRatingsError, Ratings
from labelworks.stats.statistic import ItemStatistics, item_statistics_for

# Cap on the resample-count matrix (draws × items) held at once, ~32 MB of float64; also
# caps the dense leave-one-out totals (items × columns) of the jackknife.
_CHUNK_CELLS = 4_000_000
# A metric without item statistics is recomputed once per jackknife value: above this many
# items, items are deleted in this many interleaved groups instead of one at a time.
_GENERIC_JACKKNIFE = 1000
# Leave-one-out totals (items × columns) beyond this many cells are grouped the same way,
# into as many groups as fit (at least _GENERIC_JACKKNIFE).
_JACKKNIFE_CELLS = 8_000_000
METHODS = ("bca", "percentile")


@dataclass(frozen=True)
class BootstrapInterval:
    """A coefficient with its bootstrap interval; ``method`` is the interval actually made
    (``"bca"`` or ``"percentile"``) and ``reason`` why BCa fell back, else ``None``."""

    estimate: float
    low: float
    high: float
    method: Method
    reason: str | None = None


def bootstrap_ci(
    metric: Callable[..., float],
    r: Ratings,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
    method: str = "bca",
    **metric_kwargs: Any,
) -> tuple[float, float, float]:
    """``(estimate, low, high)``: the coefficient and its bootstrap confidence interval.

    Items (not single ratings) are resampled with replacement ``n_resamples`` times, as
    Hayes & Krippendorff (2007), "Answering the call for a standard reliability measure for
    coding data", recommend, because ratings of one item are not independent.

    ``method="bca"`` (default): the bias-corrected and accelerated interval, Efron (1987),
    "Better bootstrap confidence intervals", JASA 82; Efron & Tibshirani (1993), *An
    Introduction to the Bootstrap*, ch. 14, with the acceleration from the jackknife over
    items. Simulated from populations with a known coefficient, its 95% interval held it
    94.9–95.7% of the time at 30, 50 and 100 items for Cohen's and Fleiss' kappa and
    Krippendorff's alpha, where the percentile interval held it 92.8–94.0% of the time at
    30 items (10,000 simulations each; docs/stats-agreement.md). Where BCa is undefined (the
    estimate or a resample undefined, every resample equal or on one side of the estimate,
    jackknife variance 0) the percentile interval is returned; :func:`bootstrap_interval`
    says which and why.
    ``method="percentile"``: the percentile interval (Efron & Tibshirani 1993, ch. 13).

    Coefficients built on per-item sufficient statistics (percent agreement, Scott, Fleiss,
    Conger, Cohen, Gwet, Brennan–Prediger, Krippendorff at every level) are resampled with
    one sparse product and jackknifed from the column totals minus each item's row; any
    other ``metric(r, **metric_kwargs)`` is recomputed on each resample. Resamples on which
    the coefficient is undefined are skipped. The interval is widened to include the
    estimate in the rare case (a handful of items) that it lies outside. Read: with 95%
    confidence the coefficient of the population of items lies in ``[low, high]``; compare
    ``low`` with your threshold (e.g. α ≥ 0.8).

    >>> from labelworks.stats.chance import fleiss_kappa
    >>> r = Ratings.from_matrix([[1, 1, 1], [1, 2, 2], [2, 2, 2], [3, 3, 3], [3, 2, 3]] * 4)
    >>> est, low, high = bootstrap_ci(fleiss_kappa, r, n_resamples=500, seed=1)
    >>> round(est, 3), low < est < high
    (0.595, True)
    """
    got = bootstrap_interval(metric, r, n_resamples, confidence, seed, method, **metric_kwargs)
    return got.estimate, got.low, got.high


def bootstrap_interval(
    metric: Callable[..., float],
    r: Ratings,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
    method: str = "bca",
    **metric_kwargs: Any,
) -> BootstrapInterval:
    """:func:`bootstrap_ci` with the interval's method and, when BCa fell back to the
    percentile interval, the reason."""
    if n_resamples < 2:
        raise InvalidRatingsError(f"n_resamples must be at least 2, got {n_resamples}")
    if not 0 < confidence < 1:
        raise InvalidRatingsError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    kind = method.lower()
    if kind not in METHODS:
        raise InvalidRatingsError(f"unknown method {method!r}; use one of {METHODS}")
    rng = np.random.default_rng(seed)
    estimate = float(metric(r, **metric_kwargs))
    builder = item_statistics_for(metric)
    # one set of item statistics (and its stacked table) serves resamples and jackknife
    stats = builder(r, **metric_kwargs) if builder is not None else None
    if stats is None:
        samples = resample_values(metric, r, n_resamples, rng, **metric_kwargs)
    else:
        samples = _resampled(stats, r.n_items, n_resamples, rng)
    if kind == "bca":
        if stats is None:
            jackknife = jackknife_values(metric, r, **metric_kwargs)
        else:
            jackknife = _jackknife_from_totals(stats)
        interval = bca_interval(estimate, samples, jackknife, confidence)
    else:
        interval = percentile_interval(samples, confidence)
    low, high = interval.low, interval.high
    if np.isfinite(estimate) and np.isfinite(low):
        low, high = min(low, estimate), max(high, estimate)
    return BootstrapInterval(estimate, low, high, interval.method, interval.reason)


def resample_values(
    metric: Callable[..., float],
    r: Ratings,
    n_resamples: int,
    rng: np.random.Generator,
    **metric_kwargs: Any,
) -> FloatArray:
    """The coefficient on ``n_resamples`` item resamples (NaN where undefined)."""
    builder = item_statistics_for(metric)
    n = r.n_items
    if builder is None:
        out = np.empty(n_resamples)
        for b in range(n_resamples):
            try:
                out[b] = metric(r.take_items(rng.integers(0, n, n)), **metric_kwargs)
            except InvalidRatingsError:
                out[b] = np.nan
        return out
    return _resampled(builder(r, **metric_kwargs), n, n_resamples, rng)


def _resampled(
    stats: ItemStatistics, n: int, n_resamples: int, rng: np.random.Generator
) -> FloatArray:
    width = max(1, _CHUNK_CELLS // max(n, stats.n_columns))
    parts = []
    for start in range(0, n_resamples, width):
        b = min(width, n_resamples - start)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append(stats.resampled(counts.astype(np.float64)))
    return np.concatenate(parts)


def jackknife_values(metric: Callable[..., float], r: Ratings, **metric_kwargs: Any) -> FloatArray:
    """The coefficient without each item in turn (NaN where undefined), in item-code order.

    With item statistics this is ``finish(totals − row_i)`` for every item, vectorised in
    chunks; any other metric is recomputed without each item. When that would cost too much
    (a metric without item statistics on more than 1,000 items; item statistics whose
    leave-one-out totals exceed 8M cells, e.g. Conger's kappa with 500 annotators on 100k
    items) items are deleted in interleaved groups instead (item codes ``g, g + G, …``),
    the delete-a-group jackknife: its acceleration has the same first-order value, because
    the third and second cumulants of the items' influence both add over a group (Efron &
    Tibshirani 1993, §11.5 and ch. 14).
    """
    builder = item_statistics_for(metric)
    if builder is not None:
        return _jackknife_from_totals(builder(r, **metric_kwargs))
    n = r.n_items
    code = np.arange(n) % min(n, _GENERIC_JACKKNIFE)
    out = np.empty(min(n, _GENERIC_JACKKNIFE))
    for g in range(out.size):
        try:
            out[g] = metric(r.take_items(np.flatnonzero(code != g)), **metric_kwargs)
        except InvalidRatingsError:
            out[g] = np.nan
    return out


def _jackknife_from_totals(stats: ItemStatistics) -> FloatArray:
    table: Any = stats._table  # items × columns, sparse, built once per bootstrap
    totals = np.asarray(table.sum(axis=0), dtype=np.float64).reshape(1, -1)
    n, k = table.shape
    if n * k > _JACKKNIFE_CELLS:
        groups = max(_GENERIC_JACKKNIFE, _JACKKNIFE_CELLS // k)
        member = sparse.csr_matrix(
            (np.ones(n), (np.arange(n) % groups, np.arange(n))), shape=(groups, n)
        )
        table = (member @ table).tocsr()
    width = max(1, _CHUNK_CELLS // max(k, 1))
    parts = []
    for start in range(0, table.shape[0], width):
        rows = np.asarray(table[start : start + width].toarray(), dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append(stats.finish(totals - rows))
    return np.concatenate(parts) if parts else np.empty(0)
