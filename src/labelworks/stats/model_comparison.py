"""Paired comparison of two models on the same items, and the item bootstrap and input
checks behind every metric of :mod:`labelworks.stats.model_metrics`.

Every model metric is a function of sums of per-item contributions (confusion counts,
matched objects, Brier scores, …), so a bootstrap resample is a vector of item
multiplicities ``w`` and its sums are ``w @ contributions``. Items with equal contributions
form a type; drawing ``n`` items uniformly with replacement draws the types'
multiplicities from Multinomial(n, counts / n) (the bootstrap's resampling vector, Efron &
Tibshirani 1993, *An Introduction to the Bootstrap*), so with few types (a classifier's
``k²`` confusion cells) a resample costs ``O(types)``, not ``O(n)``; otherwise items are
drawn and counted, in chunks of bounded memory. The interval is the percentile interval of
the defined replicates (Efron & Tibshirani 1993, ch. 13), widened to include the estimate
in the rare case it lies outside, NaN when no replicate is defined.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from scipy import sparse
from scipy.stats import binom

from labelworks.stats.ratings import FloatArray, IntArray, InvalidRatingsError

# Cap on the cells (resamples × types, items or columns) held at once: ~32 MB of float64.
_CHUNK_CELLS = 4_000_000
# A multinomial draw costs about as much per type as 32 item draws and their count do.
_MULTINOMIAL_SHARE = 32
# Above this many types (or items) a resample's counts are made one resample at a time.
_ROW_BY_ROW = 32_768
_K = TypeVar("_K", bound=Hashable)
_Objects = Sequence[tuple[tuple[float, ...], str]]
_Found = list[tuple[tuple[float, ...], str]]


@dataclass(frozen=True)
class Estimate:
    """A metric on the sample (NaN when undefined) and its percentile bootstrap interval
    over items (NaN when undefined on every resample)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class McNemar:
    """McNemar's test (McNemar 1947, "Note on the sampling error of the difference between
    correlated proportions or percentages", Psychometrika 12) in its exact form: given the
    ``only_a + only_b`` discordant items, ``only_a`` is Binomial(·, ½) when both models are
    equally accurate; ``p_value = min(1, 2 P(X ≤ min(only_a, only_b)))``, as statsmodels'
    ``mcnemar(table, exact=True)`` (Fagerland, Lydersen & Laake 2013, BMC Med Res Methodol
    13:91); 1.0 when there are no discordant items."""

    only_a: int
    only_b: int
    p_value: float


@dataclass(frozen=True)
class PairedComparison:
    """Two models' accuracy and macro F1 on the same items; the differences are B − A with
    paired bootstrap intervals (the same resampled items for both models: Koehn 2004,
    "Statistical significance tests for machine translation evaluation", EMNLP)."""

    n: int
    accuracy_a: float
    accuracy_b: float
    accuracy_difference: Estimate
    macro_f1_a: float
    macro_f1_b: float
    macro_f1_difference: Estimate
    mcnemar: McNemar


def paired_comparison(
    reference: Sequence[str],
    predicted_a: Sequence[str],
    predicted_b: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> PairedComparison:
    """Compare models A and B on the same items: accuracy and macro F1 (as in
    :func:`~labelworks.stats.model_metrics.classification_report`) of each, their
    differences B − A with paired bootstrap intervals, and McNemar's exact test.

    A difference whose interval excludes 0 is one the items support at that confidence.
    Swapping A and B negates every difference and its interval exactly; a model against
    itself differs by exactly 0, with interval [0, 0].

    >>> ref = ["x", "x", "y", "y", "y"]
    >>> c = paired_comparison(ref, ["x", "y", "y", "x", "x"], ref, seed=0)
    >>> c.accuracy_difference.value, c.mcnemar
    (0.6, McNemar(only_a=0, only_b=3, p_value=0.25))
    """
    _check_resampling(n_resamples, confidence)
    sides = {"reference": reference, "predicted_a": predicted_a, "predicted_b": predicted_b}
    names, (ref, a, b) = _encode(sides, labels)
    n, k = ref.size, len(names)
    first, counts = _types((ref * k + a) * k + b)
    r, x, y, rows = ref[first], a[first], b[first], np.arange(first.size)
    hit_a, hit_b = r == x, r == y
    # columns: correct A, correct B, then per label tp A, predicted A, tp B, predicted B, support
    table = _table(
        first.size,
        2 + 5 * k,
        np.concatenate([rows[hit_a], rows[hit_b], rows[hit_a], rows, rows[hit_b], rows, rows]),
        np.concatenate([
            np.zeros(int(hit_a.sum()), np.int64), np.ones(int(hit_b.sum()), np.int64),
            2 + r[hit_a], 2 + k + x, 2 + 2 * k + r[hit_b], 2 + 3 * k + y, 2 + 4 * k + r,
        ]),
    )  # fmt: skip

    def metrics(sums: FloatArray) -> FloatArray:
        support, f1 = sums[:, 2 + 4 * k :], []
        for start in (2, 2 + 2 * k):
            tp, guessed = sums[:, start : start + k], sums[:, start + k : start + 2 * k]
            f1.append(_macro_f1(_scores(tp, support, guessed)[:, 2 * k :], support, guessed))
        acc_a, acc_b = sums[:, 0] / n, sums[:, 1] / n
        return np.column_stack([acc_a, acc_b, acc_b - acc_a, f1[0], f1[1], f1[1] - f1[0]])

    rng = np.random.default_rng(seed)
    values, _ = _bootstrap(table, counts, metrics, n_resamples, confidence, rng)
    correct_a, correct_b = a == ref, b == ref
    only_a = int(np.count_nonzero(correct_a & ~correct_b))
    only_b = int(np.count_nonzero(correct_b & ~correct_a))
    return PairedComparison(
        n, values[0].value, values[1].value, values[2], values[3].value, values[4].value,
        values[5], McNemar(only_a, only_b, _mcnemar_p(only_a, only_b)),
    )  # fmt: skip


def _mcnemar_p(only_a: int, only_b: int) -> float:
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(only_a, only_b), discordant, 0.5)))


