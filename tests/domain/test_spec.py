"""Project specs: parsing YAML with located errors, writing it back, and unsafe changes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.errors import InvalidSpec
from labelworks.domain.schema import (
    ChoiceField,
    Condition,
    PairwiseField,
    RatingField,
    SpansField,
    TextField,
)
from labelworks.domain.spec import (
    ProjectSpec,
    QualitySpec,
    parse_spec,
    spec_from_dict,
    spec_to_yaml,
    unsafe_changes,
)

ISSUE_EXAMPLE = """\
name: sentiment
description: Sentiment of product reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
    source: text          # payload key the field is about (default: text)
overlap: 3
lease_minutes: 30
guidelines: guidelines/sentiment.md
quality: {}
"""

KINDS = "choice, multi_choice, spans, boxes, segments, pairwise, rating, text"


def test_issue_example_parses() -> None:
    """The example spec from the foundation issue parses into the expected model."""
    assert parse_spec(ISSUE_EXAMPLE, source="spec.yaml") == ProjectSpec(
        name="sentiment",
        description="Sentiment of product reviews",
        fields=[ChoiceField(name="sentiment", labels=["positive", "negative", "neutral"])],
        overlap=3,
        lease_minutes=30,
        guidelines="guidelines/sentiment.md",
        quality=QualitySpec(),
    )


def test_effective_spec_yaml() -> None:
    """spec_to_yaml writes every effective setting in a stable order."""
    assert spec_to_yaml(parse_spec(ISSUE_EXAMPLE)) == (
        "name: sentiment\n"
        "description: Sentiment of product reviews\n"
        "fields:\n"
        "- name: sentiment\n"
        "  kind: choice\n"
        "  labels: [positive, negative, neutral]\n"
        "  source: text\n"
        "  required: true\n"
        "overlap: 3\n"
        "lease_minutes: 30\n"
        "priority: 0\n"
        "guidelines: guidelines/sentiment.md\n"
        "allow_remote_media: false\n"
        "show_other_annotations: false\n"
        "quality: {}\n"
    )


def spec_error(line: int | None, field: str | None, message: str) -> dict[str, Any]:
    """The whole InvalidSpec dict for a single problem in spec.yaml."""
    where = ", ".join(
        part
        for part in (
            "spec.yaml",
            f"line {line}" if line else "",
            f"field '{field}'" if field else "",
        )
        if part
    )
    return {
        "code": "invalid_spec",
        "message": f"{where}: {message}",
        "location": {"file": "spec.yaml", "line": line, "field": field},
        "details": {"errors": [{"line": line, "field": field, "message": message}]},
    }


def parse_error(text: str) -> dict[str, Any]:
    """The whole error dict parse_spec raises for ``text``."""
    with pytest.raises(InvalidSpec) as caught:
        parse_spec(text, source="spec.yaml")
    return caught.value.to_dict()


BAD = [
    pytest.param(
        ISSUE_EXAMPLE.replace("kind: choice", "kind: polygon"),
        spec_error(5, "fields[0].kind", f"unknown field kind 'polygon'; valid kinds: {KINDS}"),
        id="unknown-kind",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("overlap: 3", "overlap: 0"),
        spec_error(8, "overlap", "must be at least 1, got 0"),
        id="overlap-0",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("neutral]", "positive]"),
        spec_error(6, "fields[0].labels[2]", "duplicate label 'positive' (first at labels[0])"),
        id="duplicate-labels",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "labels: [positive, negative, neutral]",
            "labels:\n      - positive\n      - negative\n      - negative",
        ),
        spec_error(9, "fields[0].labels[2]", "duplicate label 'negative' (first at labels[1])"),
        id="duplicate-labels-block",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("overlap: 3", "overlap: 101"),
        spec_error(8, "overlap", "must be at most 100, got 101"),
        id="overlap-101",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("overlap: 3", "overlap: three"),
        spec_error(8, "overlap", "must be an integer, got 'three'"),
        id="overlap-text",
    ),
    pytest.param(
        "name: x\nfields: [\n",
        spec_error(3, None, "invalid YAML: expected the node content, but found '<stream end>'"),
        id="yaml-syntax",
    ),
    pytest.param(
        "- name: x\n",
        spec_error(
            1,
            None,
            "a spec must be a mapping with at least 'name' and 'fields'; this one is a list",
        ),
        id="not-a-mapping",
    ),
    pytest.param(
        "# nothing yet\n",
        spec_error(
            None,
            None,
            "a spec must be a mapping with at least 'name' and 'fields'; this one is empty",
        ),
        id="empty",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("lease_minutes", "lease_minute"),
        spec_error(
            9,
            "lease_minute",
            "unknown key 'lease_minute' (did you mean 'lease_minutes'?); allowed keys: name, "
            "description, fields, overlap, lease_minutes, priority, guidelines, "
            "guidelines_changelog, allow_remote_media, show_other_annotations, quality, privacy, "
            "assist, predictions, evaluation, routing, plan",
        ),
        id="unknown-top-key",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("    labels:", "    lables:"),
        {
            "code": "invalid_spec",
            "message": "spec.yaml, line 4, field 'fields[0].labels': missing required key 'labels'",
            "location": {"file": "spec.yaml", "line": 4, "field": "fields[0].labels"},
            "details": {
                "errors": [
                    {
                        "line": 4,
                        "field": "fields[0].labels",
                        "message": "missing required key 'labels'",
                    },
                    {
                        "line": 6,
                        "field": "fields[0].lables",
                        "message": "unknown key 'lables' (did you mean 'labels'?); allowed keys: "
                        "name, kind, title, labels, source, required, when, shortcuts",
                    },
                ]
            },
        },
        id="misspelt-field-key",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("    kind: choice\n", ""),
        spec_error(4, "fields[0].kind", f"missing required key 'kind'; valid kinds: {KINDS}"),
        id="missing-kind",
    ),
    pytest.param(
        ISSUE_EXAMPLE + "overlap: 2\n",
        spec_error(12, "overlap", "duplicate key 'overlap' (first given on line 8)"),
        id="duplicate-yaml-key",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("name: sentiment\ndesc", "name: Sentiment Reviews\ndesc"),
        spec_error(
            1,
            "name",
            "project name 'Sentiment Reviews' must be 1-64 characters of lowercase letters, "
            "digits, '-' and '_', starting with a letter or digit",
        ),
        id="bad-project-name",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("  - name: sentiment", "  - name: my field"),
        spec_error(
            4,
            "fields[0].name",
            "field name 'my field' must start with a letter or '_' and contain only letters, "
            "digits and '_' (at most 64 characters)",
        ),
        id="bad-field-name",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("fields:\n", "fields: []\n").replace(
            "  - name: sentiment\n    kind: choice\n    labels: [positive, negative, neutral]\n"
            "    source: text          # payload key the field is about (default: text)\n",
            "",
        ),
        spec_error(3, "fields", "a project needs at least one field"),
        id="no-fields",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("fields:\n", "fields:\n  - name: sentiment\n    kind: text\n"),
        spec_error(6, "fields[1].name", "duplicate field name 'sentiment' (also fields[0])"),
        id="duplicate-field-names",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("    source: text ", "    when: {field: topic, equals: x}\n    #"),
        spec_error(
            7,
            "fields[0].when.field",
            "condition refers to unknown field 'topic' (fields: 'sentiment')",
        ),
        id="when-unknown-field",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "    source: text ", "    when: {field: sentiment, equals: x}\n    #"
        ),
        spec_error(
            7, "fields[0].when.field", "a field's condition cannot refer to the field itself"
        ),
        id="when-self",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "quality:\n  gold_rate: 1.5"),
        spec_error(12, "quality.gold_rate", "must be at most 1, got 1.5"),
        id="gold-rate",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "quality:\n  retest: {rate: .nan, after: 5}"),
        spec_error(12, "quality.retest.rate", "must be a finite number, got nan"),
        id="retest-rate-nan",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "quality:\n  retest: {rate: 0.9}"),
        spec_error(12, "quality.retest.rate", "must be at most 0.5, got 0.9"),
        id="retest-rate-high",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "quality:\n  retest: {rate: 0.1, after: 1.5}"),
        spec_error(12, "quality.retest.after", "must be an integer, got 1.5"),
        id="retest-after-fraction",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "quality:\n  retest: {rate: 0.1, every: 3}"),
        spec_error(12, "quality.retest.every", "unknown key 'every'; allowed keys: rate, after"),
        id="retest-unknown-key",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "    kind: choice\n    labels: [positive, negative, neutral]\n",
            "    kind: rating\n    min: 5\n    max: 5\n",
        ),
        spec_error(6, "fields[0].min", "min (5) must be less than max (5)"),
        id="rating-min-not-below-max",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "quality: {}", "quality: {consensus: majority}\nassist: {field: topic}"
        ),
        spec_error(
            12, "assist.field", "'topic' is not a field of this project (fields: 'sentiment')"
        ),
        id="assist-unknown-field",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "assist: {field: sentiment}"),
        spec_error(
            11,
            "assist",
            "the model learns from final labels, which quality.consensus decides: set "
            "quality.consensus (majority, wawa or dawid_skene)",
        ),
        id="assist-without-consensus",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "quality: {}", "quality: {consensus: majority}\nassist: {field: sentiment, every: 0}"
        ),
        spec_error(12, "assist.every", "must be at least 1, got 0"),
        id="assist-every-zero",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "quality: {}",
            "quality: {consensus: majority}\nassist: {field: sentiment, min_labels: .nan}",
        ),
        spec_error(12, "assist.min_labels", "must be an integer, got nan"),
        id="assist-min-labels-nan",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace(
            "    kind: choice\n    labels: [positive, negative, neutral]\n",
            "    kind: rating\n    min: 1\n    max: 5\n",
        ).replace("quality: {}", "quality: {consensus: majority}\nassist: {field: sentiment}"),
        spec_error(
            13,
            "assist.field",
            "'sentiment' is a rating field; the baseline model learns choice and multi_choice "
            "fields",
        ),
        id="assist-rating-field",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "routing: {order: uncertainty}"),
        spec_error(
            11,
            "routing.order",
            "routing.order 'uncertainty' serves first the items the assist model is least sure "
            "about: add an assist section (assist: {field: NAME}), or use 'random' or "
            "'sequential'",
        ),
        id="routing-uncertainty-without-assist",
    ),
    pytest.param(
        ISSUE_EXAMPLE.replace("quality: {}", "routing: {order: active}"),
        spec_error(
            11, "routing.order", "must be 'sequential', 'random' or 'uncertainty', got 'active'"
        ),
        id="routing-unknown-order",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_specs_name_line_and_field(text: str, expected: dict[str, Any]) -> None:
    """Each malformed spec raises InvalidSpec with the file, 1-based line, field and message."""
    assert parse_error(text) == expected


CONDITIONAL = """\
name: ner
fields:
  - name: has_entities
    kind: choice
    labels: [yes, no]
  - name: entities
    kind: spans
    labels: [PER, ORG]
    when:
      field: has_entities
      {test}
  - name: comment
    kind: text
