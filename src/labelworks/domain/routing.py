"""The spec's ``routing:`` section: in which order the items still waiting for their first
annotation are served (docs/project-spec.md, "routing").

- ``sequential`` (the default): in import order, as without the section.
- ``random``: in a fixed shuffled order of the project's own.
- ``uncertainty``: those the ``assist`` model is least sure about first (active learning).

Routing never touches the serving query: it writes the items' ``priority``, which the queue
already orders by, within ``0..ROUTED_MAX``, and marks the items it wrote (``routed``), so
that going back to ``sequential`` restores exactly those and a priority a manager set by hand
is kept. Pure: the numbers here, the SQL in ``storage/routing.py``.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ORDERS",
    "ROUTED_MAX",
    "SHUFFLE_MODULUS",
    "Order",
    "RoutingSpec",
    "Shuffle",
    "order_problem",
    "shuffle_of",
    "uncertainty_priority",
]

Order = Literal["sequential", "random", "uncertainty"]
ORDERS: tuple[Order, ...] = ("sequential", "random", "uncertainty")
# Routing's priorities lie in 0..ROUTED_MAX: a priority set by hand above it is served
# before every routed item, a negative one after them.
ROUTED_MAX = 10_000
# A prime p with p % 3 == 2, so that x -> x³ (mod p) is one-to-one; below ROUTED_MAX, and
# small enough that every product in the SQL fits a 32-bit integer (p² < 2³¹).
SHUFFLE_MODULUS = 9941


class RoutingSpec(BaseModel):
    """``routing``: ``order`` is ``sequential`` (import order), ``random`` (a fixed shuffle)
    or ``uncertainty`` (the least sure items of the ``assist`` model first)."""

    model_config = ConfigDict(extra="forbid")

    order: Order = "sequential"


def order_problem(order: str, has_assist: bool) -> str | None:
    """Why the spec cannot route in ``order``, or None."""
    if order == "uncertainty" and not has_assist:
        return (
            "routing.order 'uncertainty' serves first the items the assist model is least "
            "sure about: add an assist section (assist: {field: NAME}), or use 'random' or "
            "'sequential'"
        )
    return None


def uncertainty_priority(score: float) -> int:
    """The priority of an item whose suggestion has ``score``, the model's probability of
    its answer (for a set of labels, its certainty about the least sure one): ``1 - score``
    (least confidence) scaled to ``0..ROUTED_MAX``, so the least sure come first. Computed
    as the SQL does (``ROUTED_MAX - score·ROUTED_MAX`` in doubles, truncated), so that the
    database's numbers are these."""
    bounded = min(1.0, max(0.0, score))
    return int(ROUTED_MAX - bounded * ROUTED_MAX)


class Shuffle:
    """A project's fixed shuffle of its item ids: ``a·((id + s) mod p)³ + b (mod p)``,
    one-to-one on any ``p`` consecutive ids; ``priority`` is what the SQL computes too."""

    def __init__(self, a: int, b: int, s: int) -> None:
        self.a, self.b, self.s = a, b, s

    def priority(self, item_id: int) -> int:
        p = SHUFFLE_MODULUS
        x = (item_id % p + self.s) % p
        cube = (x * x % p) * x % p
        return (self.a * cube + self.b) % p


def shuffle_of(seed: int) -> Shuffle:
    """The shuffle for ``seed`` (the project's id: each project has its own order)."""
    rng = random.Random(seed)
    p = SHUFFLE_MODULUS
    return Shuffle(rng.randrange(1, p), rng.randrange(p), rng.randrange(p))
