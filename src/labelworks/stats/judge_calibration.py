"""How far an LLM judge agrees with people on blind pairwise comparisons.

A :class:`JudgedItem` is one comparison item: people saw two outputs for a prompt (left =
``"a"``, right = ``"b"``) and answered ``"a"``, ``"b"`` or ``"tie"``; the judge was asked
twice, once in the item's order and once with the outputs swapped. Every verdict here is in
item terms: ``"a"`` means the item's left output wins, also for the swapped call.

Definitions.

- Human consensus (:func:`human_consensus`): the plurality of the item's votes; a tie for the
  most votes is ``"tie"``; no votes, no consensus.
- Judge verdict (:func:`judge_verdict`): the verdict both orders give; two different verdicts
  (the judge changed its mind when the order changed) count as ``"tie"``; with one order
  answered, that order's verdict. Asking in both orders and calling an order-inconsistent
  verdict a tie is the practice of Zheng et al. 2023, "Judging LLM-as-a-judge with MT-Bench
  and Chatbot Arena" (NeurIPS Datasets and Benchmarks), against the judge's position bias.
- Agreement: over the items with a judge verdict and at least one vote, the share whose judge
  verdict equals the consensus (a split vote and an inconsistent judge agree: both are
  ties), and Cohen's κ over {a, b, tie} between the two (Cohen 1960, "A coefficient of
  agreement for nominal scales"); κ is undefined when chance agreement is 1 (both use one
  same verdict only). Intervals are percentile intervals over bootstrap resamples of items,
  drawn as in :mod:`labelworks.stats.model_comparison` (an item is one of nine confusion
  cells, so a resample is a multinomial draw of nine counts); when a coefficient is
  undefined on every resample its interval is its whole range.
- Position bias: of the judge's decisive verdicts (not ties) in either order, the share that
  picked the output shown first (``"a"`` in the item's order, ``"b"`` in the swapped one);
  0.5 is no bias. Order inconsistency: of the items with both orders answered, the share
  whose two verdicts differ. Both with Wilson intervals (Wilson 1927).
- Gap: scoring the left output a = 1, tie = ½, b = 0, the distance between the people's mean
  score and the judge's mean score over its answered orders; the disagreements worth reading
  first are the items with the largest gap.

:func:`kendall_tau` compares two ratings of the same models (e.g. the judge leaderboard's
and the people's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from labelworks.stats import model_comparison
from labelworks.stats.aggregation.gold import wilson_interval
from labelworks.stats.model_comparison import _bootstrap, _check_resampling, _table, _types
from labelworks.stats.rank_correlation import RankCorrelation, kendall_tau
from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

__all__ = [
    "VERDICTS",
    "Agreement",
    "Calibration",
    "Disagreement",
    "Estimate",
    "JudgedItem",
    "PositionBias",
    "RankCorrelation",
    "Share",
    "Verdict",
    "calibrate",
    "human_consensus",
    "judge_verdict",
    "kendall_tau",
]

Verdict = Literal["a", "b", "tie"]
VERDICTS: tuple[Verdict, ...] = ("a", "b", "tie")
_CODE = {"a": 0, "b": 1, "tie": 2}
_HALVES = np.array([2, 0, 1], dtype=np.int64)  # twice the left output's score, by verdict code
_BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class JudgedItem:
    """One comparison item: the people's votes and the judge's verdict in each order."""

    item: str
    category: str | None
    human: tuple[Verdict, ...]
    first: Verdict | None  # the judge with the item's order (None: no usable verdict)
    swapped: Verdict | None  # the judge with the outputs swapped, mapped back to item terms


@dataclass(frozen=True, slots=True)
class Share:
    """``share`` of ``n`` with its Wilson interval ``[low, high]``."""

    share: float
    low: float
    high: float
    n: int


@dataclass(frozen=True, slots=True)
class Estimate:
    """A coefficient on ``n`` items with its percentile bootstrap interval over items."""

    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True, slots=True)
class PositionBias:
    """See the module docstring; a share is ``None`` when it has nothing to count."""

    first_position: Share | None  # of decisive verdicts, the share picking the first shown
    inconsistent: Share | None  # of items with both orders answered, the share that differ
    n_pairs: int  # items with both orders answered


@dataclass(frozen=True, slots=True)
class Agreement:
    """The judge against the human consensus on ``items`` items (``None``: undefined)."""

    items: int
    percent: Estimate | None
    kappa: Estimate | None
    confusion: dict[str, dict[str, int]]  # human consensus -> judge verdict -> items


@dataclass(frozen=True, slots=True)
class Disagreement:
    """An item on which the judge and the people differ, by ``gap`` (module docstring)."""

    item: str
    category: str | None
    human: tuple[int, int, int]  # votes a, b, tie
    judge: Verdict
    first: Verdict | None
    swapped: Verdict | None
    gap: float


@dataclass(frozen=True, slots=True)
class Calibration:
    """See :func:`calibrate`."""

    overall: Agreement
    by_category: dict[str, Agreement]
    position_bias: PositionBias
    disagreements: list[Disagreement]
    judged: int  # items with a judge verdict and a vote
    humans_only: int  # items with votes but no judge verdict
    judge_only: int  # items with a judge verdict but no votes


def _code(value: object, where: str) -> int:
    if value is None:
        return -1
    code = _CODE.get(value) if isinstance(value, str) else None
    if code is None:
        raise InvalidRatingsError(f"{where} is {value!r}; expected 'a', 'b', 'tie' or None")
    return code


def _votes(votes: Sequence[Verdict], where: str) -> tuple[int, int, int]:
    if isinstance(votes, str):
        raise InvalidRatingsError(f"{where} must be a sequence of verdicts, not {votes!r}")
    a, b, tie = votes.count("a"), votes.count("b"), votes.count("tie")
    if a + b + tie != len(votes):
        bad = next(v for v in votes if v not in _CODE)
        raise InvalidRatingsError(f"{where} has the vote {bad!r}; expected 'a', 'b' or 'tie'")
    return a, b, tie


def judge_verdict(first: Verdict | None, swapped: Verdict | None) -> Verdict | None:
    """The judge's verdict from its two orders (both in item terms): the one answered, or
    their common verdict, or ``"tie"`` when they differ.

    >>> judge_verdict("a", "a"), judge_verdict("a", None), judge_verdict("a", "b")
    ('a', 'a', 'tie')
    """
    _code(first, "first"), _code(swapped, "swapped")
    if first is None:
        return swapped
    return first if swapped is None or swapped == first else "tie"


def human_consensus(votes: Sequence[Verdict]) -> Verdict | None:
    """The plurality of ``votes``; ``"tie"`` when two verdicts share the most votes; ``None``
    without votes.

    >>> human_consensus(["a", "a", "b"]), human_consensus(["a", "b"]), human_consensus([])
    ('a', 'tie', None)
    """
    counts = _votes(votes, "votes")
    top = max(counts)
    if top == 0:
        return None
    winners = [v for v, c in zip(VERDICTS, counts, strict=True) if c == top]
    return winners[0] if len(winners) == 1 else "tie"


@dataclass(frozen=True, slots=True)
class _Coded:
    votes: IntArray  # n × 3: votes a, b, tie
    first: IntArray  # verdict codes, −1 for None
    swapped: IntArray
    judge: IntArray
    human: IntArray  # consensus codes, −1 without votes
    category: IntArray  # index in `categories`, −1 for None
    categories: list[str]


def _coded(items: Sequence[JudgedItem]) -> _Coded:
    votes: list[tuple[int, int, int]] = []
    first: list[int] = []
    swapped: list[int] = []
    category: list[str | None] = []
    seen: set[str] = set()
    for k, x in enumerate(items):
        if not isinstance(x, JudgedItem):
            raise InvalidRatingsError(f"item {k} is a {type(x).__name__}, not a JudgedItem")
        if not isinstance(x.item, str):
            raise InvalidRatingsError(f"item {k} has the id {x.item!r}; expected a string")
        if x.item in seen:
            raise InvalidRatingsError(f"item {x.item!r} appears twice")
        seen.add(x.item)
        if x.category is not None and not isinstance(x.category, str):
            raise InvalidRatingsError(f"item {x.item!r} has the category {x.category!r}")
        votes.append(_votes(x.human, f"item {x.item!r}"))
        first.append(_code(x.first, f"item {x.item!r}: first"))
        swapped.append(_code(x.swapped, f"item {x.item!r}: swapped"))
        category.append(x.category)
    v = np.array(votes, dtype=np.int64).reshape(-1, 3)
    f, s = np.array(first, dtype=np.int64), np.array(swapped, dtype=np.int64)
    judge = np.where(f < 0, s, np.where((s < 0) | (s == f), f, 2))
    top = v.max(axis=1, initial=0)
    split = (v == top[:, None]).sum(axis=1) > 1
    human = np.where(top == 0, -1, np.where(split, 2, v.argmax(axis=1)))
    names = sorted({c for c in category if c is not None})
    index = {c: j for j, c in enumerate(names)}
    cat = np.array([-1 if c is None else index[c] for c in category], dtype=np.int64)
    return _Coded(v, f, s, judge, human, cat, names)


def _agreement(
    human: IntArray,
    judge: IntArray,
    n_resamples: int,
    confidence: float,
    seed: np.random.SeedSequence,
) -> Agreement:
    """Percent agreement and κ of ``judge`` with ``human`` (codes 0–2), item bootstrap."""
    keys = human * 3 + judge
    n = keys.size
    cells = np.bincount(keys, minlength=9)
    confusion: dict[str, dict[str, int]] = {
        h: {j: int(cells[3 * a + b]) for b, j in enumerate(VERDICTS)}
        for a, h in enumerate(VERDICTS)
    }
    if n == 0:
        return Agreement(0, None, None, confusion)
    first, counts = _types(keys)
    table = _table(first.size, 9, np.arange(first.size), keys[first])

    def metrics(sums: FloatArray) -> FloatArray:
        square = sums.reshape(-1, 3, 3)
        agree = np.trace(square, axis1=1, axis2=2)
        chance = (square.sum(axis=2) * square.sum(axis=1)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            kappa = np.where(n * n > chance, (n * agree - chance) / (n * n - chance), np.nan)
        return np.column_stack([agree / n, kappa])

    rng = np.random.default_rng(seed)
    percent, kappa = _bootstrap(table, counts, metrics, n_resamples, confidence, rng)[0]
    return Agreement(n, _estimate(percent, n, 0.0), _estimate(kappa, n, -1.0), confusion)


def _estimate(e: model_comparison.Estimate, n: int, least: float) -> Estimate | None:
    """``None`` for an undefined value; an interval undefined on every resample is the whole
    range ``[least, 1]``."""
    if not math.isfinite(e.value):
        return None
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return Estimate(e.value, least, 1.0, n)
    return Estimate(e.value, e.low, e.high, n)


def _share(successes: int, n: int, confidence: float) -> Share | None:
    if n == 0:
        return None
    low, high = wilson_interval(np.array([successes]), np.array([n]), confidence)
    return Share(successes / n, float(low[0]), float(high[0]), n)


def _position_bias(c: _Coded, confidence: float) -> PositionBias:
    decisive = int(
        ((c.first == 0) | (c.first == 1)).sum() + ((c.swapped == 0) | (c.swapped == 1)).sum()
    )
    picked_first = int((c.first == 0).sum() + (c.swapped == 1).sum())
    pairs = (c.first >= 0) & (c.swapped >= 0)
    n_pairs = int(pairs.sum())
    differ = int((c.first != c.swapped)[pairs].sum())
    return PositionBias(
        _share(picked_first, decisive, confidence), _share(differ, n_pairs, confidence), n_pairs
    )


def _disagreements(
    items: Sequence[JudgedItem], c: _Coded, judged: _BoolArray, top: int
) -> list[Disagreement]:
    # in half points (a = 2, tie = 1, b = 0), so that the gap is one correctly rounded ratio
    answered = (c.first >= 0).astype(np.int64) + (c.swapped >= 0)
    judge = np.where(c.first >= 0, _HALVES[c.first], 0) + np.where(
        c.swapped >= 0, _HALVES[c.swapped], 0
    )
    n_votes = c.votes.sum(axis=1)
    human = 2 * c.votes[:, 0] + c.votes[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(answered * human - n_votes * judge) / (2 * n_votes * answered)
    rows = np.flatnonzero(judged & (gap > 0))
    if rows.size == 0 or top == 0:
        return []
    rank = np.empty(rows.size, dtype=np.int64)
    rank[np.argsort(np.array([items[k].item for k in rows.tolist()]), kind="stable")] = np.arange(
        rows.size
    )
    rows = rows[np.lexsort((rank, -n_votes[rows], -gap[rows]))[:top]]
    out = []
    for k in rows.tolist():
        x = items[k]
        a, b, tie = (int(v) for v in c.votes[k])
        out.append(
            Disagreement(
                x.item, x.category, (a, b, tie), VERDICTS[int(c.judge[k])], x.first, x.swapped,
                float(gap[k]),
            )
        )  # fmt: skip
    return out


def calibrate(
    items: Sequence[JudgedItem],
    *,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
    top: int = 50,
) -> Calibration:
    """The judge against the people on ``items`` (definitions in the module docstring).

    ``overall`` and each of ``by_category`` (one per category name any item has; ``{}`` when
    none has one) count the items with a judge verdict and at least one vote, a category its
    own items only; ``position_bias`` counts every item with a judge verdict, voted on or
    not. ``disagreements``: the ``top`` items with the largest gap > 0, ties broken by more
    votes, then by item id. ``confidence`` sets the bootstrap and Wilson intervals; the
    resamples are seeded by ``seed`` (one stream per group).

    Raises :class:`InvalidRatingsError` for an item that is not a :class:`JudgedItem`, a
    repeated item id, a verdict other than ``"a"``, ``"b"``, ``"tie"`` (or ``None`` for the
    judge), ``n_resamples < 1``, ``confidence`` outside (0, 1) or ``top < 0``.

    >>> items = [
    ...     JudgedItem("p1", None, ("a", "a", "b"), "a", "a"),
    ...     JudgedItem("p2", None, ("b",), "a", "b"),  # the judge picks what it sees first
    ...     JudgedItem("p3", None, ("b", "b"), "b", "b"),
    ...     JudgedItem("p4", None, (), "b", None),
    ... ]
    >>> c = calibrate(items, n_resamples=200)
    >>> c.overall.items, round(c.overall.percent.value, 3), c.judged, c.judge_only
    (3, 0.667, 3, 1)
    >>> c.position_bias.first_position.share, c.position_bias.inconsistent.share
    (0.5714285714285714, 0.3333333333333333)
    >>> [(d.item, d.judge, d.gap) for d in c.disagreements]
    [('p2', 'tie', 0.5), ('p1', 'a', 0.3333333333333333)]
    """
    _check_resampling(n_resamples, confidence)
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 0:
        raise InvalidRatingsError(f"top must be an integer ≥ 0, got {top!r}")
    c = _coded(items)
    has_judge, has_votes = c.judge >= 0, c.human >= 0
    judged = has_judge & has_votes
    streams = np.random.SeedSequence(seed).spawn(1 + len(c.categories))

    def agreement(rows: _BoolArray, stream: np.random.SeedSequence) -> Agreement:
        return _agreement(c.human[rows], c.judge[rows], n_resamples, confidence, stream)

    return Calibration(
        overall=agreement(judged, streams[0]),
        by_category={
            name: agreement(judged & (c.category == j), streams[1 + j])
            for j, name in enumerate(c.categories)
        },
        position_bias=_position_bias(c, confidence),
        disagreements=_disagreements(items, c, judged, int(top)),
        judged=int(judged.sum()),
        humans_only=int((has_votes & ~has_judge).sum()),
        judge_only=int((has_judge & ~has_votes).sum()),
    )