"""


@pytest.mark.parametrize(
    ("test", "line", "field", "message"),
    [
        (
            "equals: maybe",
            11,
            "fields[1].when.equals",
            "'maybe' is not a label of field 'has_entities' (labels: 'yes', 'no')",
        ),
        (
            "in: [yes, perhaps]",
            11,
            "fields[1].when.in[1]",
            "'perhaps' is not a label of field 'has_entities' (labels: 'yes', 'no')",
        ),
        (
            "equals: yes\n      in: [no]",
            9,
            "fields[1].when",
            "give exactly one of 'equals' or 'in'",
        ),
        ("in: []", 11, "fields[1].when.in", "'in' needs at least one value"),
    ],
)
def test_bad_conditions(test: str, line: int, field: str, message: str) -> None:
    """A condition must test an existing earlier field against a value it can take."""
    assert parse_error(CONDITIONAL.replace("{test}", test)) == spec_error(line, field, message)


def test_condition_on_a_later_field_is_refused() -> None:
    """Conditions may only look back, which also rules out cycles."""
    text = CONDITIONAL.replace("{test}", "equals: yes").replace(
        "      field: has_entities", "      field: comment"
    )
    assert parse_error(text) == spec_error(
        10,
        "fields[1].when.field",
        "condition refers to 'comment', which comes after this field; "
        "conditions can only refer to earlier fields",
    )


def test_yaml_12_booleans_keep_yes_and_no_as_labels() -> None:
    """labels [yes, no, on, off] stay strings, while a yes/no switch still reads as a boolean."""
    spec = parse_spec(
        "name: flags\nallow_remote_media: yes\n"
        "fields: [{name: ok, kind: choice, labels: [yes, no, on, off, 2024-01-01, 1]}]\n"
    )
    assert (spec.allow_remote_media, spec.fields[0].labels) == (
        True,
        ["yes", "no", "on", "off", "2024-01-01", "1"],
    )


def test_spec_from_dict_reports_without_lines() -> None:
    """The dict entry point validates the same way and names the source, not a line."""
    with pytest.raises(InvalidSpec) as caught:
        spec_from_dict({"name": "x", "fields": [{"name": "a", "kind": "boxes"}], "overlap": 0})
    assert caught.value.to_dict() == {
        "code": "invalid_spec",
        "message": "<spec>, field 'fields[0].labels': missing required key 'labels'",
        "location": {"file": "<spec>", "line": None, "field": "fields[0].labels"},
        "details": {
            "errors": [
                {
                    "line": None,
                    "field": "fields[0].labels",
                    "message": "missing required key 'labels'",
                },
                {"line": None, "field": "overlap", "message": "must be at least 1, got 0"},
            ]
        },
    }


@pytest.mark.parametrize(
    ("guidelines", "path"),
    [
        ("guidelines/sentiment.md", "guidelines/sentiment.md"),
        ("  docs/NER.Markdown ", "docs/NER.Markdown"),
        ("notes.txt", "notes.txt"),
        ("Label the **sentiment**.", None),
        ("See guide.md\n", None),
        ("# Title\n\nsee a.md", None),
        (None, None),
    ],
)
def test_guidelines_path(guidelines: str | None, path: str | None) -> None:
    """Only a single line ending in .md/.markdown/.txt is a path; anything else is Markdown."""
    spec = ProjectSpec(name="p", fields=[TextField(name="t")], guidelines=guidelines)
    assert spec.guidelines_path() == path


# ---- round trips -----------------------------------------------------------------------

LABEL = st.text(min_size=1, max_size=12).filter(lambda s: s == s.strip() and bool(s))
LABELS = st.lists(LABEL, min_size=1, max_size=5, unique=True)


def _field(kind: str, draw: st.DrawFn) -> dict[str, Any]:
    options: dict[str, Any] = {"kind": kind, "required": draw(st.booleans())}
    if draw(st.booleans()):
        options["title"] = draw(st.text(max_size=30))
    if kind in ("choice", "multi_choice", "spans", "boxes", "segments"):
        options["labels"] = draw(LABELS)
        options["shortcuts"] = {options["labels"][0]: draw(st.sampled_from("123qwe"))}
    if kind in ("choice", "multi_choice"):
        options["source"] = draw(st.sampled_from(["text", "body", None]))
    if kind == "multi_choice" and draw(st.booleans()):
        options["max_selections"] = len(options["labels"])
    if kind == "spans":
        options["allow_overlap"] = draw(st.booleans())
    if kind == "boxes" and draw(st.booleans()):
        options.update(width_key="w", height_key="h")
    if kind == "segments":
        options["media"] = draw(st.sampled_from(["audio", "video", "timeseries"]))
    if kind == "pairwise" and draw(st.booleans()):
        options["strength"] = {"min": 1, "max": 3, "anchors": {1: "slightly", 3: "much"}}
    if kind == "rating":
        low = draw(st.integers(-5, 5))
        options.update(min=low, max=low + draw(st.integers(1, 9)), anchors={low: "bad"})
    if kind == "text":
        options["max_length"] = draw(st.integers(1, 10_000))
    return options


@st.composite
def specs(draw: st.DrawFn) -> ProjectSpec:
    """Random valid specs covering every field kind and top-level setting."""
    kinds = draw(st.lists(st.sampled_from(KINDS.split(", ")), min_size=1, max_size=6))
    fields: list[dict[str, Any]] = []
    for index, kind in enumerate(kinds):
        field = {"name": f"f{index}", **_field(kind, draw)}
        earlier = [f for f in fields if f["kind"] == "choice"]
        if earlier and draw(st.booleans()):
            target = draw(st.sampled_from(earlier))
            field["when"] = {"field": target["name"], "in": target["labels"][:2]}
        fields.append(field)
    data: dict[str, Any] = {
        "name": draw(st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)),
        "description": draw(st.text(max_size=80)),
        "fields": fields,
        "overlap": draw(st.integers(1, 100)),
        "lease_minutes": draw(st.integers(1, 10_000)),
        "priority": draw(st.integers(-1000, 1000)),
        "guidelines": draw(st.none() | st.text(max_size=80)),
        "guidelines_changelog": draw(st.none() | st.text(max_size=40)),
        "allow_remote_media": draw(st.booleans()),
        "show_other_annotations": draw(st.booleans()),
        "quality": {
            "gold_rate": draw(st.none() | st.floats(0, 1)),
            "retest": draw(
                st.none()
                | st.fixed_dictionaries(
                    {"rate": st.floats(0.001, 0.5), "after": st.integers(1, 100_000)}
                )
            ),
            "acceptance": {"gold_accuracy": 0.95, "all_final": True},
            "future_key": draw(st.text(max_size=10)),
        },
    }
    assistable = [
        f for f in fields if f["kind"] in ("choice", "multi_choice") and f.get("source", "text")
    ]
    if assistable and draw(st.booleans()):
        data["quality"]["consensus"] = draw(st.sampled_from(["majority", "dawid_skene"]))
        data["assist"] = {
            "field": draw(st.sampled_from(assistable))["name"],
            "every": draw(st.integers(1, 1_000_000)),
            "min_labels": draw(st.integers(2, 1_000_000)),
        }
    orders = ["sequential", "random", *(["uncertainty"] if "assist" in data else [])]
    if draw(st.booleans()):
        data["routing"] = {"order": draw(st.sampled_from(orders))}
    return spec_from_dict(data)


@settings(max_examples=60, deadline=None)
@given(specs())
def test_spec_to_yaml_round_trips(spec: ProjectSpec) -> None:
    """Writing a spec as YAML and parsing it back gives an equal spec."""
    assert parse_spec(spec_to_yaml(spec)) == spec


@settings(max_examples=30, deadline=None)
@given(specs())
def test_spec_json_round_trips(spec: ProjectSpec) -> None:
    """Storage keeps specs as pydantic JSON; reading that back gives an equal spec."""
    assert ProjectSpec.model_validate_json(spec.model_dump_json()) == spec


# ---- unsafe changes ----------------------------------------------------------------------

OLD = ProjectSpec(
    name="p",
    fields=[
        ChoiceField(name="sentiment", labels=["positive", "negative", "neutral"]),
        SpansField(name="entities", labels=["PER", "ORG"]),
        PairwiseField(name="pref"),
        RatingField(name="quality", min=1, max=5),
        TextField(name="comment", when=Condition(field="sentiment", equals="negative")),
    ],
)
IN_USE = {
    "sentiment": {"positive", "neutral"},
    "entities": {"PER"},
    "pref": {"a", "tie"},
    "quality": {"1", "5"},
    "comment": set(),
}


def test_unchanged_spec_is_safe() -> None:
    """Re-applying the same schema, or adding labels and fields, invalidates nothing."""
    grown = OLD.model_copy(
        update={
            "fields": [
                ChoiceField(name="sentiment", labels=["positive", "negative", "neutral", "mixed"]),
                *OLD.fields[1:],
                TextField(name="notes"),
            ]
        }
    )
    assert (
        unsafe_changes(OLD, OLD, IN_USE, set(IN_USE)),
        unsafe_changes(OLD, grown, IN_USE, set(IN_USE)),
    ) == ([], [])


def test_unsafe_changes_lists_every_reason() -> None:
    """Removing fields or labels in use, changing kinds, sources, ties or scales is reported."""
    new = ProjectSpec(
        name="p",
        fields=[
            ChoiceField(name="sentiment", labels=["positive", "negative"]),
            SpansField(name="entities", labels=["ORG"], source="body"),
            PairwiseField(name="pref", allow_tie=False),
            RatingField(name="quality", min=1, max=3),
        ],
    )
    assert unsafe_changes(OLD, new, IN_USE, set(IN_USE)) == [
        "label 'neutral' of field 'sentiment' is in use and would be removed",
        "spans field 'entities' has annotations and would change its source from 'text' to 'body'",
        "label 'PER' of field 'entities' is in use and would be removed",
        "pairwise field 'pref' would no longer allow ties, but ties are in use",
        "rating field 'quality' would change its scale to 1..3, but values 5 are in use",
        "field 'comment' has annotations and would be removed",
    ]


def test_kind_change_and_unused_fields() -> None:
    """A kind change is refused only for fields that have annotations."""
    new = OLD.model_copy(
        update={
            "fields": [
                ChoiceField(name="sentiment", labels=["positive", "neutral"]),
                ChoiceField(name="entities", labels=["PER"]),
                TextField(name="pref"),
            ]
        }
    )
    assert unsafe_changes(OLD, new, {"pref": {"a"}}, {"pref", "entities"}) == [
        "field 'entities' has annotations and would change kind from spans to choice",
        "field 'pref' has annotations and would change kind from pairwise to text",
    ]


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [("name: a\x00\n", 1, "0000"), ("name: a\nfields:\n\x07\n", 3, "0007")],
)
def test_an_unprintable_character_is_a_spec_error_with_its_line(
    text: str, line: int, code: str
) -> None:
    """YAML refuses a NUL or another control character before parsing: named with its line,
    as every other mistake, never an unexpected crash."""
    with pytest.raises(InvalidSpec) as refused:
        parse_spec(text, source="spec.yaml")
    assert str(refused.value) == (
        f"spec.yaml, line {line}: invalid YAML: unacceptable character #x{code}: "
        "special characters are not allowed"
    )
