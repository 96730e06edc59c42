"""LLM judges and generations on the wire (``/api/v1/projects/{project}/judges…``,
``…/generations``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class JudgeSummaryOut(BaseModel):
    """A judge of the spec (``evaluation.judges``) and the answers stored for it so far:
    ``ok`` verdicts, ``malformed`` replies (answered, but no verdict could be read) and
    ``failed`` requests (asked again by the next run)."""

    name: str
    endpoint: str
    model: str
    prompt: str
    concurrency: int
    ok: int
    malformed: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    last: datetime | None


class CalibrationOut(BaseModel):
    """How far a judge agrees with people (docs/evaluation.md, "Calibrating a judge"):
    ``overall`` and ``by_category`` agreements (``percent`` and Cohen's ``kappa``, each
    ``{value, low, high, n}`` with 95% bootstrap intervals, and a ``confusion`` of human
    consensus → judge verdict), ``position_bias``, the judge's leaderboard beside the
    people's with Kendall's ``tau`` between their ratings, and the ``disagreements`` to
    review, largest gap first. A rating campaign's judge is compared in ``rating``
    instead: ``field``, ``overall`` and ``by_category`` (``exact`` and ``within_one``
    agreement with the people's median, ``mean_difference``, quadratic-weighted ``kappa``,
    Kendall's ``tau`` across items), ``models`` (people's and judge's mean per model),
    ``model_tau`` and ``disagreements``."""

    project: str
    mode: str
    judge: str
    prompt: str | None
    model: str | None
    reason: str | None
    by: str | None
    judged: int
    humans_only: int
    judge_only: int
    overall: dict[str, Any] | None
    by_category: dict[str, Any]
    position_bias: dict[str, Any] | None
    human_board: list[dict[str, Any]]
    judge_board: list[dict[str, Any]]
    tau: dict[str, Any] | None
    disagreements: list[dict[str, Any]]
    rating: dict[str, Any] | None


class GenerateIn(BaseModel):
    """A generation to start (``labelworks generate``): the registry ``prompt``
    (``NAME@VERSION`` or ``NAME``), the OpenAI-compatible ``endpoint`` base URL and its
    ``model``; optionally the ``field`` the replies answer, the model name the predictions
    are stored under (``as_model``), the environment variable of the API key (one the
    server's ``LABELWORKS_LLM_KEY_VARIABLES`` lists), ``concurrency`` and ``temperature``.
    With ``rows`` (a campaign's input rows, ``{id, prompt, outputs?, metadata?}``, up to
    10,000) the outputs go to a campaign file instead, under ``as_model`` (one of the
    campaign's models): the finished job's file, at ``/api/v1/jobs/{id}/download``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: Annotated[str, Field(min_length=1, max_length=80)]
    endpoint: Annotated[str, Field(min_length=1, max_length=2000)]
    model: Annotated[str, Field(min_length=1, max_length=200)]
    field: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    as_model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    api_key_env: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    rows: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10_000)] | None = None