def _check_resampling(n_resamples: int, confidence: float) -> None:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise InvalidRatingsError(f"n_resamples must be an integer, got {n_resamples!r}")
    if n_resamples < 1:
        raise InvalidRatingsError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise InvalidRatingsError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def _check_lengths(sides: Mapping[str, Sequence[Any]]) -> int:
    """The common length of the sides, which must be equal and not 0."""
    lengths = {side: len(values) for side, values in sides.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{side} has {m}" for side, m in lengths.items())
        raise InvalidRatingsError(f"lengths differ: {described} items")
    n = next(iter(lengths.values()))
    if n == 0:
        raise InvalidRatingsError(f"no items: {' and '.join(lengths)} are empty")
    return n


def _label_names(values: Iterable[Any], labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        try:
            return sorted(set(values))
        except TypeError as exc:
            raise InvalidRatingsError(f"labels cannot be sorted ({exc}); pass labels=") from exc
    if isinstance(labels, str):
        raise InvalidRatingsError(f"labels must be a sequence of labels, not the string {labels!r}")
    names = list(labels)
    repeated = sorted(str(x) for x, m in Counter(names).items() if m > 1)
    if repeated:
        raise InvalidRatingsError(f"labels repeat {', '.join(repeated)}")
    return names


def _known(values: Collection[Hashable], index: dict[str, int], where: str) -> None:
    unknown = [x for x in values if x not in index]
    if unknown:
        raise InvalidRatingsError(
            f"{where}: label {unknown[0]!r} is not among the {len(index)} labels"
        )


def _encode(
    sides: dict[str, Sequence[str]], labels: Sequence[str] | None
) -> tuple[list[str], list[IntArray]]:
    """The label names and each side's label codes."""
    for side, values in sides.items():
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise InvalidRatingsError(f"{side} must be a sequence of labels, got {values!r:.60}")
    _check_lengths(sides)
    try:
        names = _label_names([x for values in sides.values() for x in values], labels)
        index = {name: j for j, name in enumerate(names)}
        codes = []
        for side, values in sides.items():
            found = np.fromiter((index.get(x, -1) for x in values), np.int64, len(values))
            if (found < 0).any():
                i = int(np.argmax(found < 0))
                _known([values[i]], index, f"{side} item {i}")
            codes.append(found)
    except TypeError as exc:  # an unhashable label
        raise InvalidRatingsError(f"labels must be hashable strings ({exc})") from exc
    return names, codes


def _label_sets(items: Sequence[Collection[str]], side: str) -> list[frozenset[str]]:
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise InvalidRatingsError(f"{side} must be a sequence of label collections")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str) or not isinstance(item, Collection):
            raise InvalidRatingsError(
                f"{side} item {i} must be a collection of labels, got {item!r:.60}"
            )
        try:
            out.append(frozenset(item))
        except TypeError as exc:
            raise InvalidRatingsError(f"{side} item {i} has an unhashable label") from exc
    return out


def _objects(items: Sequence[_Objects], side: str) -> list[_Found]:
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise InvalidRatingsError(f"{side} must be a sequence of items (lists of objects)")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str) or not isinstance(item, Sequence):
            raise InvalidRatingsError(f"{side} item {i} must be a list of (coordinates, label)")
        objects = []
        for j, obj in enumerate(item):
            where = f"{side} item {i}, object {j}"
            try:
                coords, label = obj
                c = tuple(float(v) for v in coords)
                hash(label)
            except (TypeError, ValueError) as exc:
                raise InvalidRatingsError(f"{where} is not (coordinates, label): {obj!r}") from exc
            half = len(c) // 2
            if (
                len(c) not in (2, 4)
                or not all(np.isfinite(c))
                or any(c[d + half] <= c[d] for d in range(half))
            ):
                raise InvalidRatingsError(
                    f"{where} needs finite (start, end) or (x_min, y_min, x_max, y_max) "
                    f"coordinates with end > start, got {coords!r}"
                )
            objects.append((c, label))
        out.append(objects)
    return out


