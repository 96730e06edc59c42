"""Two vendors (or a vendor and the in-house people, ``internal``) compared on a project's
gold: the difference in accuracy with its 95% interval, from a test that fits how the
answers were drawn (``stats.vendor_comparison``).

Each side counts one answer per gold item: its first (several of a vendor's people may
answer one gold item; their answers are not independent draws). When the two answered at
least ``MIN_SHARED`` of the same gold items, the comparison is paired on those items
(McNemar's test, Newcombe's paired interval): each item's difficulty is then the same on
both sides. Otherwise each side's gold answers are compared as independent samples
(Newcombe's hybrid score interval). Gold is the reference because it does not depend on
either vendor: a final label decided from the two vendors' own votes would favour the
vendor who had the majority.
"""

from __future__ import annotations

from dataclasses import dataclass

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput
from labelworks.domain.vendor_terms import INTERNAL
from labelworks.services.access import project_for
from labelworks.services.vendors import known_vendor
from labelworks.stats.vendor_comparison import Difference, independent, paired
from labelworks.storage import vendor_stats as store
from labelworks.storage.engine import Database

MIN_SHARED = 10


@dataclass(frozen=True, slots=True)
class Comparison:
    """``a`` against ``b`` on ``project``'s gold: gold items each answered, items both
    answered, the difference A − B (``None`` when a side has no gold answer) and the
    reading in words."""

    project: str
    a: str
    b: str
    items_a: int
    items_b: int
    shared: int
    difference: Difference | None
    reading: str


def compare_vendors(
    db: Database, a: str, b: str, *, project: str, actor: Actor | None = None
) -> Comparison:
    """Compare vendors ``a`` and ``b`` on the gold of ``project``."""
    if a == b:
        raise InvalidInput("compare two different vendors")
    with db.read() as conn:
        first = known_vendor(conn, actor, a, internal=True)
        second = known_vendor(conn, actor, b, internal=True)
        found = project_for(conn, actor, project, Action.REVIEW)
        rows = store.gold_answers(conn, found.id)
    side_a: dict[int, bool] = {}
    side_b: dict[int, bool] = {}
    for vendor, item, correct in rows:
        if vendor == first:
            side_a.setdefault(item, correct)
        elif vendor == second:
            side_b.setdefault(item, correct)
    shared = sorted(side_a.keys() & side_b.keys())
    name_a, name_b = first or INTERNAL, second or INTERNAL
    difference: Difference | None = None
    if len(shared) >= MIN_SHARED:
        cells = [0, 0, 0, 0]  # both right, only A, only B, neither
        for item in shared:
            cells[_cell(side_a[item], side_b[item])] += 1
        difference = paired(*cells)
    elif side_a and side_b:
        difference = independent(
            sum(side_a.values()), len(side_a), sum(side_b.values()), len(side_b)
        )
    return Comparison(
        found.name,
        name_a,
        name_b,
        len(side_a),
        len(side_b),
        len(shared),
        difference,
        reading(name_a, name_b, difference, len(side_a), len(side_b)),
    )


def _cell(a_right: bool, b_right: bool) -> int:
    if a_right and b_right:
        return 0
    if a_right:
        return 1
    return 2 if b_right else 3


def reading(a: str, b: str, d: Difference | None, items_a: int, items_b: int) -> str:
    """The comparison in a sentence."""
    if d is None:
        nobody = [name for name, n in ((a, items_a), (b, items_b)) if n == 0]
        return f"No comparison: {' and '.join(nobody)} answered no gold item of this project."
    how = (
        f"paired on the {d.n_a} gold items both answered, McNemar p = {d.p_value:.3g}"
        if d.design == "paired"
        else f"{d.n_a} and {d.n_b} gold items, fewer than {MIN_SHARED} of them shared: "
        "compared as independent samples"
    )
    span = f"95% interval {100 * d.low:+.1f} to {100 * d.high:+.1f} points"
    if not d.significant:
        return (
            f"No clear difference: {a} {d.accuracy_a:.1%}, {b} {d.accuracy_b:.1%}; "
            f"{a} − {b} = {100 * d.estimate:+.1f} points, {span}, which includes 0 ({how})."
        )
    better, worse = (a, b) if d.estimate > 0 else (b, a)
    return (
        f"{better} is more accurate than {worse} by {abs(100 * d.estimate):.1f} points "
        f"({a} {d.accuracy_a:.1%}, {b} {d.accuracy_b:.1%}; {span}; {how})."
    )
