"""How far an LLM judge agrees with people on a rubric: integer scores on one scale.

A :class:`ScoredItem` is one model output that people scored on the integer scale
``low..high`` (any number of them, maybe none) and the judge scored once (or failed to).
The pairwise counterpart is :mod:`labelworks.stats.judge_calibration`.

Definitions, over the items with a judge score and at least one human score:

- The people's score of an item: their median rounded half up to the scale (the median
  3.5 of 3 and 4 becomes 4), and their mean; the judge's score is ``j``.
- ``exact``: the share of items whose ``j`` equals the rounded median; ``within_one``: the
  share with ``|j − median| ≤ 1``.
- ``mean_difference``: the mean of ``j − the people's mean``, the judge's leniency (+) or
  severity (−) in scale points.
- ``kappa``: quadratic-weighted Cohen's κ between ``j`` and the rounded median over the
  ``k = high − low + 1`` categories (Cohen 1968, "Weighted kappa: nominal scale agreement
  with provision for scaled disagreement or partial credit", Psychological Bulletin 70):
  with weights ``w_ij = 1 − (i − j)² / (k − 1)²``, observed ``p_o = Σ w_ij p_ij`` and chance
  ``p_e = Σ w_ij p_i· p_·j``, ``κ_w = (p_o − p_e) / (1 − p_e)``; undefined (``None``) when
  ``p_e = 1``, i.e. both sides use one same score only.
- ``tau``: Kendall's τ-b between ``j`` and the people's mean across items (Kendall 1945,
  "The treatment of ties in ranking problems", Biometrika 33): ``(P − Q) / √((n₀ − n₁)(n₀ −
  n₂))`` with ``P``/``Q`` the concordant/discordant pairs, ``n₀ = n(n − 1)/2`` and ``n₁``,
  ``n₂`` the pairs tied on each side; undefined with fewer than two items or a constant side.
- Intervals are percentile intervals over bootstrap resamples of items (Efron & Tibshirani
  1993, ch. 13), drawn as in :mod:`labelworks.stats.model_comparison`: an item's
  contribution depends only on its (judge score, rounded median, people's mean), so a
  resample is a draw of counts of these types, and every coefficient is a function of the
  resampled confusion table, difference sum and (judge × mean) contingency table. A
  coefficient undefined on every resample gets its whole range as interval.
- Model means: for each model, the mean over its items of the people's per-item mean (items
  with a human score) and of the judge's score (items with a judge score), each with its
  bootstrap interval over those items; ``model_tau`` is :func:`kendall_tau` between the two
  over the models having both.
- Gap: ``|j − the people's mean|``; the disagreements worth reading first are the items
  with the largest gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from labelworks.stats.judge_calibration import Estimate, _estimate
from labelworks.stats.model_comparison import _bootstrap, _check_resampling, _table, _types
from labelworks.stats.rank_correlation import RankCorrelation, kendall_tau
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

__all__ = [
    "Estimate",
    "ModelScores",
    "RankCorrelation",
    "ScoreAgreement",
    "ScoreCalibration",
    "ScoreDisagreement",
    "ScoredItem",
    "score_calibration",
]

_BoolArray = npt.NDArray[np.bool_]
_ROUNDING = 1e-12  # τ-b's square root can leave ±(1 − 2⁻⁵²) for a perfect (anti)concordance


@dataclass(frozen=True, slots=True)
class ScoredItem:
    """One model output: every person's score on it and the judge's (``None``: no usable
    score)."""

    item: str
    model: str  # the model whose output this item shows
    category: str | None
    human: tuple[int, ...]
    judge: int | None


@dataclass(frozen=True, slots=True)
class ScoreAgreement:
    """The judge against the people on ``items`` items (``None``: undefined)."""

    items: int  # items with a judge score and at least one human score
    exact: Estimate | None  # share with judge == the people's rounded median
    within_one: Estimate | None  # share with |judge − rounded median| ≤ 1
    mean_difference: Estimate | None  # mean of (judge − the people's mean)
    kappa: Estimate | None  # quadratic-weighted κ between judge and rounded median
    tau: Estimate | None  # Kendall's τ-b between judge and the people's mean


@dataclass(frozen=True, slots=True)
class ModelScores:
    """A model's mean score by the people (mean of per-item means) and by the judge."""

    model: str
    human: Estimate | None  # n: the model's items with a human score
    judge: Estimate | None  # n: the model's items with a judge score


@dataclass(frozen=True, slots=True)
class ScoreDisagreement:
    """An item on which the judge and the people differ, by ``gap = |judge − mean|``."""

    item: str
    model: str
    category: str | None
    human: tuple[int, ...]
    judge: int
    gap: float


