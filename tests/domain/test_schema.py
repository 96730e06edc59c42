"""Label schema fields: defaults, per-field setting checks, payload keys and labels in use."""

from __future__ import annotations

from typing import Any

import pytest

from labelworks.domain.errors import InvalidSpec
from labelworks.domain.schema import (
    Condition,
    condition_holds,
    labels_in_use,
    parse_field,
    required_payload_keys,
)
from labelworks.domain.spec import spec_from_dict

COMMON = {"title": None, "required": True, "when": None, "shortcuts": {}}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"name": "s", "kind": "choice", "labels": ["a"]},
            {"kind": "choice", "labels": ["a"], "source": "text"},
        ),
        (
            {"name": "s", "kind": "multi_choice", "labels": ["a"]},
            {
                "kind": "multi_choice",
                "labels": ["a"],
                "source": "text",
                "min_selections": 0,
                "max_selections": None,
            },
        ),
        (
            {"name": "s", "kind": "spans", "labels": ["a"]},
            {
                "kind": "spans",
                "labels": ["a"],
                "source": "text",
                "allow_overlap": False,
                "min_spans": 0,
            },
        ),
        (
            {"name": "s", "kind": "boxes", "labels": ["a"]},
            {
                "kind": "boxes",
                "labels": ["a"],
                "source": "image",
                "width_key": None,
                "height_key": None,
                "min_boxes": 0,
            },
        ),
        (
            {"name": "s", "kind": "segments", "labels": ["a"]},
            {
                "kind": "segments",
                "labels": ["a"],
                "media": "audio",
                "source": "audio",
                "duration_key": None,
                "allow_overlap": True,
                "min_segments": 0,
            },
        ),
        (
            {"name": "s", "kind": "segments", "labels": ["a"], "media": "video"},
            {
                "kind": "segments",
                "labels": ["a"],
                "media": "video",
                "source": "video",
                "duration_key": None,
                "allow_overlap": True,
                "min_segments": 0,
            },
        ),
        (
            {"name": "s", "kind": "pairwise"},
            {
                "kind": "pairwise",
                "prompt_source": "prompt",
                "a_source": "a",
                "b_source": "b",
                "allow_tie": True,
                "strength": None,
            },
        ),
        (
            {"name": "s", "kind": "rating"},
            {"kind": "rating", "source": None, "min": 1, "max": 5, "anchors": {}},
        ),
        ({"name": "s", "kind": "text"}, {"kind": "text", "source": None, "max_length": 2000}),
    ],
)
def test_field_defaults(data: dict[str, Any], expected: dict[str, Any]) -> None:
    """Each kind fills in its documented defaults (segments read the key named by media)."""
    assert parse_field(data).model_dump() == {"name": "s", **COMMON, **expected}


def test_labels_property_is_empty_for_unlabelled_kinds() -> None:
    """Pairwise, rating and text fields expose an empty label list and pairwise no source."""
    fields = [parse_field({"name": "x", "kind": kind}) for kind in ("pairwise", "rating", "text")]
    assert [(f.labels, f.source) for f in fields] == [([], None), ([], None), ([], None)]


def field_error(field: dict[str, Any], *more: dict[str, Any]) -> dict[str, Any]:
    """The whole error dict spec_from_dict raises for a spec holding these fields."""
    with pytest.raises(InvalidSpec) as caught:
        spec_from_dict({"name": "p", "fields": [field, *more]}, source="api")
    return caught.value.to_dict()


def one(field: str, message: str) -> dict[str, Any]:
    """The expected error dict for one problem without a line."""
    return {
        "code": "invalid_spec",
        "message": f"api, field '{field}': {message}",
        "location": {"file": "api", "line": None, "field": field},
        "details": {"errors": [{"line": None, "field": field, "message": message}]},
    }


CHOICE = {"name": "c", "kind": "choice", "labels": ["pos", "neg"]}

