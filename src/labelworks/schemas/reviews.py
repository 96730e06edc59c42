"""Request and response bodies of the review routes of ``/api/v1``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The services' bounds (services.reviews.MAX_COMMENT and MAX_PAGE), stated again here so
# the wire models, shared with the SDK, never import the services.
MAX_COMMENT = 2_000
MAX_REVIEWS_PAGE = 200
# A reason is one of the spec's codes; none is longer than a comment may be.
MAX_REASON = MAX_COMMENT

ReviewStatus = Literal["pending", "accepted", "rejected", "fixed"]
# What the list route filters on: one status, or ``all``.
ReviewFilter = Literal["pending", "accepted", "rejected", "fixed", "all"]
DecisionName = Literal["accept", "reject", "fix"]


class ReviewDecisionIn(BaseModel):
    """A reviewer's decision: ``accept``; ``reject`` with one of the spec's ``reason``
    codes; or ``fix`` with the corrected ``value`` (kept beside the original)."""

    model_config = ConfigDict(extra="forbid")

    decision: DecisionName
    reason: str | None = Field(
        default=None, max_length=MAX_REASON, description="a rejection's reason code"
    )
    comment: str = Field(default="", max_length=MAX_COMMENT)
    value: dict[str, Any] | None = Field(
        default=None, description="a fix's corrected annotation: field name -> value"
    )


class ReviewOut(BaseModel):
    """One sampled annotation and its review. ``value`` is the annotation as submitted
    (``null`` once a rejection set it aside); ``why`` is ``first_n`` (one of the
    annotator's first annotations in the project) or ``sample`` (drawn at the rate)."""

    id: int
    annotation_id: int
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    value: dict[str, Any] | None
    annotator: str
    vendor: str | None
    why: str
    status: ReviewStatus
    reason: str | None
    comment: str
    fixed_value: dict[str, Any] | None
    created_at: UtcDatetime
    decided_at: UtcDatetime | None


class ReviewPageOut(BaseModel):
    items: list[ReviewOut]
    next_after: int | None


class ReviewOutcomeOut(BaseModel):
    """One annotator's reviews by outcome; ``acceptance`` is accepted of decided (fixes and
    rejections count against) with its 95% Wilson interval ``low``–``high``, all three
    ``null`` while nothing of theirs is decided."""

    annotator: str
    vendor: str | None
    pending: int
    accepted: int
    rejected: int
    fixed: int
    decided: int
    acceptance: float | None
    low: float | None
    high: float | None


class ReviewReportOut(BaseModel):
    project: str
    annotators: list[ReviewOutcomeOut]