@dataclass(frozen=True, slots=True)
class ScoreCalibration:
    """See :func:`score_calibration`."""

    overall: ScoreAgreement
    by_category: dict[str, ScoreAgreement]
    models: list[ModelScores]  # the people's mean, best first (None last), then name
    model_tau: RankCorrelation | None  # people's against judge's model means
    disagreements: list[ScoreDisagreement]
    judged: int  # items with a judge score and a human score
    humans_only: int  # items with human scores but no judge score
    judge_only: int  # items with a judge score but no human score


def _score(value: object, low: int, high: int) -> bool:
    """Whether ``value`` is an integer (not a bool) on the scale."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return False
    return low <= int(value) <= high


def _check_item(x: object, k: int, seen: set[str], low: int, high: int) -> ScoredItem:
    if not isinstance(x, ScoredItem):
        raise InvalidRatingsError(f"item {k} is a {type(x).__name__}, not a ScoredItem")
    if not isinstance(x.item, str):
        raise InvalidRatingsError(f"item {k} has the id {x.item!r}; expected a string")
    if x.item in seen:
        raise InvalidRatingsError(f"item {x.item!r} appears twice")
    seen.add(x.item)
    if not isinstance(x.model, str):
        raise InvalidRatingsError(f"item {x.item!r} has the model {x.model!r}; expected a string")
    if x.category is not None and not isinstance(x.category, str):
        raise InvalidRatingsError(f"item {x.item!r} has the category {x.category!r}")
    if isinstance(x.human, str | bytes) or not isinstance(x.human, Sequence):
        raise InvalidRatingsError(
            f"item {x.item!r}: human must be a sequence of scores, not {x.human!r}"
        )
    scale = f"an integer from {low} to {high}"
    for v in x.human:  # the common case (a plain int on the scale) checked first
        if (type(v) is not int or not low <= v <= high) and not _score(v, low, high):
            raise InvalidRatingsError(f"item {x.item!r} has the human score {v!r}; need {scale}")
    if x.judge is not None and not _score(x.judge, low, high):
        raise InvalidRatingsError(f"item {x.item!r} has the judge score {x.judge!r}; need {scale}")
    return x


@dataclass(frozen=True, slots=True)
class _Coded:
    judge: IntArray  # scale offset (score − low), −1 for None
    median: IntArray  # rounded median offset, −1 without human scores
    total: IntArray  # sum of human score offsets
    count: IntArray  # number of human scores
    mean: FloatArray  # the people's mean score (NaN without scores)
    model: IntArray  # index in `models`
    category: IntArray  # index in `categories`, −1 for None
    models: list[str]
    categories: list[str]


def _index(names: list[str | None]) -> tuple[IntArray, list[str]]:
    distinct = sorted({c for c in names if c is not None})
    position = {c: j for j, c in enumerate(distinct)}
    return np.array([-1 if c is None else position[c] for c in names], dtype=np.int64), distinct


def _coded(items: Sequence[ScoredItem], low: int) -> _Coded:
    count = np.array([len(x.human) for x in items], dtype=np.int64)
    flat = np.fromiter(
        (int(v) - low for x in items for v in x.human), dtype=np.int64, count=int(count.sum())
    )
    owner = np.repeat(np.arange(len(items)), count)
    # each item's scores sorted, item after item, and a pad read for items without scores
    ordered = np.append(flat[np.lexsort((flat, owner))], 0)
    start = np.cumsum(count) - count
    scored = count > 0
    lower, upper = ordered[start + (count - 1) // 2], ordered[start + count // 2]
    total = np.bincount(owner, weights=flat, minlength=len(items)).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(scored, total / count + low, np.nan)
    judge = np.array([-1 if x.judge is None else int(x.judge) - low for x in items], np.int64)
    model, models = _index([x.model for x in items])
    category, categories = _index([x.category for x in items])
    median = np.where(scored, (lower + upper + 1) // 2, -1)  # half up
    return _Coded(judge, median, total, count, mean, model, category, models, categories)


def _tau_b(table: FloatArray) -> FloatArray:
    """Kendall's τ-b of each (judge × mean) contingency table in ``table`` (B × k × H)."""
    n = table.sum(axis=(1, 2))
    rows, cols = table.sum(axis=2), table.sum(axis=1)
    # above[a, b]: the items with a judge score above a and the mean b; left[a, b]: those
    # with a judge score above a and a mean ≤ b. An item at (a, b) is concordant with
    # total − left of them and discordant with left − above: the difference is
    # total − 2·left + above (all counts are integers below 2⁵³, so exact).
    above = table.cumsum(axis=1)
    np.subtract(cols[:, None, :], above, out=above)
    left = above.cumsum(axis=2)
    total = left[:, :, -1:].copy()
    left *= -2
    left += above
    left += total
    concordance = np.einsum("bij,bij->b", table, left)  # concordant − discordant pairs
    pairs = n * (n - 1) / 2
    untied_x = pairs - (rows * (rows - 1) / 2).sum(axis=1)
    untied_y = pairs - (cols * (cols - 1) / 2).sum(axis=1)
    denominator = untied_x * untied_y
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(denominator > 0, concordance / np.sqrt(denominator), np.nan)
    return np.where(np.abs(np.abs(tau) - 1) < _ROUNDING, np.sign(tau), tau)


