"""Annotation values checked against a schema with one field of every kind."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelworks.domain.errors import InvalidAnnotation
from labelworks.domain.schema import FieldSpec, validate_annotation
from labelworks.domain.spec import spec_from_dict

TEXT = "Alice works at Acme in Paris."

SPEC = spec_from_dict(
    {
        "name": "everything",
        "fields": [
            {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]},
            {
                "name": "topics",
                "kind": "multi_choice",
                "labels": ["price", "shipping", "quality"],
                "max_selections": 2,
                "min_selections": 1,
                "required": False,
            },
            {"name": "has_entities", "kind": "choice", "labels": ["yes", "no"]},
            {
                "name": "entities",
                "kind": "spans",
                "labels": ["PER", "ORG", "LOC"],
                "when": {"field": "has_entities", "equals": "yes"},
            },
            {
                "name": "objects",
                "kind": "boxes",
                "labels": ["car", "person"],
                "width_key": "width",
                "height_key": "height",
                "required": False,
            },
            {
                "name": "events",
                "kind": "segments",
                "labels": ["speech", "music"],
                "duration_key": "duration",
                "allow_overlap": False,
                "required": False,
            },
            {
                "name": "preference",
                "kind": "pairwise",
                "strength": {"min": 1, "max": 3},
                "required": False,
            },
            {"name": "strict_pair", "kind": "pairwise", "allow_tie": False, "required": False},
            {"name": "quality", "kind": "rating", "min": 1, "max": 5, "required": False},
            {"name": "comment", "kind": "text", "max_length": 20, "required": False},
            {
                "name": "reason",
                "kind": "text",
                "max_length": 50,
                "when": {"field": "sentiment", "in": ["negative", "neutral"]},
            },
        ],
    }
)
FIELDS: list[FieldSpec] = list(SPEC.fields)
PAYLOAD: dict[str, Any] = {
    "text": TEXT,
    "image": "street.png",
    "width": 640,
    "height": 480,
    "audio": "clip.wav",
    "duration": 10.0,
    "prompt": "Say hi",
    "a": "Hi!",
    "b": "Hello.",
}
BASE: dict[str, Any] = {
    "sentiment": "positive",
    "has_entities": "yes",
    "entities": [{"start": 0, "end": 5, "label": "PER", "text": "Alice"}],
}


def error_of(value: Any, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole error dict that validating ``value`` raises."""
    with pytest.raises(InvalidAnnotation) as caught:
        validate_annotation(FIELDS, value, PAYLOAD if payload is None else payload)
    return caught.value.to_dict()


def located(field: str, message: str) -> dict[str, Any]:
    """The error dict expected for ``message`` at ``field``."""
    return {
        "code": "invalid_annotation",
        "message": f"field '{field}': {message}",
        "location": {"file": None, "line": None, "field": field},
    }


VALID = [
    pytest.param({}, id="base"),
    pytest.param({"topics": ["price", "quality"]}, id="multi_choice"),
    pytest.param(
        {
            "entities": [
                {"start": 0, "end": 5, "label": "PER"},
                {"start": 15, "end": 19, "label": "ORG", "text": "Acme", "score": 0.9},
                {"start": 23, "end": 28, "label": "LOC"},
            ]
        },
        id="spans",
    ),
    pytest.param({"has_entities": "no", "entities": None}, id="condition-false-null"),
    pytest.param({"entities": []}, id="spans-empty"),
    pytest.param(
        {
            "objects": [
                {"x": 0, "y": 0, "width": 640, "height": 480, "label": "car"},
                {"x": 10.5, "y": 20.25, "width": 5, "height": 5, "label": "person", "score": 1},
            ]
        },
        id="boxes",
    ),
    pytest.param(
        {
            "events": [
                {"start": 0, "end": 1.5, "label": "speech"},
                {"start": 1.5, "end": 10, "label": "music"},
            ]
        },
        id="segments-touching",
    ),
    pytest.param({"preference": {"choice": "a", "strength": 3, "order": ["b", "a"]}}, id="pair"),
    pytest.param({"preference": {"choice": "tie"}}, id="pairwise-tie"),
    pytest.param({"strict_pair": {"choice": "b"}}, id="pairwise-no-strength"),
    pytest.param({"quality": 1, "comment": "x" * 20}, id="rating-text-limits"),
    pytest.param({"sentiment": "neutral", "reason": "mixed feelings"}, id="conditional-text"),
]