FIELD_ERRORS = [
    pytest.param(
        {**CHOICE, "labels": []}, "fields[0].labels", "needs at least one label", id="no-labels"
    ),
    pytest.param(
        {**CHOICE, "labels": ["pos", " neg"]},
        "fields[0].labels[1]",
        "label ' neg' has leading or trailing spaces",
        id="label-spaces",
    ),
    pytest.param(
        {**CHOICE, "labels": ["pos", ""]},
        "fields[0].labels[1]",
        "labels must not be empty",
        id="label-empty",
    ),
    pytest.param(
        {**CHOICE, "shortcuts": {"pos": "1", "neg": "1"}},
        "fields[0].shortcuts.neg",
        "shortcut key '1' is used for both 'pos' and 'neg'",
        id="shortcut-duplicate",
    ),
    pytest.param(
        {**CHOICE, "shortcuts": {"pos": "ctrl+1"}},
        "fields[0].shortcuts.pos",
        "shortcut key 'ctrl+1' must be a single printable character",
        id="shortcut-long",
    ),
    pytest.param(
        {**CHOICE, "shortcuts": {"happy": "h"}},
        "fields[0].shortcuts.happy",
        "shortcut for 'happy', which is not selectable here (can be one of 'pos', 'neg')",
        id="shortcut-unknown-label",
    ),
    pytest.param(
        {"name": "t", "kind": "text", "shortcuts": {"x": "x"}},
        "fields[0].shortcuts.x",
        "shortcut for 'x', which is not selectable here (can be nothing in this field kind)",
        id="shortcut-text",
    ),
    pytest.param(
        {"name": "r", "kind": "rating", "min": 1, "max": 3, "shortcuts": {"4": "4"}},
        "fields[0].shortcuts.4",
        "shortcut for '4', which is not selectable here (can be one of '1', '2', '3')",
        id="shortcut-rating",
    ),
    pytest.param(
        {**CHOICE, "kind": "multi_choice", "min_selections": 2, "max_selections": 1},
        "fields[0].max_selections",
        "max_selections (1) is below min_selections (2)",
        id="multi-bounds",
    ),
    pytest.param(
        {**CHOICE, "kind": "multi_choice", "max_selections": 3},
        "fields[0].max_selections",
        "max_selections (3) exceeds the number of labels (2)",
        id="multi-max",
    ),
    pytest.param(
        {**CHOICE, "kind": "boxes", "width_key": "w"},
        "fields[0].height_key",
        "give both width_key and height_key, or neither",
        id="boxes-size-keys",
    ),
    pytest.param(
        {**CHOICE, "kind": "segments", "media": "image"},
        "fields[0].media",
        "must be 'audio', 'video' or 'timeseries', got 'image'",
        id="segments-media",
    ),
    pytest.param(
        {"name": "p", "kind": "pairwise", "a_source": "x", "b_source": "x"},
        "fields[0].b_source",
        "a_source and b_source must name different payload keys",
        id="pairwise-sources",
    ),
    pytest.param(
        {"name": "p", "kind": "pairwise", "strength": {"min": 1, "max": 3, "anchors": {4: "x"}}},
        "fields[0].strength.anchors[4]",
        "anchor 4 is outside the scale 1..3",
        id="strength-anchor",
    ),
    pytest.param(
        {"name": "p", "kind": "pairwise", "strength": {"mx": 3}},
        "fields[0].strength.mx",
        "unknown key 'mx' (did you mean 'max'?); allowed keys: min, max, anchors",
        id="strength-unknown-key",
    ),
    pytest.param(
        {"name": "r", "kind": "rating", "min": 1.5},
        "fields[0].min",
        "must be an integer, got 1.5",
        id="rating-float",
    ),
    pytest.param(
        {"name": "t", "kind": "text", "max_length": 0},
        "fields[0].max_length",
        "must be at least 1, got 0",
        id="text-max-length",
    ),
    pytest.param(
        {**CHOICE, "required": "maybe"},
        "fields[0].required",
        "must be true or false, got 'maybe'",
        id="required-not-bool",
    ),
]


@pytest.mark.parametrize(("field", "path", "message"), FIELD_ERRORS)
def test_field_setting_errors(field: dict[str, Any], path: str, message: str) -> None:
    """Bad per-field settings name the field path and what is wrong."""
    assert field_error(field) == one(path, message)


