"""Finished annotations carried by an import row (its history), in the shape the JSONL
export writes them: ``annotations: [{"annotator": email, "value": {...}, "created_at": ...,
"seconds": ..., "guideline_version": ...}]``.

Each is checked on its own here (the value against the project's fields, the time, the
seconds); whether the annotators exist is the importer's question, which asks the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from labelworks.domain.errors import InvalidAnnotation, InvalidInput
from labelworks.domain.identity import normal_email
from labelworks.domain.json_value import json_kind
from labelworks.domain.moments import stored_utc

if TYPE_CHECKING:
    from labelworks.pipelines.rows import RowChecker

HISTORY_KEYS = ("annotator", "value", "created_at", "seconds", "guideline_version")
# One item's history: more would be a file that is not an export (overlap is at most 100).
MAX_HISTORY = 1000


@dataclass(frozen=True, slots=True)
class HistoryAnnotation:
    """A finished annotation to restore: who, what, when (naive UTC; ``None``: the import's
    time), how long it took and under which guideline version."""

    annotator: str
    value: dict[str, Any]
    created_at: datetime | None
    seconds: float | None
    guideline_version: int | None


def history_of(
    checker: RowChecker, given: Any, payload: dict[str, Any], line: int
) -> tuple[HistoryAnnotation, ...]:
    """Check a row's ``annotations`` list; one annotation per annotator and item."""
    if type(given) is not list:
        checker.fail(
            line, f"annotations must be a list of objects, not {json_kind(given)}", "annotations"
        )
    if len(given) > MAX_HISTORY:
        checker.fail(line, f"an item has at most {MAX_HISTORY} annotations", "annotations")
    out: list[HistoryAnnotation] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(given):
        found = _one(checker, index, raw, payload, line)
        if found.annotator in seen:
            checker.fail(
                line,
                f"{found.annotator} annotated this item twice (first at "
                f"annotations[{seen[found.annotator]}]); an annotator gets an item once",
                f"annotations[{index}].annotator",
            )
        seen[found.annotator] = index
        out.append(found)
    return tuple(out)


def _one(
    checker: RowChecker, index: int, raw: Any, payload: dict[str, Any], line: int
) -> HistoryAnnotation:
    where = f"annotations[{index}]"
    if type(raw) is not dict:
        checker.fail(
            line,
            f"an annotation must be an object with annotator and value, not {json_kind(raw)}",
            where,
        )
    for key in raw:
        if key not in HISTORY_KEYS:
            allowed = ", ".join(HISTORY_KEYS)
            checker.fail(
                line,
                f"unknown key '{key}' in an annotation (allowed: {allowed})",
                f"{where}.{key}",
            )
    email = raw.get("annotator")
    if type(email) is not str:
        checker.fail(
            line,
            f"annotator must be an email address, not {json_kind(email)}",
            f"{where}.annotator",
        )
    try:
        annotator = normal_email(email)
    except InvalidInput as exc:
        checker.fail(line, exc.message, f"{where}.annotator")
    value = raw.get("value")
    if type(value) is not dict:
        checker.fail(line, f"value must be a JSON object, not {json_kind(value)}", f"{where}.value")
    checker.portable(value, line, f"{where}.value")
    if checker.validate is not None:
        try:
            checker.validate(value, payload)
        except InvalidAnnotation as exc:
            inner = exc.location.field if exc.location is not None else None
            checker.fail(
                line,
                f"the annotation by {annotator} does not fit the project's fields: {exc.message}",
                f"{where}.value.{inner}" if inner else f"{where}.value",
            )
    return HistoryAnnotation(
        annotator,
        value,
        _moment(checker, raw.get("created_at"), line, f"{where}.created_at"),
        _seconds(checker, raw.get("seconds"), line, f"{where}.seconds"),
        _version(checker, raw.get("guideline_version"), line, f"{where}.guideline_version"),
    )


def _moment(checker: RowChecker, given: Any, line: int, where: str) -> datetime | None:
    if given is None:
        return None
    if type(given) is str and len(given) <= 64:
        try:
            return stored_utc(given)
        except ValueError:
            pass
    shown = repr(given)[:80] if type(given) is str else json_kind(given)
    checker.fail(
        line,
        f"created_at must be an ISO 8601 time such as 2026-03-01T12:00:00Z, not {shown}",
        where,
    )


def _seconds(checker: RowChecker, given: Any, line: int, where: str) -> float | None:
    if given is None:
        return None
    if type(given) not in (int, float) or not math.isfinite(given) or given < 0:
        shown = json_kind(given) if type(given) not in (int, float) else str(given)
        checker.fail(
            line, f"seconds must be a finite number, 0 or more, or null, not {shown}", where
        )
    return float(given)


def _version(checker: RowChecker, given: Any, line: int, where: str) -> int | None:
    if given is None:
        return None
    if type(given) is not int or given < 1 or given > 2**31 - 1:
        shown = json_kind(given) if type(given) is not int else str(given)
        checker.fail(
            line, f"guideline_version must be a positive integer or null, not {shown}", where
        )
    return given
