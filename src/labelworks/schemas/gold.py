"""Request and response bodies of the gold-question routes of ``/api/v1``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The services' bounds (services.gold.MAX_EXPLANATION and MAX_REASON), stated again here so
# the wire models, shared with the SDK, never import the services.
MAX_EXPLANATION = 10_000
MAX_REASON = 2_000


class GoldIn(BaseModel):
    """An expert answer: the field values a correct annotation has, and why."""

    model_config = ConfigDict(extra="forbid")

    value: dict[str, Any] = Field(
        min_length=1, description="the expert's annotation: field name -> value"
    )
    explanation: str = Field(default="", max_length=MAX_EXPLANATION)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON, description="shown to the person")


class RequeueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=MAX_REASON)


class RequeueOut(BaseModel):
    requeued: int


class GoldAnswerOut(BaseModel):
    item_id: int
    external_id: str | None
    value: dict[str, Any]
    explanation: str
    created_at: UtcDatetime
    answered: int
    correct: int


class GoldPageOut(BaseModel):
    items: list[GoldAnswerOut]
    next_after: int | None


class ShareOut(BaseModel):
    """``correct`` of ``total`` gold answers; accuracy and its 95% Wilson interval are
    ``null`` when there are none."""

    correct: int
    total: int
    accuracy: float | None
    low: float | None
    high: float | None


class AutoPauseOut(BaseModel):
    min_gold: int
    below: float


class AnnotatorGoldOut(BaseModel):
    email: str
    name: str
    vendor: str | None
    overall: ShareOut
    fields: dict[str, ShareOut]
    paused: str | None
    paused_at: UtcDatetime | None


class GoldReportOut(BaseModel):
    project: str
    gold_items: int
    gold_rate: float | None
    auto_pause: AutoPauseOut | None
    annotators: list[AnnotatorGoldOut]