@pytest.mark.parametrize(
    ("target", "when", "path", "message"),
    [
        (
            {"name": "t", "kind": "text"},
            {"field": "t", "equals": "x"},
            "fields[1].when.equals",
            "conditions cannot refer to the text field 't'; use a choice, multi_choice, "
            "spans, boxes, segments, pairwise or rating field",
        ),
        (
            {"name": "r", "kind": "rating"},
            {"field": "r", "in": [5, 6]},
            "fields[1].when.in[1]",
            "6 can never be a value of field 'r' (an integer from 1 to 5)",
        ),
        (
            {"name": "pw", "kind": "pairwise", "allow_tie": False},
            {"field": "pw", "equals": "tie"},
            "fields[1].when.equals",
            "'tie' can never be a value of field 'pw' (one of 'a', 'b')",
        ),
    ],
)
def test_condition_values_must_be_possible(
    target: dict[str, Any], when: dict[str, Any], path: str, message: str
) -> None:
    """A condition's value must be something the referenced field can hold."""
    follower = {"name": "later", "kind": "text", "when": when}
    assert field_error(target, follower) == one(path, message)


@pytest.mark.parametrize(
    ("when", "value", "holds"),
    [
        ({"field": "tags", "equals": "x"}, {"tags": ["y", "x"]}, True),
        ({"field": "tags", "in": ["z", "w"]}, {"tags": ["y", "x"]}, False),
        ({"field": "pref", "equals": "tie"}, {"pref": {"choice": "tie"}}, True),
        ({"field": "score", "in": [4, 5]}, {"score": 5}, True),
        ({"field": "score", "in": [4, 5]}, {"score": True}, False),
        ({"field": "grade", "equals": 1}, {"grade": "1"}, True),
        ({"field": "grade", "equals": "a"}, {}, False),
    ],
)
def test_condition_holds(when: dict[str, Any], value: dict[str, Any], holds: bool) -> None:
    """Conditions match list members, pairwise choices, integers and numeric labels."""
    assert condition_holds(Condition.model_validate(when), value) is holds


def test_required_payload_keys() -> None:
    """Sources of required fields are needed; optional fields and the pairwise prompt are not."""
    spec = spec_from_dict(
        {
            "name": "p",
            "fields": [
                {"name": "c", "kind": "choice", "labels": ["x"], "source": "body"},
                {
                    "name": "o",
                    "kind": "choice",
                    "labels": ["x"],
                    "source": "extra",
                    "required": False,
                },
                {"name": "n", "kind": "choice", "labels": ["x"], "source": None},
                {
                    "name": "b",
                    "kind": "boxes",
                    "labels": ["x"],
                    "width_key": "w",
                    "height_key": "h",
                },
                {"name": "s", "kind": "segments", "labels": ["x"], "media": "timeseries"},
                {"name": "pw", "kind": "pairwise", "a_source": "left", "b_source": "right"},
                {"name": "r", "kind": "rating"},
                {"name": "t", "kind": "text"},
            ],
        }
    )
    assert required_payload_keys(spec.fields) == {"body", "image", "timeseries", "left", "right"}


def test_labels_in_use_collects_per_field() -> None:
    """Labels, pairwise choices and rating points in use are gathered per field; junk is skipped."""
    spec = spec_from_dict(
        {
            "name": "p",
            "fields": [
                {"name": "c", "kind": "choice", "labels": ["x", "y"]},
                {"name": "m", "kind": "multi_choice", "labels": ["x", "y"]},
                {"name": "sp", "kind": "spans", "labels": ["A", "B"]},
                {"name": "pw", "kind": "pairwise"},
                {"name": "r", "kind": "rating"},
                {"name": "t", "kind": "text", "required": False},
                {"name": "unused", "kind": "choice", "labels": ["x"], "required": False},
            ],
        }
    )
    values = [
        {
            "c": "x",
            "m": ["x", "y"],
            "sp": [{"start": 0, "end": 1, "label": "A"}],
            "pw": {"choice": "a"},
        },
        {"c": "y", "m": [], "sp": ["junk", {"label": 3}], "r": 4, "t": "hi", "unused": None},
        {"gone": "z", "r": True},
    ]
    assert labels_in_use(spec.fields, values) == {
        "c": {"x", "y"},
        "m": {"x", "y"},
        "sp": {"A"},
        "pw": {"a"},
        "r": {"4"},
        "t": set(),
    }
