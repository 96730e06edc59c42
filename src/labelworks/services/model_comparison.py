"""Comparing two model versions on the same items (``labelworks eval compare``): the
difference in accuracy and macro-F1 with paired-bootstrap intervals, McNemar's exact test,
per-slice differences flagged, and the regression check a model's CI pipeline calls."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import BoxesField, SegmentsField, SpansField
from labelworks.domain.predictions import model_key
from labelworks.services.evaluation import (
    MAX_SLICES,
    Evaluated,
    evaluable_project,
    resolve_model,
    scored_pairs,
)
from labelworks.services.evaluation_data import Pairs, plain, slice_value
from labelworks.stats.model_comparison import paired_comparison
from labelworks.stats.ratings import InvalidRatingsError
from labelworks.storage.engine import Database
from labelworks.storage.predictions import Against, Scored

__all__ = ["Comparison", "compare_models"]

RESAMPLES = 2000


@dataclass(frozen=True, slots=True)
class Comparison:
    """B against A on the items both predicted that have a reference. ``worse`` is set when
    ``fail_if_worse`` was given: B's accuracy is below A's by more than it, with
    confidence (the whole interval of B − A lies below −fail_if_worse)."""

    project: str
    a: str
    b: str
    field: str
    against: str
    items: int
    only_a: int
    only_b: int
    report: dict[str, Any]
    slice_key: str | None
    slices: list[dict[str, Any]]
    fail_if_worse: float | None
    worse: bool | None


def compare_models(
    db: Database,
    project: str,
    a: str,
    b: str,
    *,
    field: str | None = None,
    against: Against = "final",
    slice_key: str | None = None,
    fail_if_worse: float | None = None,
    actor: Actor | None = None,
    seed: int = 0,
) -> Comparison:
    """Compare model ``b`` with model ``a`` (each ``name`` or ``name@version``)."""
    if fail_if_worse is not None and not 0 <= fail_if_worse < 1:
        raise InvalidInput(
            f"fail-if-worse must be an accuracy difference from 0 to 1, got {fail_if_worse}"
        )
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        name_a, version_a = resolve_model(conn, row.id, a)
        name_b, version_b = resolve_model(conn, row.id, b)
        if (name_a, version_a) == (name_b, version_b):
            raise InvalidInput(f"'{a}' and '{b}' are the same model version")
        sliced = slice_key is not None
        first = scored_pairs(conn, row, name_a, version_a, field, against, with_item=sliced)
        second = scored_pairs(
            conn, row, name_b, version_b, first.field.name, against, with_item=False
        )
    if isinstance(first.field, SpansField | BoxesField | SegmentsField):
        raise InvalidInput(
            f"'{first.field.name}' is a {first.field.kind} field: compare models on a choice, "
            "multi_choice, rating or pairwise field (for spans, boxes and segments compare "
            "two eval runs)"
        )
    shared = _shared(first, second)
    if not shared:
        raise InvalidInput(
            f"'{model_key(name_a, version_a)}' and '{model_key(name_b, version_b)}' predicted "
            f"no item in common that has a reference for '{first.field.name}'"
        )
    try:
        report = _paired(first, shared, seed)
        slices = [] if slice_key is None else _slices(first, shared, slice_key, seed)
    except InvalidRatingsError as exc:
        raise InvalidInput(f"cannot compare: {exc}") from None
    difference = report["accuracy_difference"]
    worse = None
    if fail_if_worse is not None:
        worse = difference["high"] is not None and difference["high"] < -fail_if_worse
    return Comparison(
        project=row.name,
        a=model_key(name_a, version_a),
        b=model_key(name_b, version_b),
        field=first.field.name,
        against=against,
        items=len(shared),
        only_a=report["mcnemar"]["only_a"],
        only_b=report["mcnemar"]["only_b"],
        report=report,
        slice_key=slice_key,
        slices=slices,
        fail_if_worse=fail_if_worse,
        worse=worse,
    )


# (reference row, B's answer on the same item)
_Shared = list[tuple[Scored, Any]]


def _shared(first: Evaluated, second: Evaluated) -> _Shared:
    name = first.field.name
    theirs = {r.item_id: r.value[name] for r in second.rows}
    return [(r, theirs[r.item_id]) for r in first.rows if r.item_id in theirs]


def _labels(pairs: Pairs, value: Any) -> str:
    answer = pairs.answer(value)
    # A multi_choice answer compares as its whole set (exact match).
    return "|".join(sorted(answer)) if isinstance(answer, frozenset) else str(answer)


def _paired(first: Evaluated, shared: _Shared, seed: int) -> dict[str, Any]:
    pairs = Pairs(first.field)
    name = first.field.name
    reference = [_labels(pairs, r.reference[name]) for r, _ in shared]
    predicted_a = [_labels(pairs, r.value[name]) for r, _ in shared]
    predicted_b = [_labels(pairs, b) for _, b in shared]
    found = paired_comparison(reference, predicted_a, predicted_b, n_resamples=RESAMPLES, seed=seed)
    result: dict[str, Any] = plain(found)
    return result


def _slices(first: Evaluated, shared: _Shared, key: str, seed: int) -> list[dict[str, Any]]:
    groups: dict[str, _Shared] = {}
    for pair in shared:
        groups.setdefault(slice_value(pair[0], key), []).append(pair)
    sizes = Counter({value: len(rows) for value, rows in groups.items()})
    out = []
    for value, n in sizes.most_common(MAX_SLICES):
        try:
            found = _paired(first, groups[value], seed)
        except InvalidRatingsError as exc:
            out.append({"value": value, "items": n, "error": str(exc), "flagged": False})
            continue
        difference = found["accuracy_difference"]
        low, high = difference["low"], difference["high"]
        # Flagged: the interval of B − A excludes no difference.
        flagged = low is not None and high is not None and (low > 0 or high < 0)
        out.append({"value": value, "items": n, **found, "flagged": flagged})
    return out