@pytest.mark.parametrize("extra", VALID)
def test_valid_values_pass(extra: dict[str, Any]) -> None:
    """Well-formed values of every kind validate without error."""
    validate_annotation(FIELDS, {**BASE, **extra}, PAYLOAD)


def test_conditional_field_may_be_left_out() -> None:
    """A field whose condition does not hold passes when it is simply absent."""
    validate_annotation(FIELDS, {"sentiment": "positive", "has_entities": "no"}, PAYLOAD)


def span(start: Any, end: Any, label: Any = "PER", **more: Any) -> dict[str, Any]:
    """A span element."""
    return {"start": start, "end": end, "label": label, **more}


def box(x: Any, y: Any, width: Any, height: Any, label: Any = "car") -> dict[str, Any]:
    """A box element."""
    return {"x": x, "y": y, "width": width, "height": height, "label": label}


def seg(start: Any, end: Any, label: Any = "speech") -> dict[str, Any]:
    """A segment element."""
    return {"start": start, "end": end, "label": label}


INVALID = [
    # top level and conditions
    (
        {"sentimnt": "positive"},
        "sentimnt",
        "unknown field 'sentimnt' (schema fields: 'sentiment', 'topics', 'has_entities', "
        "'entities', 'objects', 'events', 'preference', 'strict_pair', 'quality', 'comment', "
        "'reason')",
    ),
    ({"sentiment": None}, "sentiment", "required field is missing"),
    ({"entities": None}, "entities", "required field is missing"),
    (
        {"has_entities": "no"},
        "entities",
        "must be absent because its condition does not hold (has_entities equals 'yes')",
    ),
    (
        {"reason": "why"},
        "reason",
        "must be absent because its condition does not hold "
        "(sentiment is one of 'negative', 'neutral')",
    ),
    ({"sentiment": "negative"}, "reason", "required field is missing"),
    # choice
    ({"sentiment": 3}, "sentiment", "must be a label (a string), got number"),
    (
        {"sentiment": "happy"},
        "sentiment",
        "'happy' is not one of the labels 'positive', 'negative', 'neutral'",
    ),
    # multi_choice
    ({"topics": "price"}, "topics", "must be a list, got string"),
    (
        {"topics": ["price", "nope"]},
        "topics[1]",
        "'nope' is not one of the labels 'price', 'shipping', 'quality'",
    ),
    ({"topics": ["price", "price"]}, "topics[1]", "'price' is selected twice (also at [0])"),
    ({"topics": []}, "topics", "select at least 1 labels, got 0"),
    ({"topics": ["price", "shipping", "quality"]}, "topics", "select at most 2 labels, got 3"),
    # spans
    ({"entities": {"start": 0}}, "entities", "must be a list, got object"),
    (
        {"entities": ["Alice"]},
        "entities[0]",
        "must be an object with keys 'start', 'end', 'label', 'text', 'score', got string",
    ),
    (
        {"entities": [span(0, 5, extra=1)]},
        "entities[0].extra",
        "unknown key 'extra' (allowed: 'start', 'end', 'label', 'text', 'score')",
    ),
    ({"entities": [{"start": 0, "end": 5}]}, "entities[0].label", "is missing"),
    ({"entities": [span(0.0, 5)]}, "entities[0].start", "must be an integer offset, got 0.0"),
    ({"entities": [span(0, True)]}, "entities[0].end", "must be an integer offset, got True"),
    ({"entities": [span(-1, 5)]}, "entities[0].start", "must be 0 or more, got -1"),
    ({"entities": [span(5, 5)]}, "entities[0].end", "must be greater than start (5), got 5"),
    (
        {"entities": [span(0, 5), span(20, 30)]},
        "entities[1].end",
        "30 is past the end of 'text' (length 29)",
    ),
    (
        {"entities": [span(0, 5, "PERSON")]},
        "entities[0].label",
        "'PERSON' is not one of the labels 'PER', 'ORG', 'LOC'",
    ),
    (
        {"entities": [span(0, 5, text="Alic")]},
        "entities[0].text",
        "does not match the text of 'text' at 0..5",
    ),
    (
        {"entities": [span(0, 5), span(15, 19, "ORG"), span(3, 16, "ORG")]},
        "entities[2]",
        "overlaps entities[0] (0..5); this field does not allow overlapping ranges",
    ),
    ({"entities": [span(0, 5, score="high")]}, "entities[0].score", "must be a number, got string"),
    # boxes
    ({"objects": [box(-1, 0, 10, 10)]}, "objects[0].x", "must be 0 or more, got -1"),
    ({"objects": [box(0, 0, 0, 10)]}, "objects[0].width", "must be greater than 0, got 0"),
    ({"objects": [box(0, "1", 10, 10)]}, "objects[0].y", "must be a number, got '1'"),
    ({"objects": [box(0, 0, float("nan"), 10)]}, "objects[0].width", "must be a number, got nan"),
    (
        {"objects": [box(600, 0, 50, 10)]},
        "objects[0].width",
        "box reaches x + width = 650, past the image width 640",
    ),
    (
        {"objects": [box(0, 470.5, 10, 10)]},
        "objects[0].height",
        "box reaches y + height = 480.5, past the image height 480",
    ),
    (
        {"objects": [box(0, 0, 10, 10, "tree")]},
        "objects[0].label",
        "'tree' is not one of the labels 'car', 'person'",
    ),
    (
        {"objects": [{"x": 0, "y": 0, "width": 1, "label": "car"}]},
        "objects[0].height",
        "is missing",
    ),
    # segments
    ({"events": [seg(2, 1)]}, "events[0].end", "must be greater than start (2), got 1"),
    ({"events": [seg(-0.5, 1)]}, "events[0].start", "must be 0 or more, got -0.5"),
    ({"events": [seg(9, 10.5)]}, "events[0].end", "10.5 is past the end of the media (10 s)"),
    ({"events": [seg("0", 1)]}, "events[0].start", "must be a number of seconds, got '0'"),
    (
        {"events": [seg(0, 2), seg(1, 3, "music")]},
        "events[1]",
        "overlaps events[0] (0..2); this field does not allow overlapping ranges",
    ),
    (
        {"events": [seg(0, 2, "noise")]},
        "events[0].label",
        "'noise' is not one of the labels 'speech', 'music'",
    ),
    # pairwise
    (
        {"preference": "a"},
        "preference",
        "must be an object with keys 'choice', 'strength', 'order', got string",
    ),
    ({"preference": {"strength": 1}}, "preference.choice", "is missing"),
    (
        {"preference": {"choice": "c", "strength": 1}},
        "preference.choice",
        "must be one of 'a', 'b', 'tie', got 'c'",
    ),
    (
        {"strict_pair": {"choice": "tie"}},
        "strict_pair.choice",
        "must be one of 'a', 'b', got 'tie'; this field does not allow ties",
    ),
    ({"preference": {"choice": "a"}}, "preference.strength", "is missing"),
    (
        {"preference": {"choice": "a", "strength": 4}},
        "preference.strength",
        "4 is outside the scale 1..3",
    ),
    (
        {"preference": {"choice": "tie", "strength": 1}},
        "preference.strength",
        "must be absent when the choice is 'tie'",
    ),
    (
        {"strict_pair": {"choice": "a", "strength": 1}},
        "strict_pair.strength",
        "this field has no strength scale",
    ),
    (
        {"preference": {"choice": "a", "strength": 1, "order": ["a", "a"]}},
        "preference.order",
        "must be ['a', 'b'] or ['b', 'a'], got ['a', 'a']",
    ),
    (
        {"preference": {"choice": "a", "strength": 1, "why": "x"}},
        "preference.why",
        "unknown key 'why' (allowed: 'choice', 'strength', 'order')",
    ),
    # rating
    ({"quality": 6}, "quality", "6 is outside the scale 1..5"),
    ({"quality": 4.5}, "quality", "must be an integer from 1 to 5, got 4.5"),
    ({"quality": True}, "quality", "must be an integer from 1 to 5, got True"),
    # text
    ({"comment": "x" * 21}, "comment", "is 21 characters long; the limit is 20"),
    ({"comment": 5}, "comment", "must be a string, got number"),
    ({"sentiment": "negative", "reason": "  "}, "reason", "required field is empty"),
]