def _types(keys: IntArray) -> tuple[IntArray, IntArray]:
    """The first item of each distinct key, in order of first appearance (so the types, and
    the resamples drawn over them, do not depend on how keys are numbered), and its count."""
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first)
    return first[order], counts[order]


def _table(
    types: int, columns: int, rows: IntArray, cols: IntArray, data: Any = None
) -> sparse.csr_array:
    """The contributions of one item of each type: ``data`` (default 1) at (rows, cols)."""
    values = np.ones(rows.size) if data is None else np.asarray(data, dtype=np.float64)
    return sparse.csr_array((values, (rows, cols)), shape=(types, columns))


def _distinct(keys: Iterable[_K]) -> tuple[list[_K], IntArray]:
    """The distinct keys (item types) in order of first appearance, and their counts."""
    seen: dict[_K, int] = {}
    type_of = [seen.setdefault(key, len(seen)) for key in keys]
    return list(seen), np.bincount(np.array(type_of, dtype=np.int64), minlength=len(seen))


def _rows_table(rows: Sequence[Sequence[tuple[int, float]]], columns: int) -> sparse.csr_array:
    """The contributions table from each type's (column, value) pairs."""
    cells = [(t, c, v) for t, row in enumerate(rows) for c, v in row]
    t, c = (np.array([x[i] for x in cells], dtype=np.int64) for i in (0, 1))
    return _table(len(rows), columns, t, c, [x[2] for x in cells])


def _resampled_sums(
    table: sparse.csr_array, counts: IntArray, n_resamples: int, rng: np.random.Generator
) -> Iterator[FloatArray]:
    """Chunks (resamples × columns) of the column sums over bootstrap resamples of items."""
    t, n = counts.size, int(counts.sum())
    if t * _MULTINOMIAL_SHARE <= n:
        width = max(1, _CHUNK_CELLS // max(t, table.shape[1]))
        share = counts / n
        for start in range(0, n_resamples, width):
            drawn = rng.multinomial(n, share, size=min(width, n_resamples - start))
            yield np.asarray(drawn.astype(np.float64) @ table)
        return
    type_of = None if t == n else np.repeat(np.arange(t), counts)
    width = max(1, _CHUNK_CELLS // max(n, table.shape[1]))
    for start in range(0, n_resamples, width):
        b = min(width, n_resamples - start)
        if t > _ROW_BY_ROW:  # one resample at a time, so that its counts stay in cache
            weights = np.empty((b, t))
            for row in weights:
                draws = rng.integers(0, n, size=n)
                row[:] = np.bincount(draws if type_of is None else type_of[draws], minlength=t)
        else:
            draws = rng.integers(0, n, size=(b, n))
            draws = (draws if type_of is None else type_of[draws]) + (np.arange(b) * t)[:, None]
            weights = np.bincount(draws.ravel(), minlength=b * t).reshape(b, t).astype(np.float64)
        yield np.asarray(weights @ table)


def _bootstrap(
    table: sparse.csr_array,
    counts: IntArray,
    metrics: Callable[[FloatArray], FloatArray],
    n_resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[list[Estimate], FloatArray]:
    """The estimates of ``metrics`` (column sums → one column per metric) and the sums."""
    totals = np.asarray(counts.astype(np.float64) @ table).reshape(-1)
    values = metrics(totals[None, :])[0]
    replicates = np.concatenate(
        [metrics(s) for s in _resampled_sums(table, counts, n_resamples, rng)]
    )
    return _estimates(values, replicates, confidence), totals


def _estimates(values: FloatArray, replicates: FloatArray, confidence: float) -> list[Estimate]:
    """Each value with the percentile interval of its column of replicates (NaNs skipped).

    The upper bound is read as ``−percentile(−x, tail)`` rather than
    ``percentile(x, 100 − tail)``: the same number up to rounding, and exactly the negated
    lower bound of ``−x``, so the interval of a difference negates exactly when the
    difference does.
    """
    tail = (1 - confidence) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        low = np.nanpercentile(replicates, tail, axis=0)
        high = -np.nanpercentile(-replicates, tail, axis=0)
    defined = np.isfinite(values) & np.isfinite(low)
    low = np.where(defined, np.minimum(low, values), np.nan) + 0.0  # + 0.0: no −0
    high = np.where(defined, np.maximum(high, values), np.nan) + 0.0
    return [
        Estimate(float(v), float(a), float(b)) for v, a, b in zip(values, low, high, strict=True)
    ]


def _scores(tp: FloatArray, support: FloatArray, predicted: FloatArray) -> FloatArray:
    """Per-label [precision | recall | F1] (NaN where the denominator is 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        marked = support + predicted
        f1 = np.where(marked > 0, 2 * tp / marked, np.nan)
    return np.column_stack([precision, recall, f1])


def _macro_f1(f1: FloatArray, support: FloatArray, predicted: FloatArray) -> FloatArray:
    """Mean F1 over the labels with support or predictions (NaN when there are none)."""
    present = (support + predicted) > 0
    count = present.sum(axis=1)
    total = np.where(present, f1, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
