"""Sample sizes: gold answers for an accuracy within ±d (checked against scipy's Wilson
interval and by simulation) and items for α within ±d (checked against α recomputed on
drawn items)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from labelworks.domain.errors import InvalidInput
from labelworks.planning import alpha_items_needed, gold_needed, wilson_half_width
from labelworks.stats import Ratings
from labelworks.stats.krippendorff import krippendorff_alpha
from labelworks.stats.statistic import item_statistics_for


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 10), (50, 100), (37, 381), (95, 100)])
def test_wilson_half_width_is_scipy_s(k: int, n: int) -> None:
    """Half the width of scipy's Wilson interval for k of n, to 1e-12."""
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_half_width(k / n, n) == pytest.approx((ci.high - ci.low) / 2, abs=1e-12)


def test_gold_needed_by_hand_for_five_points_at_worst_case() -> None:
    """±5 points at 95%: 380 answers give a half-width of 0.05002, 381 give 0.04996."""
    assert gold_needed(0.05) == 381
    assert wilson_half_width(0.5, 380) == pytest.approx(0.050020, abs=1e-6)
    assert wilson_half_width(0.5, 381) == pytest.approx(0.049955, abs=1e-6)


@pytest.mark.parametrize(("d", "expected"), [(0.1, None), (0.05, 0.9), (0.02, 0.8), (0.03, None)])
def test_gold_needed_is_the_first_n_whose_interval_is_narrow_enough(
    d: float, expected: float | None
) -> None:
    """The answer equals a linear scan over n of scipy-independent half-widths."""
    p = 0.5 if expected is None else expected
    n = gold_needed(d, expected=expected)
    scan = next(m for m in range(1, 20_000) if wilson_half_width(p, m) <= d)
    assert n == scan


def test_gold_needed_holds_its_promise_by_simulation() -> None:
    """At the worst case p = 0.5 and n = 381 answers, every simulated Wilson interval is at
    most 0.05 wide on each side and they hold the truth 95% of the time."""
    n = gold_needed(0.05)
    rng = np.random.default_rng(1)
    correct = rng.binomial(n, 0.5, 4000)
    intervals = {k: binomtest(k, n).proportion_ci(method="wilson") for k in set(correct.tolist())}
    widths = [(intervals[k].high - intervals[k].low) / 2 for k in correct.tolist()]
    holds = sum(intervals[k].low <= 0.5 <= intervals[k].high for k in correct.tolist())
    assert max(widths) <= 0.05
    assert holds / 4000 == pytest.approx(0.95, abs=0.012)


@pytest.mark.parametrize(
    ("d", "expected", "message"),
    [
        (0, None, "the margin d must lie between 0 and 0.5, not 0"),
        (0.6, None, "the margin d must lie between 0 and 0.5, not 0.6"),
        (0.05, 1.2, "the expected accuracy must lie between 0 and 1, not 1.2"),
    ],
)
def test_gold_needed_refuses_a_bad_margin_or_accuracy(
    d: float, expected: float | None, message: str
) -> None:
    """A zero or too wide margin, an accuracy above 1: InvalidInput naming it."""
    with pytest.raises(InvalidInput) as caught:
        gold_needed(d, expected=expected)
    assert caught.value.message == message


def two_annotators(items: int, accuracy: float, seed: int) -> Ratings:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, items)
    columns = [
        np.where(rng.random(items) < accuracy, truth, rng.integers(0, 3, items)) for _ in range(2)
    ]
    return Ratings.from_matrix(np.stack(columns, axis=1))


def test_items_for_alpha_reach_the_margin_when_alpha_is_recomputed_on_drawn_items() -> None:
    """The items found for ±0.05 give, with α recomputed from scratch on 300 samples of
    that many items, a 95% half-width within 12% of 0.05; half the margin needs about four
    times the items."""
    r = two_annotators(300, 0.8, seed=3)
    stats = item_statistics_for(krippendorff_alpha)(r)
    found = alpha_items_needed(stats.resampled, r.n_items, 0.05, seed=1)
    rng = np.random.default_rng(2)
    alphas = [krippendorff_alpha(r.take_items(rng.integers(0, r.n_items, found.items)))
              for _ in range(300)]  # fmt: skip
    low, high = np.quantile(alphas, [0.025, 0.975])
    assert (high - low) / 2 == pytest.approx(0.05, rel=0.12)
    assert found.reached == pytest.approx(0.05, rel=0.12)
    assert [n for n, _ in found.curve] == [75, 150, 300]
    finer = alpha_items_needed(stats.resampled, r.n_items, 0.025, seed=1)
    assert finer.items / found.items == pytest.approx(4, rel=0.15)


def test_items_for_alpha_refuse_too_few_items_or_draws() -> None:
    """One item, or fewer than 50 draws: InvalidInput."""
    with pytest.raises(InvalidInput) as caught:
        alpha_items_needed(lambda c: c.sum(axis=1), 1, 0.05)
    assert caught.value.message == "α needs at least two items with two or more annotations"
    with pytest.raises(InvalidInput) as caught:
        alpha_items_needed(lambda c: c.sum(axis=1), 10, 0.05, draws=10)
    assert caught.value.message == "draws must be at least 50"
