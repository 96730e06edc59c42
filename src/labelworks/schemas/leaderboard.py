"""A campaign's leaderboard on the wire (``GET /api/v1/projects/{project}/leaderboard``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class LeaderboardOut(BaseModel):
    """``models``: pairwise, ``{model, rating, low, high, rank, battles, wins, losses,
    ties, win_rate}`` best first (Elo-scale Bradley-Terry ratings, 95% bootstrap intervals,
    ranks by non-overlapping intervals); rating campaigns, ``{model, criteria: {field:
    {mean, low, high, n}}}``. ``reason`` says why there is no board yet. ``tie_rate``,
    ``position_bias`` (share of left wins) and ``evaluator_agreement`` are ``{value, low,
    high, n}`` with Wilson intervals; ``categories`` holds one board per value of ``by``."""

    project: str
    mode: str
    campaign_models: list[str]
    votes: int
    reason: str | None
    by: str | None
    models: list[dict[str, Any]]
    battles: int | None
    win_rates: list[list[float | None]] | None
    tie_rate: dict[str, Any] | None
    position_bias: dict[str, Any] | None
    evaluator_agreement: dict[str, Any] | None
    length_controlled: list[dict[str, Any]] | None
    length_coefficient: float | None
    categories: dict[str, Any]
    criteria: list[dict[str, Any]]
    placement: dict[str, list[int]]
