"""A rating campaign's judge against its people (``labelworks calibration`` on a rubric
campaign): the judge's score of each output beside the people's scores of it on the same
criterion (``stats.score_calibration``): exact and within-one agreement with the people's
median, the judge's leniency, quadratic-weighted κ, Kendall's τ across items and between
the per-model means, and the outputs they disagree on most."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from labelworks.domain.campaign import CAMPAIGN_KEY
from labelworks.domain.fields import RatingField
from labelworks.services.leaderboards import category_of
from labelworks.stats.score_calibration import ScoreCalibration, ScoredItem, score_calibration
from labelworks.storage.campaigns import Vote
from labelworks.storage.llm_replies import CampaignItem, Reply

__all__ = ["rating_calibration"]

RESAMPLES = 1000
TOP = 50


def _on_scale(value: Any, field: RatingField) -> bool:
    return type(value) is int and field.min <= value <= field.max


def rating_calibration(
    votes: list[Vote],
    replies: list[Reply],
    field: RatingField,
    items: dict[int, CampaignItem],
    by: str | None,
    seed: int,
) -> tuple[ScoreCalibration, dict[str, dict[str, Any]]]:
    """The calibration over ``items`` (those with a vote or a reply) and, per listed
    disagreement, its external id."""
    scores: dict[int, list[int]] = defaultdict(list)
    for v in votes:
        given = v.value.get(field.name)
        if isinstance(given, int) and _on_scale(given, field):
            scores[v.item_id].append(given)
    judged: dict[int, int | None] = {}
    for r in replies:  # oldest first: the newest reply to an item is its score
        if r.item_id is not None:
            ok = r.status == "ok" and _on_scale(r.parsed, field)
            judged[r.item_id] = r.parsed if ok else None
    rated = []
    for item_id, item in sorted(items.items()):
        record = item.metadata.get(CAMPAIGN_KEY)
        if not isinstance(record, dict) or not isinstance(record.get("model"), str):
            continue
        category = category_of(item.metadata, item.payload, by)
        human = tuple(scores.get(item_id, ()))
        rated.append(
            ScoredItem(str(item_id), record["model"], category, human, judged.get(item_id))
        )
    found = score_calibration(
        rated, low=field.min, high=field.max, n_resamples=RESAMPLES, seed=seed, top=TOP
    )
    shown = {d.item: {"external_id": items[int(d.item)].external_id} for d in found.disagreements}
    return found, shown
