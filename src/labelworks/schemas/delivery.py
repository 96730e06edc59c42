"""Response bodies of the acceptance route of ``/api/v1``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from labelworks.schemas.api import UtcDatetime


class CriterionOut(BaseModel):
    """One acceptance criterion as measured; ``value``, ``low`` and ``high`` are ``null``
    when it cannot be measured (never NaN)."""

    name: str = Field(description="e.g. agreement.sentiment, gold_accuracy, all_final")
    met: bool
    value: float | None
    low: float | None = Field(description="lower end of the 95% interval, if it has one")
    high: float | None
    target: float | None
    detail: str = Field(description="what was found, in a sentence")


class FieldAgreementOut(BaseModel):
    """A categorical field's agreement over the items rated twice or more, with its 95%
    bootstrap interval (``null`` when undefined)."""

    field: str
    metric: str
    estimate: float | None
    low: float | None
    high: float | None
    items: int
    annotations: int


class GoldAccuracyOut(BaseModel):
    """Every annotator's gold answers pooled, with the 95% Wilson interval."""

    correct: int
    total: int
    accuracy: float | None
    low: float | None
    high: float | None


class AcceptanceOut(BaseModel):
    project: str
    generated_at: UtcDatetime
    accepted: bool = Field(description="every criterion is met (true when none are set)")
    criteria: list[CriterionOut]
    agreement: list[FieldAgreementOut]
    gold: GoldAccuracyOut
    counts: dict[str, int] = Field(
        description="ordinary items by final-label status (final, adjudicated, adjudication, "
        "pending), gold items, open escalations"
    )
