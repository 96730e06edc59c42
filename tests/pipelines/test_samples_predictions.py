"""The demo's predictions: both versions predict every review with a whole distribution
that the project's check accepts, version 2 is right more often than version 1, and the
last reviews are gold with their intended sentiment."""

from __future__ import annotations

from labelworks.domain.fields import parse_field
from labelworks.domain.predictions import parse_prediction
from labelworks.pipelines import samples, samples_predictions

FIELDS = [parse_field({"name": "sentiment", "kind": "choice",
                       "labels": ["positive", "negative", "neutral"]})]  # fmt: skip


def test_every_review_gets_both_versions_and_the_last_are_gold() -> None:
    """400 reviews: two valid predictions each; v1 right about 78% and v2 about 87% of the
    time; the last 60 gold with the intended label; the same seed gives the same rows."""
    records = samples_predictions.with_predictions(samples.reviews(400))
    right = {"1": 0, "2": 0}
    for r in records:
        truth = r["metadata"]["intended"]
        assert [p["version"] for p in r["predictions"]] == ["1", "2"]
        for p in r["predictions"]:
            parse_prediction(p, FIELDS, r["payload"])
            right[p["version"]] += p["value"]["sentiment"] == truth
    gold = [r for r in records if "gold" in r]
    assert gold == records[-60:]
    assert all(r["gold"] == {"sentiment": r["metadata"]["intended"]} for r in gold)
    assert 0.70 < right["1"] / 400 < 0.86 and 0.80 < right["2"] / 400 < 0.94
    assert right["2"] > right["1"]
    assert samples_predictions.with_predictions(samples.reviews(400)) == records


def test_a_tiny_demo_still_has_two_gold_reviews() -> None:
    """Three reviews: the last two are gold, so a run has something to score."""
    records = samples_predictions.with_predictions(samples.reviews(3))
    assert ["gold" in r for r in records] == [False, True, True]
