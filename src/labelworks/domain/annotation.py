"""Annotation values checked against a label schema.

An annotation value is a JSON object with one key per schema field. Each error names the
field and the part that is wrong (``entities[2].end``) so the UI, the CLI import and the API
can point at it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from labelworks.domain.errors import InvalidAnnotation, Location
from labelworks.domain.fields import (
    BoxesField,
    ChoiceField,
    Condition,
    FieldSpec,
    MultiChoiceField,
    PairwiseField,
    RatingField,
    Scale,
    SegmentsField,
    SpansField,
    TextField,
    quoted,
)
from labelworks.domain.json_value import json_kind

# Floating-point drawing tools land a hair past the image edge; that is not an error.
_EDGE_TOLERANCE = 1e-6

_SPAN_KEYS = ("start", "end", "label", "text", "score")
_BOX_KEYS = ("x", "y", "width", "height", "label", "score")
_SEGMENT_KEYS = ("start", "end", "label", "score")
_PAIRWISE_KEYS = ("choice", "strength", "order")


def _fail(path: str, message: str) -> InvalidAnnotation:
    return InvalidAnnotation(message, location=Location(field=path))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def condition_holds(condition: Condition, value: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for an annotation value (absent fields never match)."""
    actual = value.get(condition.field)
    expected = condition.expected()
    if isinstance(actual, list):
        # multi_choice holds labels; spans, boxes and segments hold objects with a label.
        return any(
            _same(item.get("label") if isinstance(item, Mapping) else item, expected)
            for item in actual
        )
    if isinstance(actual, Mapping):
        return _same(actual.get("choice"), expected)
    return _same(actual, expected)


def _same(actual: Any, expected: list[str | int]) -> bool:
    # Labels are strings but a spec may write `equals: 1` for label "1".
    if isinstance(actual, str):
        return actual in [str(e) for e in expected]
    return _is_int(actual) and actual in expected


def validate_annotation(
    fields: Sequence[FieldSpec], value: Mapping[str, Any], payload: Mapping[str, Any]
) -> None:
    """Raise ``InvalidAnnotation`` naming the first wrong field and part of ``value``.

    ``payload`` is the item the annotation is about: span offsets are checked against its
    texts, boxes against its image size and segments against its duration when known.
    """
    if not isinstance(value, Mapping):
        raise InvalidAnnotation(f"an annotation must be a JSON object, got {json_kind(value)}")
    by_name = {field.name: field for field in fields}
    for key in value:
        if key not in by_name:
            raise _fail(
                str(key), f"unknown field {key!r} (schema fields: {quoted(by_name) or 'none'})"
            )
    for field in fields:
        given = value.get(field.name)
        if field.when is not None and not condition_holds(field.when, value):
            if given is not None:
                raise _fail(
                    field.name,
                    f"must be absent because its condition does not hold ({field.when.describe()})",
                )
            continue
        if given is None:
            if field.required:
                raise _fail(field.name, "required field is missing")
            continue
        _check_field(field, given, payload)


def _check_field(field: FieldSpec, given: Any, payload: Mapping[str, Any]) -> None:
    path = field.name
    if isinstance(field, ChoiceField):
        _check_label(path, given, field.labels)
    elif isinstance(field, MultiChoiceField):
        _check_multi_choice(field, given)
    elif isinstance(field, SpansField):
        _check_spans(field, given, payload)
    elif isinstance(field, BoxesField):
        _check_boxes(field, given, payload)
    elif isinstance(field, SegmentsField):
        _check_segments(field, given, payload)
    elif isinstance(field, PairwiseField):
        _check_pairwise(field, given)
    elif isinstance(field, RatingField):
        _check_point(path, given, field.min, field.max)
    elif isinstance(field, TextField):
        _check_text(field, given)


def _check_label(path: str, given: Any, labels: list[str]) -> None:
    if not isinstance(given, str):
        raise _fail(path, f"must be a label (a string), got {json_kind(given)}")
    if given not in labels:
        raise _fail(path, f"{given!r} is not one of the labels {quoted(labels)}")


