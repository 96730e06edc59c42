"""A project's label schema: its fields, what payloads they need, and what labels are in use.

The field models live in ``labelworks.domain.fields`` and value validation in
``labelworks.domain.annotation``; this module is the public face that storage, services and
interfaces import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labelworks.domain.annotation import condition_holds, validate_annotation
from labelworks.domain.fields import (
    FIELD_KINDS,
    BoxesField,
    ChoiceField,
    Condition,
    FieldKind,
    FieldSpec,
    MultiChoiceField,
    PairwiseField,
    RatingField,
    Scale,
    SegmentsField,
    SpansField,
    TextField,
    parse_field,
)

__all__ = [
    "FIELD_KINDS",
    "BoxesField",
    "ChoiceField",
    "Condition",
    "FieldKind",
    "FieldSpec",
    "MultiChoiceField",
    "PairwiseField",
    "RatingField",
    "Scale",
    "SegmentsField",
    "SpansField",
    "TextField",
    "condition_holds",
    "labels_in_use",
    "labels_in_use_check",
    "parse_field",
    "required_payload_keys",
    "validate_annotation",
]

# Offsets, boxes and times point into one payload key; re-pointing them makes old values wrong.
_POSITIONAL = (SpansField, BoxesField, SegmentsField)


def required_payload_keys(fields: Sequence[FieldSpec]) -> set[str]:
    """Payload keys every item must have: the sources of required fields.

    Conditional fields count (the condition may hold for any item); optional fields do not.
    A pairwise field needs its ``a`` and ``b`` keys; its prompt is optional.
    """
    keys: set[str] = set()
    for field in fields:
        if not field.required:
            continue
        if isinstance(field, PairwiseField):
            keys.update((field.a_source, field.b_source))
        elif field.source is not None:
            keys.add(field.source)
    return keys


def _labels_of(field: FieldSpec, given: Any) -> set[str]:
    """Labels (or choices, or scale points as strings) one field value uses; tolerant of junk."""
    if isinstance(field, ChoiceField):
        return {given} if isinstance(given, str) else set()
    if isinstance(field, MultiChoiceField):
        items = given if isinstance(given, list) else []
        return {item for item in items if isinstance(item, str)}
    if isinstance(field, _POSITIONAL):
        items = given if isinstance(given, list) else []
        return {
            item["label"]
            for item in items
            if isinstance(item, Mapping) and isinstance(item.get("label"), str)
        }
    if isinstance(field, PairwiseField):
        choice = given.get("choice") if isinstance(given, Mapping) else None
        return {choice} if isinstance(choice, str) else set()
    if isinstance(field, RatingField):
        return {str(given)} if isinstance(given, int) and not isinstance(given, bool) else set()
    return set()


def labels_in_use(
    fields: Sequence[FieldSpec], values: Iterable[Mapping[str, Any]]
) -> dict[str, set[str]]:
    """Per field, the labels used by existing annotation values.

    Every field that has at least one non-null value appears as a key (text fields with an
    empty set), so ``set(result)`` is the ``fields_in_use`` that ``unsafe_changes`` wants.
    Pairwise fields report their choices (``a``, ``b``, ``tie``); ratings their points as
    strings (``"4"``).
    """
    by_name = {field.name: field for field in fields}
    used: dict[str, set[str]] = {}
    for value in values:
        for name, given in value.items():
            field = by_name.get(name)
            if field is None or given is None:
                continue
            used.setdefault(name, set()).update(_labels_of(field, given))
    return used


def labels_in_use_check(
    old_fields: Sequence[FieldSpec],
    new_fields: Sequence[FieldSpec],
    labels_in_use: Mapping[str, set[str]],
    fields_in_use: set[str],
) -> list[str]:
    """Reasons why replacing ``old_fields`` by ``new_fields`` would invalidate annotations.

    Refused: removing a field that has annotations, changing its kind, removing a label in
    use, re-pointing the source of a spans/boxes/segments field that has annotations,
    forbidding ties that are in use, and shrinking a rating scale below points in use.
    """
    new_by_name = {field.name: field for field in new_fields}
    reasons: list[str] = []
    for old in old_fields:
        in_use = old.name in fields_in_use or bool(labels_in_use.get(old.name))
        if not in_use:
            continue
        new = new_by_name.get(old.name)
        if new is None:
            reasons.append(f"field {old.name!r} has annotations and would be removed")
            continue
        if new.kind != old.kind:
            reasons.append(
                f"field {old.name!r} has annotations and would change kind "
                f"from {old.kind} to {new.kind}"
            )
            continue
        used = labels_in_use.get(old.name, set())
        reasons.extend(_narrowing(old, new, used))
    return reasons


def _narrowing(old: FieldSpec, new: FieldSpec, used: set[str]) -> list[str]:
    name = old.name
    reasons: list[str] = []
    if isinstance(old, _POSITIONAL) and isinstance(new, _POSITIONAL) and old.source != new.source:
        reasons.append(
            f"{old.kind} field {name!r} has annotations and would change its source "
            f"from {old.source!r} to {new.source!r}"
        )
    if old.labels:
        for label in old.labels:
            if label in used and label not in new.labels:
                reasons.append(f"label {label!r} of field {name!r} is in use and would be removed")
    if isinstance(new, PairwiseField) and "tie" in used and not new.allow_tie:
        reasons.append(f"pairwise field {name!r} would no longer allow ties, but ties are in use")
    if isinstance(new, RatingField):
        outside = sorted(
            int(point)
            for point in used
            if point.lstrip("-").isdigit() and not new.min <= int(point) <= new.max
        )
        if outside:
            reasons.append(
                f"rating field {name!r} would change its scale to {new.min}..{new.max}, "
                f"but values {', '.join(map(str, outside))} are in use"
            )
    return reasons
