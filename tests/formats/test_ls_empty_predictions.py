"""Label Studio predictions with an empty result: a suggestion of no region only where the
fields are one region field, and nothing anywhere else."""

from __future__ import annotations

from typing import Any

import pytest
from tests.formats.label_studio_data import result

from labelworks.domain.spec import spec_from_dict
from labelworks.formats.label_studio_config import translate_config
from labelworks.formats.label_studio_tasks import TaskTranslator

BOXES_ONLY = """<View><Image name="photo" value="$image"/>
  <RectangleLabels name="objects" toName="photo"><Label value="logo"/></RectangleLabels>
</View>"""
SPANS_ONLY = """<View><Text name="review" value="$text"/>
  <Labels name="ner" toName="review"><Label value="BRAND"/></Labels>
</View>"""
CHOICE_ONLY = """<View><Text name="review" value="$text"/>
  <Choices name="sentiment" toName="review"><Choice value="good"/><Choice value="bad"/></Choices>
</View>"""
BOXES_AND_CHOICE = """<View><Image name="photo" value="$image"/><Text name="t" value="$text"/>
  <RectangleLabels name="objects" toName="photo"><Label value="logo"/></RectangleLabels>
  <Choices name="sentiment" toName="t"><Choice value="good"/><Choice value="bad"/></Choices>
</View>"""
BOXES_AND_POLYGON = """<View><Image name="photo" value="$image"/>
  <RectangleLabels name="objects" toName="photo"><Label value="logo"/></RectangleLabels>
  <PolygonLabels name="outline" toName="photo"><Label value="shape"/></PolygonLabels>
</View>"""
DATA = {"text": "Acme phone", "image": "a.png"}


def _pre_annotations(config: str, predictions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    translation = translate_config(config)
    spec = spec_from_dict({"name": "ls", "fields": translation.fields})
    translator = TaskTranslator(
        spec.fields,
        source="export.json",
        from_names=translation.from_names,
        ignored=translation.ignored,
    )
    row = translator.row({"id": 1, "data": DATA, "predictions": predictions}, 1)
    pre: list[dict[str, Any]] = row["pre_annotations"]
    return pre


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (BOXES_ONLY, [{"model": "det", "score": 0.4, "value": {"objects": []}}]),
        (SPANS_ONLY, [{"model": "det", "score": 0.4, "value": {"ner": []}}]),
        # A classifier's empty prediction says nothing, and with a second control (translated
        # or not) the empty list cannot tell which of them it is about.
        (CHOICE_ONLY, []),
        (BOXES_AND_CHOICE, []),
        (BOXES_AND_POLYGON, []),
    ],
)
def test_an_empty_prediction_suggests_no_region_only_for_a_lone_region_control(
    config: str, expected: list[dict[str, Any]]
) -> None:
    """result: [] becomes the region field's [] when the config's one control marks regions,
    and is left out in every other config."""
    prediction = {"model_version": "det", "score": 0.4, "result": []}
    assert _pre_annotations(config, [prediction]) == expected


def test_predictions_that_say_something_keep_their_meaning() -> None:
    """A prediction with results, or with no result key at all, is read as before: the
    classifier's one field alone, and nothing for a prediction without a result."""
    choice = result("sentiment", "t", "choices", {"choices": ["bad"]})
    predictions = [
        {"model_version": "clf", "score": 0.9, "result": [choice]},
        {"model_version": "det", "score": 0.1},
    ]
    assert _pre_annotations(BOXES_AND_CHOICE, predictions) == [
        {"model": "clf", "score": 0.9, "value": {"sentiment": "bad"}}
    ]
    assert _pre_annotations(BOXES_ONLY, [{"model_version": "det", "result": None}]) == []