def _agreement(
    c: _Coded,
    rows: _BoolArray,
    k: int,
    n_resamples: int,
    confidence: float,
    seed: np.random.SeedSequence,
) -> ScoreAgreement:
    """Every coefficient of the judge against the people over ``rows``, item bootstrap."""
    judge, median = c.judge[rows], c.median[rows]
    n = int(judge.size)
    if n == 0:
        return ScoreAgreement(0, None, None, None, None, None)
    means, mean_of = np.unique(c.mean[rows], return_inverse=True)
    h = means.size
    first, counts = _types((judge * k + median) * h + mean_of)
    t = first.size
    j, m, mi = judge[first], median[first], mean_of[first]
    scores, total = c.count[rows][first], c.total[rows][first]
    difference = (scores * j - total) / scores  # judge − the people's mean, one rounding
    cells = k * k
    table = _table(
        t,
        cells + 1 + k * h,
        np.repeat(np.arange(t), 3),
        np.column_stack([m * k + j, np.full(t, cells), cells + 1 + j * h + mi]).ravel(),
        np.column_stack([np.ones(t), difference, np.ones(t)]).ravel(),
    )
    apart = np.subtract.outer(np.arange(k), np.arange(k))
    squared = (apart**2).astype(np.float64)  # (i − j)²: Cohen's weights are 1 − (i − j)²/(k − 1)²
    near = (np.abs(apart) <= 1).ravel()

    def metrics(sums: FloatArray) -> FloatArray:
        # κ_w = 1 − n·Σ(i − j)²·n_ij / Σ(i − j)²·n_i·n_j, the (k − 1)² cancelling
        confusion = sums[:, :cells]
        size = confusion.sum(axis=1)
        square = confusion.reshape(-1, k, k)
        chance = np.einsum("bi,ij,bj->b", square.sum(axis=2), squared, square.sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            kappa = np.where(chance > 0, 1 - size * (confusion @ squared.ravel()) / chance, np.nan)
        exact = np.trace(square, axis1=1, axis2=2) / size
        within = confusion[:, near].sum(axis=1) / size
        tau = _tau_b(sums[:, cells + 1 :].reshape(-1, k, h))
        return np.column_stack([exact, within, sums[:, cells] / size, kappa, tau])

    rng = np.random.default_rng(seed)
    exact, within, shift, kappa, tau = _bootstrap(
        table, counts, metrics, n_resamples, confidence, rng
    )[0]
    # the mean difference is defined on every resample, so never gets the fallback range
    return ScoreAgreement(
        n, _estimate(exact, n, 0.0), _estimate(within, n, 0.0), _estimate(shift, n, 1.0 - k),
        _estimate(kappa, n, -1.0), _estimate(tau, n, -1.0),
    )  # fmt: skip


def _mean(
    values: FloatArray, n_resamples: int, confidence: float, rng: np.random.Generator
) -> Estimate | None:
    """The mean of ``values`` with its bootstrap interval; ``None`` without values."""
    n = int(values.size)
    if n == 0:
        return None
    _, of = np.unique(values, return_inverse=True)
    first, counts = _types(of)
    table = _table(
        first.size, 1, np.arange(first.size), np.zeros(first.size, np.int64), values[first]
    )
    mean = _bootstrap(table, counts, lambda sums: sums / n, n_resamples, confidence, rng)[0][0]
    return _estimate(mean, n, 0.0)  # defined on every resample: never the fallback range


def _models(
    c: _Coded, low: int, n_resamples: int, confidence: float, streams: list[np.random.SeedSequence]
) -> list[ModelScores]:
    out = []
    for index, name in enumerate(c.models):
        rng = np.random.default_rng(streams[index])
        own = c.model == index
        human = _mean(c.mean[own & (c.count > 0)], n_resamples, confidence, rng)
        judged = c.judge[own & (c.judge >= 0)]
        judge = _mean((judged + low).astype(np.float64), n_resamples, confidence, rng)
        out.append(ModelScores(name, human, judge))
    return sorted(out, key=lambda s: (s.human is None, -s.human.value if s.human else 0, s.model))


def _model_tau(models: list[ModelScores], confidence: float) -> RankCorrelation | None:
    pairs = [(s.human.value, s.judge.value) for s in models if s.human and s.judge]
    if len(pairs) < 2 or any(len({p[side] for p in pairs}) == 1 for side in (0, 1)):
        return None
    return kendall_tau([p[0] for p in pairs], [p[1] for p in pairs], confidence=confidence)


def _disagreements(
    items: Sequence[ScoredItem], c: _Coded, judged: _BoolArray, low: int, top: int
) -> list[ScoreDisagreement]:
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(c.count * c.judge - c.total) / c.count  # one rounding
    rows = np.flatnonzero(judged & (gap > 0))
    if rows.size == 0 or top == 0:
        return []
    rank = np.empty(rows.size, dtype=np.int64)
    rank[np.argsort(np.array([items[k].item for k in rows.tolist()]), kind="stable")] = np.arange(
        rows.size
    )
    rows = rows[np.lexsort((rank, -c.count[rows], -gap[rows]))[:top]]
    return [
        ScoreDisagreement(
            items[k].item, items[k].model, items[k].category,
            tuple(int(v) for v in items[k].human), int(c.judge[k]) + low, float(gap[k]),
        )
        for k in rows.tolist()
    ]  # fmt: skip


def score_calibration(
    items: Sequence[ScoredItem],
    *,
    low: int,
    high: int,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
    top: int = 50,
) -> ScoreCalibration:
    """The judge against the people on ``items`` scored on ``low..high`` (definitions in the
    module docstring).

    ``overall`` and each of ``by_category`` (one per category name any item has; ``{}`` when
    none has one) count the items with a judge score and at least one human score, a
    category its own items only. ``models`` has one entry per model any item shows, sorted
    by the people's mean, best (highest) first, models without one last, then by name.
    ``disagreements``: the ``top`` items with the largest gap > 0, ties broken by more human
    scores, then by item id. ``confidence`` sets the bootstrap intervals (and
    ``model_tau``'s); the resamples are seeded by ``seed`` (one stream per group).

    Raises :class:`InvalidRatingsError` for ``low ≥ high`` or bounds that are not integers,
    an item that is not a :class:`ScoredItem`, a repeated item id, a score that is not an
    integer (``bool`` is not) in ``[low, high]``, ``n_resamples < 1``, ``confidence`` outside
    (0, 1) or ``top < 0``.

    >>> items = [
    ...     ScoredItem("q1", "m1", None, (4, 5), 5),  # median 4.5 → 5, mean 4.5
    ...     ScoredItem("q2", "m1", None, (3,), 3),
    ...     ScoredItem("q3", "m2", None, (2, 2, 3), 4),  # the judge is lenient
    ...     ScoredItem("q4", "m2", None, (1,), 1),
    ...     ScoredItem("q5", "m2", None, (), 2),
    ... ]
    >>> c = score_calibration(items, low=1, high=5, n_resamples=200)
    >>> c.overall.items, c.overall.exact.value, c.overall.within_one.value, c.judge_only
    (4, 0.75, 0.75, 1)
    >>> round(c.overall.mean_difference.value, 4), round(c.overall.kappa.value, 4)
    (0.5417, 0.7838)
    >>> [(s.model, round(s.human.value, 4), round(s.judge.value, 4)) for s in c.models]
    [('m1', 3.75, 4.0), ('m2', 1.6667, 2.3333)]
    >>> [(d.item, d.judge, round(d.gap, 4)) for d in c.disagreements]
    [('q3', 4, 1.6667), ('q1', 5, 0.5)]
    """
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, int | np.integer):
            raise InvalidRatingsError(f"{name} must be an integer, got {bound!r}")
    if low >= high:
        raise InvalidRatingsError(f"low must be below high, got low={low} and high={high}")
    _check_resampling(n_resamples, confidence)
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 0:
        raise InvalidRatingsError(f"top must be an integer ≥ 0, got {top!r}")
    low, high = int(low), int(high)
    seen: set[str] = set()
    items = [_check_item(x, k, seen, low, high) for k, x in enumerate(items)]
    c = _coded(items, low)
    has_judge, has_human = c.judge >= 0, c.count > 0
    judged = has_judge & has_human
    k = high - low + 1
    groups = 1 + len(c.categories)
    streams = np.random.SeedSequence(seed).spawn(groups + len(c.models))

    def agreement(rows: _BoolArray, stream: np.random.SeedSequence) -> ScoreAgreement:
        return _agreement(c, rows, k, n_resamples, confidence, stream)

    models = _models(c, low, n_resamples, confidence, streams[groups:])
    return ScoreCalibration(
        overall=agreement(judged, streams[0]),
        by_category={
            name: agreement(judged & (c.category == j), streams[1 + j])
            for j, name in enumerate(c.categories)
        },
        models=models,
        model_tau=_model_tau(models, confidence),
        disagreements=_disagreements(items, c, judged, low, int(top)),
        judged=int(judged.sum()),
        humans_only=int((has_human & ~has_judge).sum()),
        judge_only=int((has_judge & ~has_human).sum()),
    )
