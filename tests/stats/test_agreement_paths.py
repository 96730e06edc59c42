"""The coefficients' fast paths against their general ones: dense count matrices against
the sparse triples, column totals of the kept blocks against the bootstrap's stacked table,
and Cohen's joint table against a plain Python count."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.stats import InvalidRatingsError, Ratings
from labelworks.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    coincidence_matrix,
    conger_kappa,
    disagreement_matrix,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    item_agreement,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
    weight_matrix,
)
from labelworks.stats.statistic import item_statistics_for

PROPERTY = settings(max_examples=120, deadline=None)
WEIGHTS = [None, "linear", "quadratic"]

Metric = Callable[[Ratings], Any]
METRICS: dict[str, Metric] = {
    **{f"percent {w}": (lambda r, w=w: percent_agreement(r, w)) for w in WEIGHTS},
    **{f"fleiss {w}": (lambda r, w=w: fleiss_kappa(r, w)) for w in WEIGHTS},
    **{f"scott {w}": (lambda r, w=w: scott_pi(r, w)) for w in WEIGHTS},
    **{f"bp {w}": (lambda r, w=w: brennan_prediger(r, w)) for w in WEIGHTS},
    **{f"conger {w}": (lambda r, w=w: conger_kappa(r, w)) for w in WEIGHTS},
    **{f"cohen {w}": (lambda r, w=w: cohen_kappa(r, w)) for w in WEIGHTS},
    "gwet ac1": gwet_ac1,
    "gwet ac2": gwet_ac2,
    **{
        f"alpha {lv}": (lambda r, lv=lv: krippendorff_alpha(r, lv)) for lv in ("nominal", "ordinal")
    },
    "coincidences": lambda r: coincidence_matrix(r).tolist(),
    "disagreements": lambda r: disagreement_matrix(r).counts.tolist(),
    "item pairwise": lambda r: item_agreement(r),
    "item majority": lambda r: item_agreement(r, "majority"),
}


@st.composite
def tables(draw: st.DrawFn, annotators: int | None = None) -> Ratings:
    """Small tables with missing ratings, items rated once, unused categories and, now and
    then, more categories than an int8 holds."""
    a = annotators or draw(st.integers(2, 5))
    n = draw(st.integers(1, 12))
    q = draw(st.sampled_from([2, 3, 5, 130]))
    used = draw(st.lists(st.integers(0, q - 1), min_size=1, max_size=4, unique=True))
    cells = draw(st.lists(st.sampled_from([-1, *used]), min_size=n * a, max_size=n * a))
    rows = [(i, j, cells[i * a + j]) for i in range(n) for j in range(a) if cells[i * a + j] >= 0]
    if not rows:
        rows = [(0, 0, used[0])]
    return Ratings.from_records(rows, categories=list(range(q)))


def outcome(metric: Metric, r: Ratings) -> Any:
    try:
        return metric(r)
    except InvalidRatingsError as exc:
        return ("error", str(exc))


def close(a: Any, b: Any) -> bool:
    """Equal, numbers to 1e-12 (NaN equal to NaN), containers element by element."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int):
        both_nan = math.isnan(a) and math.isnan(b)
        return both_nan or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


@given(tables())
@PROPERTY
def test_dense_counts_give_what_the_sparse_triples_give(r: Ratings) -> None:
    """Every coefficient built on per-item category counts gives the same value (to 1e-12)
    or error from the dense matrix as from the sparse triples."""
    dense = {name: outcome(metric, r) for name, metric in METRICS.items()}
    with (
        mock.patch("labelworks.stats.statistic._DENSE_CELLS", -1),
        mock.patch("labelworks.stats.statistic._DENSE_PER_RATING", 0),
    ):
        sparse = {name: outcome(metric, r) for name, metric in METRICS.items()}
    assert [name for name in METRICS if not close(dense[name], sparse[name])] == []


RESAMPLABLE: list[tuple[Callable[..., float], dict[str, Any]]] = [
    *[(f, {"weights": w}) for f in (percent_agreement, fleiss_kappa, scott_pi) for w in WEIGHTS],
    *[(f, {"weights": w}) for f in (brennan_prediger, conger_kappa, cohen_kappa) for w in WEIGHTS],
    (gwet_ac1, {}),
    (gwet_ac2, {"weights": "quadratic"}),
    *[(krippendorff_alpha, {"level": lv}) for lv in ("nominal", "ordinal", "interval")],
]


@given(tables())
@PROPERTY
def test_block_totals_give_what_the_stacked_table_gives(r: Ratings) -> None:
    """A coefficient from its blocks' column totals equals (to 1e-12) the one from the
    column sums of the single table the bootstrap stacks them into."""
    mismatched = []
    for metric, kwargs in RESAMPLABLE:
        builder = item_statistics_for(metric)
        assert builder is not None
        try:
            stats = builder(r, **kwargs)
        except InvalidRatingsError:
            continue
        stacked = np.asarray(stats._table.sum(axis=0), dtype=np.float64).reshape(1, -1)
        if not close(stats.value(), float(stats.finish(stacked)[0])):
            mismatched.append((metric.__name__, kwargs))
    assert mismatched == []


def cohen_by_hand(r: Ratings, weights: Any) -> float:
    """Cohen's kappa over the items both annotators rated, from a dict of label pairs."""
    q = r.n_categories
    w = weight_matrix(weights, q).tolist()
    labels = {
        (i, a): k
        for i, a, k in zip(r.item.tolist(), r.annotator.tolist(), r.label.tolist(), strict=True)
    }
    both = [
        (labels[i, 0], labels[i, 1]) for i in range(r.n_items) if {(i, 0), (i, 1)} <= labels.keys()
    ]
    if not both:
        raise InvalidRatingsError("the two annotators share no rated item")
    n = len(both)
    rows = [sum(k == c for k, _ in both) / n for c in range(q)]
    cols = [sum(m == c for _, m in both) / n for c in range(q)]
    po = sum(w[k][m] for k, m in both) / n
    pe = sum(w[k][m] * rows[k] * cols[m] for k in range(q) for m in range(q))
    return (po - pe) / (1 - pe) if abs(1 - pe) > 1e-12 else math.nan


@given(tables(annotators=2), st.sampled_from(WEIGHTS))
@PROPERTY
def test_cohen_joint_table_is_the_hand_count(r: Ratings, weights: Any) -> None:
    """Cohen's kappa (weighted too, up to 130 categories) equals the kappa of a joint table
    counted by hand over the items both annotators rated, or both refuse the table."""
    expected = outcome(lambda t: cohen_by_hand(t, weights), r) if r.n_annotators == 2 else None
    got = outcome(lambda t: cohen_kappa(t, weights), r)
    assert expected is None or close(got, expected), (got, expected)
