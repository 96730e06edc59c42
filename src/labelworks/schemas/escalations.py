"""Request and response bodies of the escalation and edge-case routes of ``/api/v1``
(an annotator's flag rides on the submit and skip bodies: ``schemas.api.FlagIn``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The rules' bounds (domain.escalation.MAX_NOTE and MAX_SECTION, services.escalations'
# MAX_PAGE and MAX_QUERY), stated again here so the wire models never import the rules.
MAX_NOTE = 10_000
MAX_SECTION = 200
MAX_PAGE = 200
MAX_QUERY = 200

FlagKind = Literal["ambiguous", "edge_case"]
EscalationStatus = Literal["open", "resolved"]
QueueStatus = Literal["open", "resolved", "all"]


class ResolveIn(BaseModel):
    """An expert's resolution: a note, optionally the answer (checked like an annotation)
    and the guideline section that must change; ``make_gold`` makes the item a gold
    question with the answer (managers and admins outside vendors)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=MAX_NOTE, description="what the expert decided")
    answer: dict[str, Any] | None = Field(
        default=None, min_length=1, description="the expert's annotation: field name -> value"
    )
    guideline_section: str | None = Field(
        default=None, max_length=MAX_SECTION, description="the guideline section that must change"
    )
    make_gold: bool = False


class EscalationOut(BaseModel):
    """A flag with its item and who raised it; the resolution fields are ``null`` (and
    ``note`` empty) while it is open. ``url`` is its place in the edge-case library once
    resolved."""

    id: int
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    kind: FlagKind
    comment: str
    annotation: dict[str, Any] | None = Field(
        description="the annotator's own answer, when they flagged with a submit"
    )
    flagged_by: str
    flagged_by_name: str
    vendor: str | None
    created_at: UtcDatetime
    status: EscalationStatus
    answer: dict[str, Any] | None
    note: str
    guideline_section: str | None
    made_gold: bool
    resolved_by: str | None
    resolved_at: UtcDatetime | None
    url: str | None


class EscalationPageOut(BaseModel):
    items: list[EscalationOut]
    next_after: int | None


class EdgeCaseOut(BaseModel):
    """A resolved case of the library: the item, what the annotator asked and what the
    expert decided. ``url`` (``/projects/<p>/edge-cases#case-<id>``) is the link guidelines
    cite it by."""

    id: int
    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    kind: FlagKind
    comment: str
    answer: dict[str, Any] | None
    note: str
    guideline_section: str | None
    made_gold: bool
    resolved_by: str | None
    resolved_at: UtcDatetime
    url: str


class EdgeCasePageOut(BaseModel):
    items: list[EdgeCaseOut]
    next_after: int | None
