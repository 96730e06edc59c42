"""Comparing two vendors' accuracy on gold: the difference with its 95% interval and the
right test for how the answers were drawn.

- The same gold items answered by both (paired): McNemar's exact test on the items only
  one vendor got right, and Newcombe's interval for a difference of paired proportions
  (Newcombe 1998, "Improved confidence intervals for the difference between binomial
  proportions based on paired data", Statistics in Medicine 17:2635, method 10: Wilson
  intervals of each margin combined with the estimated correlation φ, corrected for
  continuity as there; Fagerland, Lydersen & Laake 2017, *Statistical Analysis of
  Contingency Tables*, §8.5, "Newcombe square-and-add").
- Different gold items (independent): Newcombe's hybrid score interval (Newcombe 1998,
  "Interval estimation for the difference between independent proportions: comparison of
  eleven methods", Statistics in Medicine 17:873, method 10), as statsmodels'
  ``confint_proportions_2indep(method="newcomb")``; the difference is significant at 5%
  when the interval leaves out 0.

Both differences are A − B.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy.stats import binom

from labelworks.domain.gold import wilson_bounds

Design = Literal["paired", "independent"]


@dataclass(frozen=True, slots=True)
class Difference:
    """Accuracy of A and of B, their difference A − B with its 95% interval, the design
    it was read under, and McNemar's exact p-value (paired only)."""

    design: Design
    n_a: int
    n_b: int
    accuracy_a: float
    accuracy_b: float
    estimate: float
    low: float
    high: float
    p_value: float | None = None

    @property
    def significant(self) -> bool:
        """Whether the 95% interval leaves out no difference."""
        return self.low > 0 or self.high < 0


def independent(correct_a: int, n_a: int, correct_b: int, n_b: int) -> Difference:
    """Newcombe's hybrid score interval for ``correct_a/n_a − correct_b/n_b``."""
    if n_a <= 0 or n_b <= 0:
        raise ValueError("each side needs at least one answer")
    p1, p2 = correct_a / n_a, correct_b / n_b
    l1, u1 = wilson_bounds(correct_a, n_a)
    l2, u2 = wilson_bounds(correct_b, n_b)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference("independent", n_a, n_b, p1, p2, d, max(-1.0, low), min(1.0, high))


def paired(both: int, only_a: int, only_b: int, neither: int) -> Difference:
    """Newcombe's interval for paired proportions and McNemar's exact test, from the
    items both got right, only A, only B, and neither."""
    n = both + only_a + only_b + neither
    if n <= 0:
        raise ValueError("the vendors share no item")
    a_right, b_right = both + only_a, both + only_b
    p1, p2 = a_right / n, b_right / n
    l1, u1 = wilson_bounds(a_right, n)
    l2, u2 = wilson_bounds(b_right, n)
    phi = _phi(both, only_a, only_b, neither)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = d + math.sqrt(
        max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    )
    return Difference(
        "paired", n, n, p1, p2, d, max(-1.0, low), min(1.0, high), mcnemar(only_a, only_b)
    )


def _phi(a: int, b: int, c: int, d: int) -> float:
    """The correlation of the paired outcomes, with Newcombe's continuity correction
    (0 when a margin is empty)."""
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    cross = a * d - b * c
    if cross > n / 2:
        cross_used = cross - n / 2
    elif cross >= 0:
        cross_used = 0.0
    else:
        cross_used = float(cross)
    return cross_used / math.sqrt(margins)


def mcnemar(only_a: int, only_b: int) -> float:
    """McNemar's exact p-value: twice the smaller binomial tail of the discordant items
    (1.0 when there are none), as statsmodels' ``mcnemar(table, exact=True)``."""
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(only_a, only_b), discordant, 0.5)))