@pytest.mark.parametrize(("extra", "field", "message"), INVALID)
def test_invalid_values_name_the_field_and_part(
    extra: dict[str, Any], field: str, message: str
) -> None:
    """Each invalid value raises InvalidAnnotation naming the exact field path and problem."""
    assert error_of({**BASE, **extra}) == located(field, message)


def test_value_must_be_an_object() -> None:
    """A value that is not a JSON object is refused without a field location."""
    assert error_of(["positive"]) == {
        "code": "invalid_annotation",
        "message": "an annotation must be a JSON object, got array",
    }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "spans need text, but the item payload has no key 'text'"),
        ({"text": 42}, "spans need text, but the item payload has a number at key 'text'"),
    ],
)
def test_spans_need_payload_text(payload: dict[str, Any], message: str) -> None:
    """Spans on an item without a text at the source key are refused at the field."""
    assert error_of(BASE, payload) == located("entities", message)


def test_box_size_unknown_skips_the_edge_check() -> None:
    """Without the image size in the payload, a box far to the right is accepted."""
    payload = {key: v for key, v in PAYLOAD.items() if key not in ("width", "height")}
    validate_annotation(FIELDS, {**BASE, "objects": [box(5000, 5000, 10, 10)]}, payload)


def test_segment_duration_unknown_skips_the_end_check() -> None:
    """Without a duration in the payload, a segment at 1 hour is accepted."""
    payload = {key: v for key, v in PAYLOAD.items() if key != "duration"}
    validate_annotation(FIELDS, {**BASE, "events": [seg(3600, 3601)]}, payload)