def _check_point(path: str, given: Any, low: int, high: int) -> None:
    if not _is_int(given):
        raise _fail(path, f"must be an integer from {low} to {high}, got {given!r}")
    if not low <= given <= high:
        raise _fail(path, f"{given} is outside the scale {low}..{high}")


def _check_list(path: str, given: Any) -> list[Any]:
    if not isinstance(given, list):
        raise _fail(path, f"must be a list, got {json_kind(given)}")
    return given


def _check_marks(path: str, given: Any, least: int, noun: str) -> list[Any]:
    """A list of spans, boxes or segments with at least ``least`` of them ([] is "nothing
    to mark" when ``least`` is 0)."""
    marks = _check_list(path, given)
    if len(marks) < least:
        plural = noun if least == 1 else noun + ("es" if noun.endswith("x") else "s")
        raise _fail(path, f"mark at least {least} {plural}, got {len(marks)}")
    return marks


def _check_multi_choice(field: MultiChoiceField, given: Any) -> None:
    path = field.name
    chosen = _check_list(path, given)
    first_at: dict[str, int] = {}
    for index, label in enumerate(chosen):
        _check_label(f"{path}[{index}]", label, field.labels)
        if label in first_at:
            raise _fail(
                f"{path}[{index}]", f"{label!r} is selected twice (also at [{first_at[label]}])"
            )
        first_at[label] = index
    if len(chosen) < field.min_selections:
        raise _fail(path, f"select at least {field.min_selections} labels, got {len(chosen)}")
    if field.max_selections is not None and len(chosen) > field.max_selections:
        raise _fail(path, f"select at most {field.max_selections} labels, got {len(chosen)}")


def _check_object(
    path: str, given: Any, allowed: tuple[str, ...], needed: int
) -> Mapping[str, Any]:
    """Check an element is an object with only ``allowed`` keys and the first ``needed`` ones."""
    if not isinstance(given, Mapping):
        raise _fail(path, f"must be an object with keys {quoted(allowed)}, got {json_kind(given)}")
    for key in given:
        if key not in allowed:
            raise _fail(f"{path}.{key}", f"unknown key {key!r} (allowed: {quoted(allowed)})")
    for key in allowed[:needed]:
        if given.get(key) is None:
            raise _fail(f"{path}.{key}", "is missing")
    score = given.get("score")
    if "score" in allowed and score is not None and not _is_number(score):
        raise _fail(f"{path}.score", f"must be a number, got {json_kind(score)}")
    return given


def _payload_text(path: str, source: str, payload: Mapping[str, Any]) -> str:
    text = payload.get(source)
    if not isinstance(text, str):
        got = "has no key" if source not in payload else f"has a {json_kind(text)} at key"
        raise _fail(path, f"spans need text, but the item payload {got} {source!r}")
    return text


def _check_spans(field: SpansField, given: Any, payload: Mapping[str, Any]) -> None:
    path = field.name
    spans = _check_marks(path, given, field.min_spans, "span")
    text = _payload_text(path, field.source, payload) if spans else ""
    seen: list[tuple[int, int, str]] = []
    for index, raw in enumerate(spans):
        here = f"{path}[{index}]"
        span = _check_object(here, raw, _SPAN_KEYS, 3)
        start, end = span["start"], span["end"]
        for key, offset in (("start", start), ("end", end)):
            if not _is_int(offset):
                raise _fail(f"{here}.{key}", f"must be an integer offset, got {offset!r}")
        if start < 0:
            raise _fail(f"{here}.start", f"must be 0 or more, got {start}")
        if start >= end:
            raise _fail(f"{here}.end", f"must be greater than start ({start}), got {end}")
        if end > len(text):
            raise _fail(
                f"{here}.end",
                f"{end} is past the end of {field.source!r} (length {len(text)})",
            )
        _check_label(f"{here}.label", span["label"], field.labels)
        quote = span.get("text")
        if quote is not None and quote != text[start:end]:
            # Never quote the item's text: under a privacy policy its author may have
            # been shown it masked, and any span would read out what the mask hides.
            raise _fail(
                f"{here}.text",
                f"does not match the text of {field.source!r} at {start}..{end}",
            )
        seen.append((start, end, span["label"]))
    _check_ranges(field, path, seen)


