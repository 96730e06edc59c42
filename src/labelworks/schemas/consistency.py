"""Response body of the consistency-audit (test–retest) report of ``/api/v1``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from labelworks.schemas.api import UtcDatetime


class SameShareOut(BaseModel):
    """``same`` of ``total`` retests answered the same both times; the share and its 95%
    Wilson interval are ``null`` when there are none."""

    same: int
    total: int
    share: float | None
    low: float | None
    high: float | None


class FieldConsistencyOut(BaseModel):
    """One field: the pairs where both answers gave it, and Cohen's kappa between the two
    occasions (categorical fields; ``null`` when undefined)."""

    field: str
    pairs: SameShareOut
    kappa: float | None


class AnnotatorConsistencyOut(BaseModel):
    email: str
    retests: int
    same: SameShareOut
    fields: list[FieldConsistencyOut]


class RetestPairOut(BaseModel):
    """A retest: the first answer (``null`` when it was set aside before the retest) and
    the second, with when each was given."""

    email: str
    item_id: int
    first: dict[str, Any] | None
    second: dict[str, Any]
    first_at: UtcDatetime | None
    at: UtcDatetime
    same: bool | None


class ConsistencyReportOut(BaseModel):
    """Test–retest agreement of a project, pooled and per annotator, and the latest pairs."""

    project: str
    rate: float | None
    after: int | None
    retests: int
    same: SameShareOut
    fields: list[FieldConsistencyOut]
    annotators: list[AnnotatorConsistencyOut]
    recent: list[RetestPairOut]
