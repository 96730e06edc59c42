"""A campaign's leaderboard (``labelworks leaderboard``): the blind votes turned into
Bradley–Terry ratings with intervals, ranks, win rates, tie rate, position bias, agreement
between evaluators and length-controlled ratings (``stats.leaderboard``), overall and per
category; or, for a rating campaign, each model's mean per criterion with its interval and
the evaluators' agreement on each criterion."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from labelworks.domain.access import Actor
from labelworks.domain.campaign import CAMPAIGN_KEY, CampaignSpec, campaign_field
from labelworks.domain.errors import InvalidInput
from labelworks.domain.fields import FieldSpec, PairwiseField, RatingField
from labelworks.services.evaluation import evaluable_project
from labelworks.services.evaluation_data import plain
from labelworks.services.specs import stored_spec
from labelworks.stats.bootstrap import bootstrap_interval
from labelworks.stats.krippendorff import krippendorff_alpha
from labelworks.stats.leaderboard import Battle, leaderboard, leaderboards_by
from labelworks.stats.ratings import InvalidRatingsError, Ratings
from labelworks.storage import campaigns as campaign_store
from labelworks.storage.campaigns import Vote
from labelworks.storage.engine import Database

__all__ = [
    "LeaderboardReport",
    "board_of",
    "category_of",
    "human_battles",
    "leaderboard_report",
    "wire",
]

RESAMPLES = 1000
MAX_CATEGORIES = 30


@dataclass(frozen=True, slots=True)
class LeaderboardReport:
    """``board``: the whole campaign's leaderboard (pairwise), None with ``reason`` when the
    votes cannot rank the models yet; ``categories``: one per value of ``by``;
    ``criteria``: the rating campaign's per-criterion figures; ``placement``: per model
    how often it was shown (left, right)."""

    project: str
    mode: str
    models: list[str]
    votes: int
    board: dict[str, Any] | None
    reason: str | None
    by: str | None
    categories: dict[str, Any] = field(default_factory=dict)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    placement: dict[str, list[int]] = field(default_factory=dict)


def leaderboard_report(
    db: Database, project: str, *, by: str | None = None, actor: Actor | None = None, seed: int = 0
) -> LeaderboardReport:
    """The project's campaign as its leaderboard; ``InvalidInput`` without a campaign."""
    with db.read() as conn:
        row = evaluable_project(conn, actor, project)
        spec = stored_spec(row.spec)
        votes = list(campaign_store.votes(conn, row.id))
    campaign = spec.evaluation
    if campaign is None:
        raise InvalidInput(
            f"project '{project}' has no evaluation campaign: add an 'evaluation' section "
            "to its spec (docs/evaluation.md)"
        )
    mine = [v for v in votes if isinstance(v.metadata.get(CAMPAIGN_KEY), dict)]
    if campaign.mode == "rating":
        ratings = [f for f in spec.fields if isinstance(f, RatingField)]
        return LeaderboardReport(
            project=row.name,
            mode="rating",
            models=campaign.models,
            votes=len(mine),
            board=None,
            reason=None,
            by=by,
            criteria=[_criterion(c, mine, campaign, seed) for c in ratings],
        )
    target = campaign_field(campaign, spec.fields)
    assert isinstance(target, PairwiseField)
    battles = human_battles(mine, target, campaign, by)
    board, reason = board_of(battles, seed)
    categories: dict[str, Any] = {}
    if by is not None and battles:
        sizes = Counter(b.category for b in battles if b.category is not None)
        kept = {c for c, _ in sizes.most_common(MAX_CATEGORIES)}
        chosen = [b for b in battles if b.category in kept]
        try:
            found = leaderboards_by(chosen, "category", n_resamples=RESAMPLES, seed=seed)
        except InvalidRatingsError:
            found = {}
        categories = {k: plain(v) for k, v in sorted(found.items())}
    return LeaderboardReport(
        project=row.name,
        mode="pairwise",
        models=campaign.models,
        votes=len(battles),
        board=board,
        reason=reason,
        by=by,
        categories=categories,
        placement=_placement(mine),
    )


def category_of(metadata: dict[str, Any], payload: dict[str, Any], by: str | None) -> str | None:
    """An item's value of ``by`` (its metadata's, else its payload's) as a category name."""
    if by is None:
        return None
    given = metadata.get(by, payload.get(by))
    return None if given is None else str(given)[:200]


def human_battles(
    votes: list[Vote], target: PairwiseField, campaign: CampaignSpec, by: str | None
) -> list[Battle]:
    """The campaign's votes on ``target`` as battles (``item``: the item's id)."""
    found = []
    for v in votes:
        record = v.metadata[CAMPAIGN_KEY]
        answer = v.value.get(target.name)
        choice = answer.get("choice") if isinstance(answer, dict) else None
        left, right = record.get("left"), record.get("right")
        if choice not in ("a", "b", "tie") or left not in campaign.models:
            continue
        if right not in campaign.models:
            continue
        category = category_of(v.metadata, v.payload, by)
        a_text, b_text = v.payload.get(target.a_source), v.payload.get(target.b_source)
        found.append(
            Battle(
                model_a=str(left),
                model_b=str(right),
                winner=choice,
                left="a",
                category=category,
                evaluator=str(v.annotator_id),
                item=str(v.item_id),
                length_a=len(a_text) if isinstance(a_text, str) else None,
                length_b=len(b_text) if isinstance(b_text, str) else None,
            )
        )
    return found


