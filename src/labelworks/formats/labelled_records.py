"""What the span and dataset writers read from an exported record: the labels to write.

The services layer hands writers a ``DatasetSource`` (``services/dataset_exports.py``); the
formats layer sits below it, so the writers here see it through ``RecordSource``, the part
of it they read. A record is one item as the JSONL export writes it, decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import FieldSpec
from labelworks.domain.spec import ProjectSpec

Progress = Callable[[int, int], None]


class RecordSource(Protocol):
    """The project's spec, which labels to write (``final`` or ``all``) and its records."""

    @property
    def project(self) -> str: ...

    @property
    def spec(self) -> ProjectSpec: ...

    @property
    def labels(self) -> str: ...

    @property
    def total(self) -> int: ...

    @property
    def media_root(self) -> Path: ...

    @property
    def records(self) -> Callable[[], Iterator[dict[str, Any]]]: ...


# The final-label statuses a ``final`` export writes. ``adjudication`` is the consensus
# method's proposal for an item it could not decide, waiting for a person: not a label yet.
DECIDED_STATUSES = frozenset({"final", "adjudicated"})


def with_decided_final(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as a ``final`` export reads it: without its final label when that label
    is still waiting for adjudication, so the item is exported as one without a final label
    (a record whose final label names no status is taken as decided)."""
    final = record.get("final")
    if isinstance(final, dict) and final.get("status", "final") not in DECIDED_STATUSES:
        return {k: v for k, v in record.items() if k != "final"}
    return record


@dataclass(frozen=True, slots=True)
class Labelling:
    """One set of labels for an item: an annotator's annotation (``annotator`` is their
    email) or the item's final label (``annotator`` is ``None``)."""

    annotator: str | None
    created_at: str | None
    seconds: float | None
    value: dict[str, Any]


def labellings(record: dict[str, Any], labels: str) -> list[Labelling]:
    """The labellings of ``record`` to export: its final label (``labels="final"``; none
    when it has none, the caller may not see it or it awaits adjudication) or every
    annotation (``"all"``)."""
    if labels == "final":
        final = with_decided_final(record).get("final")
        value = final.get("value") if isinstance(final, dict) else None
        return [Labelling(None, None, None, value)] if isinstance(value, dict) else []
    out: list[Labelling] = []
    for annotation in record.get("annotations") or []:
        value = annotation.get("value")
        if isinstance(value, dict):
            seconds = annotation.get("seconds")
            out.append(
                Labelling(
                    annotation.get("annotator"),
                    annotation.get("created_at"),
                    float(seconds) if isinstance(seconds, int | float) else None,
                    value,
                )
            )
    return out


def first_field(spec: ProjectSpec, kind: str, format_name: str) -> FieldSpec:
    """The project's first field of ``kind``, or ``InvalidInput`` saying the format needs one."""
    for field in spec.fields:
        if field.kind == kind:
            return field
    kinds = ", ".join(sorted({f.kind for f in spec.fields}))
    raise InvalidInput(
        f"the {format_name} format needs a {kind} field; project '{spec.name}' has only "
        f"{kinds} fields"
    )


def spans_of(value: dict[str, Any], field: str) -> list[tuple[int, int, str]]:
    """The ``(start, end, label)`` spans an answer gives ``field``, sorted; anything that is
    not a well-formed span (an answer from before a spec change) is left out."""
    spans: list[tuple[int, int, str]] = []
    given = value.get(field)
    for span in given if isinstance(given, list) else []:
        if not isinstance(span, dict):
            continue
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and isinstance(label, str)
            and 0 <= start < end
        ):
            spans.append((start, end, label))
    return sorted(spans)


def who(record: dict[str, Any], labelling: Labelling) -> str:
    """How an error names an item and whose labels it was writing."""
    ref = record.get("external_id")
    item = f"item {record.get('id')}" + (f" ({ref})" if ref else "")
    return item if labelling.annotator is None else f"{item}, {labelling.annotator}'s annotation"
