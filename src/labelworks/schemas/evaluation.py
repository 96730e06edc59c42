"""Predictions and model evaluation on the wire: pushes, model versions, evaluation runs
and comparisons (``/api/v1/projects/{project}/predictions`` and ``…/eval``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PredictionsIn(BaseModel):
    """``predictions``: objects ``{"item": external id | "item_id": id, "model",
    "version"?, "value", "score"?, "probabilities"?}``, checked one by one (all or none)."""

    model_config = ConfigDict(extra="forbid")

    predictions: list[Any] = Field(min_length=1)


class PushOut(BaseModel):
    project: str
    stored: int
    models: list[str]


class PredictedModelOut(BaseModel):
    """A model version with predictions in the project."""

    model: str
    version: str
    items: int
    first: datetime
    last: datetime


class EvalRunIn(BaseModel):
    """What to evaluate: ``model`` (``name`` or ``name@version``; a bare name is its newest
    version), ``field`` (default: the first field it predicts), ``against`` (the decided
    ``final`` labels or ``gold`` answers) and ``slice`` (a metadata or payload key to
    break the figures down by)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    model: str = Field(min_length=1, max_length=301)
    field: str | None = Field(default=None, max_length=200)
    against: Literal["final", "gold"] = "final"
    slice_key: str | None = Field(default=None, alias="slice", min_length=1, max_length=200)


class EvalRunSummaryOut(BaseModel):
    """A stored run without its report; ``headline`` is its accuracy (subset accuracy for
    multi_choice, F1 for spans, boxes and segments)."""

    id: int
    model: str
    version: str
    field: str
    against: str
    slice_key: str | None
    items: int
    headline: float | None
    created_at: datetime
    created_by: str | None


class EvalRunOut(EvalRunSummaryOut):
    """A stored run with its whole report (docs/evaluation.md describes its keys)."""

    report: dict[str, Any]


class CompareIn(BaseModel):
    """Model ``b`` against model ``a`` on the items both predicted; ``fail_if_worse``:
    the accuracy drop that counts as a regression (``worse`` in the answer)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    a: str = Field(min_length=1, max_length=301)
    b: str = Field(min_length=1, max_length=301)
    field: str | None = Field(default=None, max_length=200)
    against: Literal["final", "gold"] = "final"
    slice_key: str | None = Field(default=None, alias="slice", min_length=1, max_length=200)
    fail_if_worse: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)


class ComparisonOut(BaseModel):
    project: str
    a: str
    b: str
    field: str
    against: str
    items: int
    only_a: int
    only_b: int
    report: dict[str, Any]
    slice_key: str | None
    slices: list[dict[str, Any]]
    fail_if_worse: float | None
    worse: bool | None
