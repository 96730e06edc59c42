"""A prediction's check: model, version, value by field, score and probabilities, and the
exact part named when something does not fit."""

from __future__ import annotations

from typing import Any

import pytest

from labelworks.domain.fields import parse_field
from labelworks.domain.predictions import (
    InvalidPrediction,
    Prediction,
    PredictionsSpec,
    model_key,
    parse_prediction,
    split_model,
)

FIELDS = [
    parse_field({"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "neu"]}),
    parse_field({"name": "topics", "kind": "multi_choice", "labels": ["price", "ship"]}),
    parse_field({"name": "why", "kind": "text", "when": {"field": "sentiment", "equals": "neg"}}),
]


def test_a_full_prediction_is_kept_as_given() -> None:
    """Model, version, value, score and a choice field's whole distribution come back as a
    Prediction; the version defaults to empty."""
    obj = {
        "model": "bert",
        "version": "3",
        "value": {"sentiment": "pos"},
        "score": 0.9,
        "probabilities": {"sentiment": {"pos": 0.9, "neg": 0.05, "neu": 0.05}},
    }
    assert parse_prediction(obj, FIELDS, {}) == Prediction(
        "bert",
        "3",
        {"sentiment": "pos"},
        0.9,
        {"sentiment": {"pos": 0.9, "neg": 0.05, "neu": 0.05}},
    )
    assert parse_prediction({"model": "m", "value": {"topics": ["ship"]}}, FIELDS, {}) == (
        Prediction("m", "", {"topics": ["ship"]})
    )


def test_a_field_with_a_condition_is_checked_on_its_own() -> None:
    """A model that answers only a conditional field is not refused for the condition."""
    found = parse_prediction({"model": "m", "value": {"why": "late"}}, FIELDS, {})
    assert found.value == {"why": "late"}


@pytest.mark.parametrize(
    ("obj", "message", "where"),
    [
        ([], "a prediction must be an object with model and value, not array", ""),
        ({"model": "m", "value": {"sentiment": "pos"}, "extra": 1}, "unknown key 'extra'", "extra"),
        ({"value": {"sentiment": "pos"}}, "model must be a non-empty string, got null", "model"),
        ({"model": " ", "value": {"sentiment": "pos"}}, "got an empty string", "model"),
        ({"model": "a@b", "value": {"sentiment": "pos"}}, "without '@'", "model"),
        ({"model": "m", "version": 3, "value": {"sentiment": "pos"}}, "got number", "version"),
        ({"model": "m", "value": {}}, "at least one field", "value"),
        ({"model": "m", "value": {"nope": 1}}, "unknown field 'nope'", "value.nope"),
        ({"model": "m", "value": {"sentiment": "bad"}}, "'bad'", "value.sentiment"),
        ({"model": "m", "value": {"sentiment": "pos"}, "score": float("nan")}, "nan", "score"),
        (
            {"model": "m", "value": {"sentiment": "pos"}, "probabilities": {"topics": {}}},
            "'topics' is not one",
            "probabilities.topics",
        ),
        (
            {
                "model": "m",
                "value": {"sentiment": "pos"},
                "probabilities": {"sentiment": {"pos": 1.0}},
            },
            "'neg' has none",
            "probabilities.sentiment",
        ),
        (
            {
                "model": "m",
                "value": {"sentiment": "pos"},
                "probabilities": {"sentiment": {"pos": 0.5, "neg": 0.4, "neu": 0.4}},
            },
            "sum to 1.3",
            "probabilities.sentiment",
        ),
        (
            {
                "model": "m",
                "value": {"sentiment": "pos"},
                "probabilities": {"sentiment": {"pos": 1.5, "neg": 0, "neu": 0}},
            },
            "from 0 to 1",
            "probabilities.sentiment.pos",
        ),
        (
            {
                "model": "m",
                "value": {"topics": ["ship"]},
                "probabilities": {"topics": {"other": 0.2}},
            },
            "'other' is not a label of 'topics'",
            "probabilities.topics.other",
        ),
    ],
)
def test_a_bad_prediction_names_its_part(obj: Any, message: str, where: str) -> None:
    """Each misfit is refused with a message and the path inside the prediction."""
    with pytest.raises(InvalidPrediction) as caught:
        parse_prediction(obj, FIELDS, {})
    assert message in caught.value.message
    assert caught.value.where == where


def test_model_keys_round_trip() -> None:
    """name@version is how a model version is written; a bare name means the newest."""
    assert model_key("m", "2") == "m@2"
    assert model_key("m", "") == "m"
    assert split_model("m@2") == ("m", "2")
    assert split_model("m") == ("m", None)


def test_the_spec_section_says_whose_predictions_annotators_see() -> None:
    """suggest turns the display on; models narrows it to some models."""
    assert not PredictionsSpec().shows("m")
    assert PredictionsSpec(suggest=True).shows("m")
    assert PredictionsSpec(suggest=True, models=["a"]).shows("a")
    assert not PredictionsSpec(suggest=True, models=["a"]).shows("m")
