"""The spec's ``quality.acceptance``: a typed model whose mistakes are named by file, line
and field, and which the effective spec writes back so that it round-trips."""

from __future__ import annotations

from typing import Any

import pytest

from labelworks.domain.errors import InvalidSpec
from labelworks.domain.spec import (
    AcceptanceSpec,
    AgreementCriterionSpec,
    parse_spec,
    spec_from_dict,
    spec_to_yaml,
)

HEAD = """\
name: reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
  - name: stars
    kind: rating
  - name: note
    kind: text
quality:
  consensus: majority
  acceptance:
"""
FULL = """\
    agreement: {metric: krippendorff_alpha, lower_bound: 0.8}
    gold_accuracy: 0.95
    gold_accuracy_lower_bound: 0.9
    all_final: true
    no_open_escalations: true
"""
CRITERIA = "'agreement', 'gold_accuracy', 'gold_accuracy_lower_bound', 'all_final', "
CRITERIA += "'no_open_escalations'"
METRICS = (
    "'krippendorff_alpha', 'fleiss_kappa', 'gwet_ac1', 'brennan_prediger' or 'percent_agreement'"
)


def _error(text: str) -> dict[str, Any]:
    with pytest.raises(InvalidSpec) as caught:
        parse_spec(text, source="spec.yaml")
    return caught.value.to_dict()


def _one(line: int, field: str, message: str) -> dict[str, Any]:
    return {
        "code": "invalid_spec",
        "message": f"spec.yaml, line {line}, field '{field}': {message}",
        "location": {"file": "spec.yaml", "line": line, "field": field},
        "details": {"errors": [{"line": line, "field": field, "message": message}]},
    }


def test_every_criterion_parses_into_the_typed_model() -> None:
    """The documented example parses into AcceptanceSpec with each key typed."""
    spec = parse_spec(HEAD + FULL, source="spec.yaml")
    assert spec.quality.acceptance == AcceptanceSpec(
        agreement=AgreementCriterionSpec(metric="krippendorff_alpha", lower_bound=0.8),
        gold_accuracy=0.95,
        gold_accuracy_lower_bound=0.9,
        all_final=True,
        no_open_escalations=True,
    )


def test_the_effective_spec_writes_acceptance_back_and_round_trips() -> None:
    """spec_to_yaml writes the criteria (unset keys left out) and parses back equal."""
    tail = "    agreement: {lower_bound: 0.7, field: stars}\n    all_final: true\n"
    spec = parse_spec(HEAD + tail)
    text = spec_to_yaml(spec)
    assert (text.split("quality:\n")[1], parse_spec(text) == spec) == (
        "  consensus: majority\n"
        "  acceptance:\n"
        "    agreement:\n"
        "      metric: krippendorff_alpha\n"
        "      lower_bound: 0.7\n"
        "      field: stars\n"
        "    all_final: true\n",
        True,
    )


BAD = [
    pytest.param(
        "    agreement: {metric: kappa, lower_bound: 0.8}\n",
        _one(13, "quality.acceptance.agreement.metric", f"must be {METRICS}, got 'kappa'"),
        id="unknown-metric",
    ),
    pytest.param(
        "    agreement: {metric: fleiss_kappa}\n",
        _one(13, "quality.acceptance.agreement.lower_bound", "missing required key 'lower_bound'"),
        id="no-lower-bound",
    ),
    pytest.param(
        "    agreement:\n      lower_bound: 1.5\n",
        _one(14, "quality.acceptance.agreement.lower_bound", "must be at most 1, got 1.5"),
        id="lower-bound-above-1",
    ),
    pytest.param(
        "    agreement: {lower_bound: 0.8, field: note}\n",
        _one(
            13,
            "quality.acceptance.agreement.field",
            "agreement is measured on choice, rating and pairwise fields; 'note' is a text field",
        ),
        id="text-field",
    ),
    pytest.param(
        "    agreement: {lower_bound: 0.8, field: sentimnet}\n",
        _one(
            13,
            "quality.acceptance.agreement.field",
            "unknown field 'sentimnet' (fields: 'sentiment', 'stars', 'note')",
        ),
        id="unknown-field",
    ),
    pytest.param(
        "    agreement: {lower_bound: 0.8, feild: stars}\n",
        _one(
            13,
            "quality.acceptance.agreement.feild",
            "unknown key 'feild' (did you mean 'field'?); allowed keys: metric, lower_bound, field",
        ),
        id="misspelt-key",
    ),
    pytest.param(
        "    gold_acuracy: 0.9\n",
        _one(
            13,
            "quality.acceptance.gold_acuracy",
            "unknown key 'gold_acuracy' (did you mean 'gold_accuracy'?); allowed keys: "
            "agreement, gold_accuracy, gold_accuracy_lower_bound, all_final, no_open_escalations",
        ),
        id="misspelt-criterion",
    ),
    pytest.param(
        "    gold_accuracy: 0\n",
        _one(13, "quality.acceptance.gold_accuracy", "must be greater than 0, got 0"),
        id="gold-accuracy-0",
    ),
    pytest.param(
        "    gold_accuracy_lower_bound: 95\n",
        _one(13, "quality.acceptance.gold_accuracy_lower_bound", "must be at most 1, got 95"),
        id="gold-lower-bound-as-percent",
    ),
    pytest.param(
        "    all_final: 'yes'\n",
        _one(13, "quality.acceptance.all_final", "must be true or false, got 'yes'"),
        id="all-final-text",
    ),
    pytest.param(
        "    all_final: false\n",
        _one(
            12,
            "quality.acceptance",
            f"acceptance sets no criterion; give at least one of {CRITERIA}",
        ),
        id="nothing-set",
    ),
    pytest.param(
        "    [0.8]\n",
        _one(12, "quality.acceptance", "must be a mapping, got a list"),
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("tail", "expected"), BAD)
def test_bad_acceptance_is_named_by_line_and_field(tail: str, expected: dict[str, Any]) -> None:
    """Each mistake in quality.acceptance is refused with its line, field path and reason."""
    assert _error(HEAD + tail) == expected


def test_agreement_needs_a_categorical_field_in_the_project() -> None:
    """Asking for agreement in a project of free text alone is refused at the agreement key."""
    text = "name: notes\nfields:\n  - {name: note, kind: text}\nquality:\n  acceptance:\n"
    assert _error(text + "    agreement: {lower_bound: 0.8}\n") == _one(
        6,
        "quality.acceptance.agreement",
        "agreement is measured on choice, rating and pairwise fields, and this project has none",
    )


def test_json_specs_validate_acceptance_without_lines() -> None:
    """spec_from_dict (the API's JSON) names the field of a bad criterion, with no line."""
    data = {
        "name": "reviews",
        "fields": [{"name": "sentiment", "kind": "choice", "labels": ["a", "b"]}],
        "quality": {"acceptance": {"gold_accuracy": 1.2}},
    }
    with pytest.raises(InvalidSpec) as caught:
        spec_from_dict(data, source="body")
    assert caught.value.to_dict()["location"] == {
        "file": "body",
        "line": None,
        "field": "quality.acceptance.gold_accuracy",
    }