def board_of(battles: list[Battle], seed: int) -> tuple[dict[str, Any] | None, str | None]:
    """The battles' leaderboard as JSON-ready values, or None and why there is none."""
    if not battles:
        return None, "no votes yet"
    try:
        found = leaderboard(battles, n_resamples=RESAMPLES, seed=seed)
    except InvalidRatingsError as exc:
        return None, str(exc)
    board: dict[str, Any] = plain(found)
    return board, None


def _placement(votes: list[Vote]) -> dict[str, list[int]]:
    # Per item, not per vote: the placement is the item's, however many people judged it.
    seen: dict[int, dict[str, Any]] = {v.item_id: v.metadata[CAMPAIGN_KEY] for v in votes}
    left: Counter[str] = Counter(str(r.get("left")) for r in seen.values() if "left" in r)
    right: Counter[str] = Counter(str(r.get("right")) for r in seen.values() if "right" in r)
    return {m: [left[m], right[m]] for m in sorted({*left, *right})}


def _criterion(
    criterion: FieldSpec, votes: list[Vote], campaign: CampaignSpec, seed: int
) -> dict[str, Any]:
    """Each model's mean on one rating field with its 95% t interval, and Krippendorff's α
    (interval level) between the evaluators who rated the same output, with its interval."""
    by_model: dict[str, list[float]] = defaultdict(list)
    records = []
    for v in votes:
        model = v.metadata[CAMPAIGN_KEY].get("model")
        given = v.value.get(criterion.name)
        if model not in campaign.models or not isinstance(given, int | float):
            continue
        by_model[str(model)].append(float(given))
        records.append((v.item_id, v.annotator_id, float(given)))
    means = [_mean(m, by_model.get(m, [])) for m in campaign.models]
    means.sort(key=lambda r: -math.inf if r["mean"] is None else -r["mean"])
    return {"field": criterion.name, "models": means, "agreement": _alpha(records, seed)}


def _mean(model: str, values: list[float]) -> dict[str, Any]:
    n = len(values)
    if n == 0:
        return {"model": model, "mean": None, "low": None, "high": None, "n": 0}
    mean = float(np.mean(values))
    if n < 2:
        return {"model": model, "mean": mean, "low": None, "high": None, "n": n}
    half = float(scipy_stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
    return {"model": model, "mean": mean, "low": mean - half, "high": mean + half, "n": n}


def _alpha(records: list[tuple[int, int, float]], seed: int) -> dict[str, Any] | None:
    shared = Counter(item for item, _, _ in records)
    pairable = [r for r in records if shared[r[0]] > 1]
    if len({item for item, _, _ in pairable}) < 2:
        return None
    try:
        ratings = Ratings.from_records(pairable)
        found = bootstrap_interval(
            krippendorff_alpha, ratings, n_resamples=RESAMPLES, seed=seed, level="interval"
        )
    except InvalidRatingsError:
        return None
    shown: dict[str, Any] = plain(
        {
            "value": found.estimate,
            "low": found.low,
            "high": found.high,
            "items": len({item for item, _, _ in pairable}),
        }
    )
    return shown  # fmt: skip


def wire(report: LeaderboardReport) -> dict[str, Any]:
    """The report as the API, the SDK and ``--json`` give it: the board's keys at the top
    (``models``: rank, rating with its interval, battles, wins…; for a rating campaign each
    model's mean per criterion)."""
    board = report.board or {}
    models = board.get("models", [])
    if report.mode == "rating":
        models = [
            {"model": m, "criteria": {c["field"]: _of(c, m) for c in report.criteria}}
            for m in report.models
        ]
    return {
        "project": report.project,
        "mode": report.mode,
        "campaign_models": report.models,
        "votes": report.votes,
        "reason": report.reason,
        "by": report.by,
        "models": models,
        "battles": board.get("battles"),
        "win_rates": board.get("win_rates"),
        "tie_rate": board.get("tie_rate"),
        "position_bias": board.get("position_bias"),
        "evaluator_agreement": board.get("evaluator_agreement"),
        "length_controlled": board.get("length_controlled"),
        "length_coefficient": board.get("length_coefficient"),
        "categories": report.categories,
        "criteria": report.criteria,
        "placement": report.placement,
    }


def _of(criterion: dict[str, Any], model: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in criterion["models"] if r["model"] == model)
    return {k: v for k, v in found.items() if k != "model"}