def spans_as_stored(
    fields: Sequence[FieldSpec],
    value: Mapping[str, Any],
    payload: Mapping[str, Any],
    shown: Mapping[str, Any],
) -> Mapping[str, Any]:
    """``value`` with the ``text`` of each span marked on ``shown`` (the payload as its
    author saw it, personal data masked character for character) replaced by the stored
    text at its offsets; ``value`` itself when no span changes.

    A span's text is taken as marked on what was shown when it has the range's length and
    equals the stored text at every character the mask left alone. Characters under the
    mask are never compared: a guess at what a mask hides is accepted like the mask
    itself, so submitting one tells nothing. Anything else is left for
    ``validate_annotation`` to refuse."""
    out: dict[str, Any] | None = None
    for field in fields:
        given = value.get(field.name)
        if not isinstance(field, SpansField) or not isinstance(given, list):
            continue
        text, seen = payload.get(field.source), shown.get(field.source)
        if not isinstance(text, str) or not isinstance(seen, str) or len(seen) != len(text):
            continue
        spans = list(given)
        for index, span in enumerate(spans):
            stored = _marked_on(span, text, seen)
            if stored is not None:
                spans[index] = {**span, "text": stored}
                out = dict(value) if out is None else out
                out[field.name] = spans
    return value if out is None else out


def _marked_on(span: Any, text: str, seen: str) -> str | None:
    """The stored text of ``span`` when its ``text`` differs from it only under the mask
    (``seen`` differs from ``text`` there), else ``None``."""
    if not isinstance(span, Mapping):
        return None
    start, end, quote = span.get("start"), span.get("end"), span.get("text")
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(quote, str)):
        return None
    if not 0 <= start < end <= len(text) or len(quote) != end - start:
        return None
    stored = text[start:end]
    if quote == stored:
        return None
    masked = seen[start:end]
    for given, actual, shown_char in zip(quote, stored, masked, strict=True):
        if given != actual and shown_char == actual:
            return None
    return stored


def _check_ranges(
    field: SpansField | SegmentsField, path: str, ranges: list[tuple[Any, Any, str]]
) -> None:
    """Refuse exact duplicates, and overlaps unless allowed, in O(n log n).

    Token-level pre-annotations can carry thousands of spans, so no pairwise comparison.
    """
    first_at: dict[tuple[Any, Any, str], int] = {}
    for index, current in enumerate(ranges):
        if current in first_at:
            raise _fail(f"{path}[{index}]", f"duplicates {path}[{first_at[current]}]")
        first_at[current] = index
    if field.allow_overlap:
        return
    reach: int | None = None  # the range seen so far that ends last
    for index in sorted(range(len(ranges)), key=lambda i: (ranges[i][0], ranges[i][1], i)):
        if reach is not None and ranges[index][0] < ranges[reach][1]:
            here, other = max(index, reach), min(index, reach)
            raise _fail(
                f"{path}[{here}]",
                f"overlaps {path}[{other}] ({ranges[other][0]}..{ranges[other][1]}); "
                "this field does not allow overlapping ranges",
            )
        if reach is None or ranges[index][1] > ranges[reach][1]:
            reach = index


def _payload_number(payload: Mapping[str, Any], key: str | None) -> float | None:
    if key is None:
        return None
    found = payload.get(key)
    if isinstance(found, int | float) and _is_number(found) and found > 0:
        return float(found)
    return None


