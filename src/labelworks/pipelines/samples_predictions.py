"""Demo predictions for generated reviews: two versions of a review classifier whose
mistakes look like a real model's (surer when right, confused between neighbouring
sentiments), and expert answers for a share of the reviews, so the demo's Evaluation tab
has something to score from the first start."""

from __future__ import annotations

import random
from typing import Any

Record = dict[str, Any]
LABELS = ("positive", "negative", "neutral")
MODEL = "review-classifier"
# (version, how often it is right, how much surer it is when right)
VERSIONS = (("1", 0.78, 0.18), ("2", 0.87, 0.22))
# The last reviews are gold: an expert's answer, which versions are scored against.
GOLD_SHARE = 0.15


def _answer(
    rng: random.Random, truth: str, skill: float, lift: float
) -> tuple[str, dict[str, float]]:
    right = rng.random() < skill
    # Mistakes lean to neutral, as a sentiment model's do.
    wrong = [x for x in LABELS if x != truth]
    answer = (
        truth
        if right
        else rng.choices(wrong, weights=[2 if x == "neutral" else 1 for x in wrong])[0]
    )
    top = min(0.98, rng.uniform(0.45, 0.75) + (lift if right else 0.0))
    rest = [x for x in LABELS if x != answer]
    second = rng.uniform(0.0, 1.0 - top)
    shares = {answer: top, rest[0]: second, rest[1]: 1.0 - top - second}
    return answer, {x: round(shares[x], 4) for x in LABELS}


def with_predictions(records: list[Record], seed: int = 23) -> list[Record]:
    """``records`` (from ``samples.reviews``) with both versions' predictions, and the last
    ``GOLD_SHARE`` of them made gold with their intended sentiment."""
    rng = random.Random(seed)
    gold_from = len(records) - min(len(records), max(2, int(len(records) * GOLD_SHARE)))
    out = []
    for index, record in enumerate(records):
        truth = str(record["metadata"]["intended"])
        made = []
        for version, skill, lift in VERSIONS:
            answer, probabilities = _answer(rng, truth, skill, lift)
            made.append(
                {
                    "model": MODEL,
                    "version": version,
                    "value": {"sentiment": answer},
                    "score": max(probabilities.values()),
                    "probabilities": {"sentiment": probabilities},
                }
            )
        row = {**record, "predictions": made}
        if index >= gold_from:
            row["gold"] = {"sentiment": truth}
            row["gold_explanation"] = f"The reviewer's words are plainly {truth}."
        out.append(row)
    return out
