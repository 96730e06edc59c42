"""The routing section's numbers: uncertainty priorities within their bounds, the shuffle
one-to-one and fixed per project, and the spec's routing checks."""

from __future__ import annotations

from labelworks.domain.routing import (
    ROUTED_MAX,
    SHUFFLE_MODULUS,
    RoutingSpec,
    order_problem,
    shuffle_of,
    uncertainty_priority,
)
from labelworks.domain.spec import spec_from_dict


def test_uncertainty_priority_puts_the_least_sure_first_within_bounds() -> None:
    """A sure answer gets 0, a coin toss half of ROUTED_MAX (truncated, as the SQL does),
    out-of-range scores the ends."""
    scores = [1.0, 0.9, 0.5, 1 / 3, 0.0, 1.2, -0.1]
    assert [uncertainty_priority(s) for s in scores] == [0, 1000, 5000, 6666, 10_000, 0, 10_000]
    assert ROUTED_MAX == 10_000


def test_the_shuffle_is_one_to_one_and_fixed_per_project() -> None:
    """Any run of SHUFFLE_MODULUS consecutive ids gets every priority below it once; the
    same project always shuffles alike, another project differently."""
    one = shuffle_of(1)
    window = [one.priority(i) for i in range(500, 500 + SHUFFLE_MODULUS)]
    assert sorted(window) == list(range(SHUFFLE_MODULUS))
    first = [one.priority(i) for i in range(1, 11)]
    assert first == [shuffle_of(1).priority(i) for i in range(1, 11)]
    assert first != [shuffle_of(2).priority(i) for i in range(1, 11)]
    assert first != sorted(first) and first != sorted(first, reverse=True)


def test_routing_checks() -> None:
    """Uncertainty needs an assist section; the others do not; the section defaults to
    sequential, and a spec without it has none."""
    assert order_problem("random", False) is None
    assert order_problem("uncertainty", True) is None
    assert (order_problem("uncertainty", False) or "").startswith("routing.order 'uncertainty'")
    assert RoutingSpec().order == "sequential"
    plain = {"name": "p", "fields": [{"name": "s", "kind": "choice", "labels": ["a", "b"]}]}
    assert spec_from_dict(plain).routing is None
    routed = spec_from_dict({**plain, "routing": {}})
    assert routed.routing == RoutingSpec(order="sequential")