def _check_boxes(field: BoxesField, given: Any, payload: Mapping[str, Any]) -> None:
    path = field.name
    image_width = _payload_number(payload, field.width_key)
    image_height = _payload_number(payload, field.height_key)
    for index, raw in enumerate(_check_marks(path, given, field.min_boxes, "box")):
        here = f"{path}[{index}]"
        box = _check_object(here, raw, _BOX_KEYS, 5)
        for key in ("x", "y", "width", "height"):
            if not _is_number(box[key]):
                raise _fail(f"{here}.{key}", f"must be a number, got {box[key]!r}")
        for key in ("x", "y"):
            if box[key] < 0:
                raise _fail(f"{here}.{key}", f"must be 0 or more, got {box[key]}")
        for key in ("width", "height"):
            if box[key] <= 0:
                raise _fail(f"{here}.{key}", f"must be greater than 0, got {box[key]}")
        if image_width is not None and image_height is not None:
            for key, size_key, origin, limit in (
                ("width", "x", box["x"], image_width),
                ("height", "y", box["y"], image_height),
            ):
                reach = origin + box[key]
                if reach > limit + _EDGE_TOLERANCE:
                    raise _fail(
                        f"{here}.{key}",
                        f"box reaches {size_key} + {key} = {reach:g}, past the image "
                        f"{key} {limit:g}",
                    )
        _check_label(f"{here}.label", box["label"], field.labels)


def _check_segments(field: SegmentsField, given: Any, payload: Mapping[str, Any]) -> None:
    path = field.name
    duration = _payload_number(payload, field.duration_key)
    seen: list[tuple[Any, Any, str]] = []
    for index, raw in enumerate(_check_marks(path, given, field.min_segments, "segment")):
        here = f"{path}[{index}]"
        segment = _check_object(here, raw, _SEGMENT_KEYS, 3)
        start, end = segment["start"], segment["end"]
        for key, moment in (("start", start), ("end", end)):
            if not _is_number(moment):
                raise _fail(f"{here}.{key}", f"must be a number of seconds, got {moment!r}")
        if start < 0:
            raise _fail(f"{here}.start", f"must be 0 or more, got {start:g}")
        if start >= end:
            raise _fail(f"{here}.end", f"must be greater than start ({start:g}), got {end:g}")
        if duration is not None and end > duration + _EDGE_TOLERANCE:
            raise _fail(f"{here}.end", f"{end:g} is past the end of the media ({duration:g} s)")
        _check_label(f"{here}.label", segment["label"], field.labels)
        seen.append((start, end, segment["label"]))
    _check_ranges(field, path, seen)


def _check_pairwise(field: PairwiseField, given: Any) -> None:
    path = field.name
    answer = _check_object(path, given, _PAIRWISE_KEYS, 1)
    choice = answer["choice"]
    choices = field.choices()
    if choice not in choices:
        hint = "; this field does not allow ties" if choice == "tie" else ""
        raise _fail(f"{path}.choice", f"must be one of {quoted(choices)}, got {choice!r}{hint}")
    _check_strength(path, answer.get("strength"), choice, field.strength)
    order = answer.get("order")
    if order is not None and order not in (["a", "b"], ["b", "a"]):
        raise _fail(f"{path}.order", f"must be ['a', 'b'] or ['b', 'a'], got {order!r}")


def _check_strength(path: str, strength: Any, choice: str, scale: Scale | None) -> None:
    if scale is None:
        if strength is not None:
            raise _fail(f"{path}.strength", "this field has no strength scale")
    elif choice == "tie":
        if strength is not None:
            raise _fail(f"{path}.strength", "must be absent when the choice is 'tie'")
    elif strength is None:
        raise _fail(f"{path}.strength", "is missing")
    else:
        _check_point(f"{path}.strength", strength, scale.min, scale.max)


def _check_text(field: TextField, given: Any) -> None:
    path = field.name
    if not isinstance(given, str):
        raise _fail(path, f"must be a string, got {json_kind(given)}")
    if field.required and not given.strip():
        raise _fail(path, "required field is empty")
    if len(given) > field.max_length:
        raise _fail(path, f"is {len(given)} characters long; the limit is {field.max_length}")