def test_overlapping_spans_pass_when_allowed_but_duplicates_do_not() -> None:
    """allow_overlap accepts nested spans yet still refuses an exact duplicate."""
    nested = spec_from_dict(
        {
            "name": "nested",
            "fields": [{"name": "ents", "kind": "spans", "labels": ["A"], "allow_overlap": True}],
        }
    ).fields
    validate_annotation(nested, {"ents": [span(0, 10, "A"), span(2, 4, "A")]}, {"text": TEXT})
    with pytest.raises(InvalidAnnotation) as caught:
        validate_annotation(nested, {"ents": [span(0, 10, "A"), span(0, 10, "A")]}, {"text": TEXT})
    assert caught.value.to_dict() == located("ents[1]", "duplicates ents[0]")


SPANS_ONLY = spec_from_dict(
    {
        "name": "ner",
        "fields": [
            {"name": "ents", "kind": "spans", "labels": ["A", "B"], "allow_overlap": True},
            {"name": "flat", "kind": "spans", "labels": ["A", "B"], "required": False},
        ],
    }
).fields


@st.composite
def text_with_spans(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """A text and distinct labelled spans inside it, some carrying their quoted text."""
    text = draw(st.text(min_size=1, max_size=60))
    bounds = st.tuples(
        st.integers(0, len(text) - 1), st.integers(1, len(text)), st.sampled_from(["A", "B"])
    ).filter(lambda b: b[0] < b[1])
    chosen = draw(st.lists(bounds, max_size=8, unique=True))
    spans = []
    for start, end, label in chosen:
        element: dict[str, Any] = {"start": start, "end": end, "label": label}
        if draw(st.booleans()):
            element["text"] = text[start:end]
        spans.append(element)
    return text, spans


@given(text_with_spans())
def test_random_spans_inside_the_text_pass(case: tuple[str, list[dict[str, Any]]]) -> None:
    """Any set of distinct in-bounds spans with valid labels validates when overlap is allowed."""
    text, spans = case
    validate_annotation(SPANS_ONLY, {"ents": spans}, {"text": text})


@given(st.text(min_size=1, max_size=60), st.data())
def test_random_disjoint_spans_pass_without_overlap(text: str, data: st.DataObject) -> None:
    """Spans cut from sorted distinct offsets never overlap, so a no-overlap field accepts them."""
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=10)))
    spans = [
        {"start": a, "end": b, "label": data.draw(st.sampled_from(["A", "B"]))}
        for a, b in zip(cuts[::2], cuts[1::2], strict=False)
    ]
    shuffled = data.draw(st.permutations(spans))
    validate_annotation(SPANS_ONLY, {"ents": [], "flat": shuffled}, {"text": text})


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 10)), max_size=8))
def test_overlap_detection_matches_brute_force(raw: list[tuple[int, int]]) -> None:
    """A no-overlap field refuses exactly the span sets where some pair overlaps, naming it."""
    spans = [{"start": s, "end": s + n, "label": "A"} for s, n in dict.fromkeys(raw)]
    clash = any(
        a["start"] < b["end"] and b["start"] < a["end"]
        for i, a in enumerate(spans)
        for b in spans[:i]
    )
    value = {"ents": [], "flat": spans}
    if not clash:
        validate_annotation(SPANS_ONLY, value, {"text": "x" * 30})
        return
    with pytest.raises(InvalidAnnotation) as caught:
        validate_annotation(SPANS_ONLY, value, {"text": "x" * 30})
    here = int(caught.value.location.field.split("[")[1].rstrip("]"))  # type: ignore[union-attr]
    other = int(caught.value.message.split("[")[1].split("]")[0])
    first, second = spans[other], spans[here]
    assert (other < here, first["start"] < second["end"] and second["start"] < first["end"]) == (
        True,
        True,
    )


