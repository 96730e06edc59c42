"""Comparing two vendors' gold accuracy: Newcombe's intervals (independent and paired) and
McNemar's exact test, against statsmodels' values, Newcombe's published example, a
transcription of the paired formula and the coverage the paired interval promises."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labelworks.stats.vendor_comparison import Difference, independent, mcnemar, paired

# statsmodels 0.15.0: confint_proportions_2indep(x1, n1, x2, n2, method="newcomb").
STATSMODELS_NEWCOMBE = [
    ((56, 70, 48, 80), (0.05243147240236498, 0.33387265403690614)),
    ((9, 10, 3, 10), (0.1705227239345029, 0.809017973535488)),
    ((0, 10, 0, 20), (-0.1611251580528194, 0.27753279986288926)),
    ((10, 10, 0, 12), (0.6314517694202744, 1.0)),
    ((45, 50, 38, 50), (-0.009397279766490796, 0.2855506705896387)),
]
# statsmodels 0.15.0: mcnemar([[both, only_a], [only_b, neither]], exact=True).pvalue.
STATSMODELS_MCNEMAR = [
    ((1, 1, 7, 12), 0.0703125),
    ((59, 6, 16, 80), 0.052478790283203125),
    ((20, 0, 0, 5), 1.0),
    ((30, 12, 3, 5), 0.03515625),
]


@pytest.mark.parametrize(("counts", "expected"), STATSMODELS_NEWCOMBE)
def test_independent_matches_statsmodels(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    """Newcombe's hybrid score interval equals statsmodels' to 1e-12."""
    found = independent(*counts)
    assert found.low == pytest.approx(expected[0], abs=1e-12)
    assert found.high == pytest.approx(expected[1], abs=1e-12)


def test_newcombes_published_example() -> None:
    """Newcombe (1998), method 10 on 56/70 − 48/80: 0.2 with 95% interval 0.0524 to
    0.3339, significant."""
    found = independent(56, 70, 48, 80)
    assert (found.design, round(found.estimate, 4), round(found.low, 4), round(found.high, 4)) == (
        "independent",
        0.2,
        0.0524,
        0.3339,
    )
    assert (found.significant, found.p_value) == (True, None)


@pytest.mark.parametrize(("table", "expected"), STATSMODELS_MCNEMAR)
def test_mcnemar_matches_statsmodels(table: tuple[int, int, int, int], expected: float) -> None:
    """McNemar's exact p-value from the discordant items equals statsmodels'."""
    assert mcnemar(table[1], table[2]) == pytest.approx(expected, rel=1e-12)
    assert paired(*table).p_value == pytest.approx(expected, rel=1e-12)


def _wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    centre = (2 * x + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * x * (1 - x / n)) / (2 * (n + z * z))
    return centre - half, centre + half


def _paired_reference(n11: int, n12: int, n21: int, n22: int) -> tuple[float, float]:
    """Fagerland, Lydersen & Laake (2017), §8.5, from the 2×2 table's margins."""
    n = n11 + n12 + n21 + n22
    r1, r2, c1, c2 = n11 + n12, n21 + n22, n11 + n21, n12 + n22
    p1, p2 = r1 / n, c1 / n
    l1, u1 = _wilson(r1, n)
    l2, u2 = _wilson(c1, n)
    if 0 in (r1, r2, c1, c2):
        psi = 0.0
    else:
        a = n11 * n22 - n12 * n21
        psi = (a - n / 2 if a > n / 2 else (0.0 if a >= 0 else a)) / math.sqrt(r1 * r2 * c1 * c2)
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * psi * (p1 - l1) * (u2 - p2))
    high = p1 - p2 + math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * psi * (p2 - l2) * (u1 - p1))
    return low, high


@pytest.mark.parametrize(
    "table", [(1, 1, 7, 12), (59, 6, 16, 80), (30, 12, 3, 5), (5, 0, 0, 0), (40, 2, 9, 1)]
)
def test_paired_matches_the_reference_formula(table: tuple[int, int, int, int]) -> None:
    """The paired interval equals a transcription written from the book's 2×2 margins."""
    found = paired(*table)
    low, high = _paired_reference(*table)
    assert (found.low, found.high) == pytest.approx((max(-1, low), min(1, high)), abs=1e-12)
    n = sum(table)
    expected = Difference(
        "paired",
        n,
        n,
        (table[0] + table[1]) / n,
        (table[0] + table[2]) / n,
        (table[1] - table[2]) / n,
        found.low,
        found.high,
        found.p_value,
    )
    assert _close(found, expected)


def _close(a: Difference, b: Difference) -> bool:
    return (a.design, a.n_a, a.n_b) == (b.design, b.n_a, b.n_b) and all(
        math.isclose(x, y, abs_tol=1e-12)
        for x, y in zip(
            (a.accuracy_a, a.accuracy_b, a.estimate, a.low, a.high),
            (b.accuracy_a, b.accuracy_b, b.estimate, b.low, b.high),
            strict=True,
        )
    )


def test_paired_interval_covers_about_95_percent() -> None:
    """On 2,000 simulated studies of 80 correlated items (A right 85%, B 75%), the paired
    interval holds the true difference 0.10 between 93% and 98% of the time."""
    rng = np.random.default_rng(20261202)
    # Cells (both, only A, only B, neither) with P(A) = 0.85, P(B) = 0.75.
    cells = np.array([0.70, 0.15, 0.05, 0.10])
    tables = rng.multinomial(80, cells, size=2000)
    found = [paired(*map(int, t)) for t in tables]
    covered = sum(1 for d in found if d.low <= 0.10 <= d.high)
    assert 0.93 <= covered / 2000 <= 0.98


def test_empty_sides_are_refused() -> None:
    """No answers on a side, or no shared items, is an error rather than 0/0."""
    with pytest.raises(ValueError, match="at least one answer"):
        independent(0, 0, 3, 4)
    with pytest.raises(ValueError, match="share no item"):
        paired(0, 0, 0, 0)
