"""Acceptance criteria: whether a project's labels are good enough to deliver.

Pure rules over plain numbers; ``services.delivery`` measures, these decide.

- ``agreement``: per categorical field (``choice``, ``rating``, ``pairwise``; or the one
  field named), over the ordinary items with two or more annotations of it: met when the
  lower end of the 95% bootstrap interval of the coefficient reaches ``lower_bound``. An
  undefined coefficient (every annotation the same label, or no item rated twice) is not met.
- ``gold_accuracy``: every annotator's scored gold answers pooled; met when the point
  estimate reaches the target. ``gold_accuracy_lower_bound``: met when the lower end of the
  95% Wilson interval does (the data show, at 95% confidence, accuracy at least that high).
  No gold answers: not met.
- ``all_final``: every ordinary item has a final label (decided by consensus or by an
  adjudicator); items waiting for adjudication do not count. A project without ordinary
  items, or one that keeps no final labels, does not meet it.
- ``no_open_escalations``: met when no escalation is open.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from labelworks.domain.consensus import categories_of
from labelworks.domain.fields import FieldSpec, PairwiseField, quoted
from labelworks.domain.gold import wilson_bounds

CATEGORICAL_KINDS = ("choice", "rating", "pairwise")
# Fields of objects (text spans, boxes, time segments), measured by pairwise F1.
STRUCTURED_KINDS = ("spans", "boxes", "segments")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One acceptance criterion as measured: its ``value`` (``None`` when it cannot be
    measured) with the 95% ``interval`` where it has one, the ``target`` it is held to and
    a sentence saying what was found."""

    name: str
    met: bool
    value: float | None
    interval: tuple[float, float] | None
    target: float | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: ``low`` and ``high`` in place of ``interval``."""
        low, high = self.interval or (None, None)
        return {
            "name": self.name,
            "met": self.met,
            "value": self.value,
            "low": low,
            "high": high,
            "target": self.target,
            "detail": self.detail,
        }


# ---- which fields agreement is measured on ----------------------------------------------


def agreement_fields(
    fields: Sequence[FieldSpec],
    named: str | None = None,
    kinds: Sequence[str] = CATEGORICAL_KINDS,
) -> list[FieldSpec]:
    """The fields of ``kinds`` (by default the categorical ones; or the one named) whose
    agreement is measured."""
    return [f for f in fields if f.kind in kinds and named in (None, f.name)]


def agreement_field_problem(
    fields: Sequence[FieldSpec], named: str | None, kinds: Sequence[str] = CATEGORICAL_KINDS
) -> str | None:
    """Why agreement cannot be measured as asked on fields of ``kinds``; ``None`` when it
    can."""
    listed = f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    if named is None:
        if agreement_fields(fields, kinds=kinds):
            return None
        return f"agreement is measured on {listed} fields, and this project has none"
    by_name = {f.name: f for f in fields}
    if named not in by_name:
        return f"unknown field {named!r} (fields: {quoted(by_name)})"
    kind = by_name[named].kind
    if kind not in kinds:
        return f"agreement is measured on {listed} fields; {named!r} is a {kind} field"
    return None


def agreement_label(spec_field: FieldSpec, value: Any) -> Any | None:
    """The category an annotation's ``value`` of the field gives (a pairwise field's
    ``choice``); ``None`` when it gives none the field knows."""
    if isinstance(spec_field, PairwiseField):
        value = value.get("choice") if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return value if value in (categories_of(spec_field) or ()) else None


def rated_twice(records: Iterable[tuple[Any, Any, Any]]) -> list[tuple[Any, Any, Any]]:
    """The ``(item, annotator, label)`` records of items with two or more of them: a lone
    rating says nothing about agreement."""
    kept = list(records)
    per_item = Counter(item for item, _, _ in kept)
    return [r for r in kept if per_item[r[0]] >= 2]


# ---- the decisions ----------------------------------------------------------------------


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def agreement_criterion(
    field_name: str,
    metric: str,
    measured: tuple[float, float, float] | None,
    lower_bound: float,
    n_items: int,
) -> Criterion:
    """Agreement on one field: ``measured`` is ``(estimate, low, high)`` from the
    bootstrap, ``None`` when it could not be computed; ``n_items`` the items rated twice."""
    name = f"agreement.{field_name}"
    need = f"the lower end must reach {lower_bound:.3f}"
    if n_items == 0 or measured is None:
        found = (
            f"no ordinary item has two or more annotations of {field_name!r}"
            if n_items == 0
            else f"{metric} could not be computed on {n_items} items"
        )
        return Criterion(name, False, None, None, lower_bound, f"{found}; {need}")
    estimate, low, high = (_finite(x) for x in measured)
    if estimate is None or low is None or high is None:
        detail = (
            f"{metric} is undefined on {n_items:,} items (every annotation of {field_name!r} "
            f"has the same label, or too few vary); {need}"
        )
        return Criterion(name, False, estimate, None, lower_bound, detail)
    detail = (
        f"{metric} {estimate:.3f} (95% CI {low:.3f}–{high:.3f}) over {n_items:,} items "
        f"rated twice or more; {need}"
    )
    return Criterion(name, low >= lower_bound, estimate, (low, high), lower_bound, detail)


def gold_accuracy_criterion(
    correct: int, total: int, target: float, *, lower_bound: bool = False
) -> Criterion:
    """Pooled gold accuracy held to ``target``: the point estimate, or with
    ``lower_bound`` the lower end of the 95% Wilson interval."""
    name = "gold_accuracy_lower_bound" if lower_bound else "gold_accuracy"
    need = f"{'the lower end' if lower_bound else 'it'} must reach {target:.1%}"
    if total == 0:
        return Criterion(name, False, None, None, target, f"no gold answers scored yet; {need}")
    accuracy = correct / total
    low, high = wilson_bounds(correct, total)
    measured = low if lower_bound else accuracy
    detail = (
        f"{correct:,} of {total:,} gold answers right: {accuracy:.1%} "
        f"(95% CI {low:.1%}–{high:.1%}); {need}"
    )
    return Criterion(name, measured >= target, accuracy, (low, high), target, detail)


def all_final_criterion(
    items: int, final: int, adjudication: int, *, keeps_final_labels: bool
) -> Criterion:
    """Every ordinary item has a final label: ``final`` of ``items`` do (consensus or
    adjudicated), ``adjudication`` of them wait for an adjudicator."""
    name = "all_final"
    if not keeps_final_labels:
        detail = "the project keeps no final labels (set quality.consensus or dynamic_overlap)"
        return Criterion(name, False, None, None, 1.0, detail)
    if items == 0:
        return Criterion(name, False, None, None, 1.0, "the project has no ordinary items")
    pending = items - final - adjudication
    detail = (
        f"{final:,} of {items:,} ordinary items have a final label; "
        f"{adjudication:,} wait for adjudication, {pending:,} have none yet"
    )
    return Criterion(name, final == items, final / items, None, 1.0, detail)


def escalations_criterion(open_count: int) -> Criterion:
    """No escalation is open."""
    noun = "escalation is" if open_count == 1 else "escalations are"
    detail = f"{open_count:,} {noun} open"
    return Criterion("no_open_escalations", open_count == 0, float(open_count), None, 0.0, detail)


def accepted(criteria: Iterable[Criterion]) -> bool:
    """Every criterion is met (none set: nothing to hold the delivery back)."""
    return all(c.met for c in criteria)


def unmet_summary(criteria: Iterable[Criterion]) -> str:
    """``name: detail`` of each unmet criterion, joined by ``; ``."""
    return "; ".join(f"{c.name}: {c.detail}" for c in criteria if not c.met)