def test_conditions_on_structured_fields_compare_labels() -> None:
    """A `when` on a spans field holds when one of its spans carries the expected label."""
    from labelworks.domain.schema import Condition, condition_holds

    condition = Condition.model_validate({"field": "entities", "equals": "PER"})
    spans = {
        "entities": [{"start": 0, "end": 3, "label": "ORG"}, {"start": 4, "end": 7, "label": "PER"}]
    }
    others = {"entities": [{"start": 0, "end": 3, "label": "ORG"}]}
    assert (condition_holds(condition, spans), condition_holds(condition, others)) == (True, False)


def test_an_empty_list_is_nothing_to_mark_unless_a_minimum_is_set() -> None:
    """A required spans, boxes or segments field takes ``[]`` as "nothing to mark"; with
    ``min_spans``, ``min_boxes`` or ``min_segments`` it needs that many, and says so."""
    fields = spec_from_dict(
        {
            "name": "marks",
            "fields": [
                {"name": "entities", "kind": "spans", "labels": ["PER"]},
                {"name": "objects", "kind": "boxes", "labels": ["car"]},
                {"name": "events", "kind": "segments", "labels": ["speech"]},
            ],
        }
    ).fields
    at_least = spec_from_dict(
        {
            "name": "marks",
            "fields": [
                {"name": "entities", "kind": "spans", "labels": ["PER"], "min_spans": 1},
                {"name": "objects", "kind": "boxes", "labels": ["car"], "min_boxes": 2},
                {"name": "events", "kind": "segments", "labels": ["speech"], "min_segments": 1},
            ],
        }
    ).fields
    box = {"x": 1, "y": 1, "width": 2, "height": 2, "label": "car"}
    span = {"start": 0, "end": 5, "label": "PER"}
    segment = {"start": 0.0, "end": 1.0, "label": "speech"}
    nothing = {"entities": [], "objects": [], "events": []}
    validate_annotation(fields, nothing, {"text": TEXT})
    refused = {}
    for name, value in {
        "no spans": nothing,
        "one box": {"entities": [span], "objects": [box], "events": [segment]},
        "no segments": {"entities": [span], "objects": [box, {**box, "x": 5}], "events": []},
    }.items():
        with pytest.raises(InvalidAnnotation) as caught:
            validate_annotation(at_least, value, {"text": TEXT})
        refused[name] = str(caught.value)
    assert refused == {
        "no spans": "field 'entities': mark at least 1 span, got 0",
        "one box": "field 'objects': mark at least 2 boxes, got 1",
        "no segments": "field 'events': mark at least 1 segment, got 0",
    }
