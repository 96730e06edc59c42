"""Request and response bodies of the consensus, adjudication and simulation routes of
``/api/v1``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from labelworks.schemas.api import UtcDatetime

# The services' bounds (services.adjudication.MAX_NOTE and MAX_PAGE,
# services.final_labels.MAX_PAGE), stated again here so the wire models, shared with the
# SDK, never import the services.
MAX_NOTE = 2_000
MAX_CASES_PAGE = 200
MAX_FINALS_PAGE = 500
# A simulation run inside a request stays small; larger runs belong to `labelworks simulate`.
MAX_SIM_ITEMS = 5_000
MAX_SIM_ANNOTATORS = 200
MAX_SEED = 2**31 - 1

FinalStatus = Literal["final", "adjudication", "adjudicated"]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class FinalLabelOut(BaseModel):
    """An item's final label; ``decided_by`` is the adjudicator's email (``null``: the
    consensus method decided); confidences are ``null`` rather than NaN."""

    item_id: int
    external_id: str | None
    value: dict[str, Any]
    method: str
    confidence: float | None
    fields: dict[str, float | None]
    status: FinalStatus
    annotation_ids: list[int]
    decided_at: UtcDatetime
    decided_by: str | None
    note: str


class FinalLabelPageOut(BaseModel):
    items: list[FinalLabelOut]
    next_after: int | None


class DynamicOverlapOut(BaseModel):
    min: int
    max: int
    confidence: float


class FittedModelOut(BaseModel):
    method: str
    fitted_at: UtcDatetime
    n_annotations: int


class FinalCountsOut(BaseModel):
    final: int
    adjudication: int
    adjudicated: int


class ConsensusOut(BaseModel):
    """How the project decides final labels and where its items stand; ``method`` is
    ``null`` when it keeps none."""

    project: str
    method: str | None
    dynamic_overlap: DynamicOverlapOut | None
    counts: FinalCountsOut
    without_final: int = Field(description="ordinary items with no final label yet")
    model: FittedModelOut | None


class RefitOut(BaseModel):
    """Items re-decided: final, sent back for one more annotation, at adjudication."""

    final: int
    more: int
    adjudicate: int


class AliasAnswerOut(BaseModel):
    alias: str
    value: dict[str, Any]


class CaseOut(BaseModel):
    """An item waiting for an expert: consensus's proposal and confidence, each annotation
    under an alias, and per field whether the annotations disagree."""

    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    proposal: dict[str, Any]
    confidence: float | None
    annotations: list[AliasAnswerOut]
    disagreements: dict[str, bool]


class CasePageOut(BaseModel):
    items: list[CaseOut]
    next_after: int | None


class AdjudicateIn(BaseModel):
    """An expert's final label for an item, checked like an annotation, and why."""

    model_config = ConfigDict(extra="forbid")

    value: dict[str, Any] = Field(
        min_length=1, description="the final annotation: field name -> value"
    )
    note: str = Field(default="", max_length=MAX_NOTE)


class SimulationIn(BaseModel):
    """A project spec (as JSON) whose quality settings to run on a simulated crowd, and
    the crowd; the fields are ``labelworks simulate``'s options."""

    model_config = ConfigDict(extra="forbid")

    spec: dict[str, Any] = Field(description="a project spec, as the spec file holds it")
    items: int = Field(default=1000, ge=1, le=MAX_SIM_ITEMS)
    annotators: int = Field(default=30, ge=1, le=MAX_SIM_ANNOTATORS)
    spammers: float = Field(default=0.1, ge=0, lt=1, allow_inf_nan=False)
    skill: tuple[Share, Share] = Field(
        default=(0.6, 0.95), description="honest annotators' accuracy: [low, high]"
    )
    classes: int | None = Field(default=None, ge=2, le=100)
    drift: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    gold_items: int | None = Field(default=None, ge=0, le=MAX_SIM_ITEMS)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    baseline: bool = True

    @field_validator("skill")
    @classmethod
    def _ordered(cls, skill: tuple[float, float]) -> tuple[float, float]:
        if skill[0] > skill[1]:
            raise ValueError("the low end of skill must not be above the high end")
        return skill


class SimulationBaselineOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    accuracy: float | None
    annotations_per_item: float | None
    lost: int
    seconds: float | None


class SimulationOut(BaseModel):
    """The simulation report (``labelworks simulate --json``); rates that cannot be
    computed are ``null``, never NaN."""

    model_config = ConfigDict(extra="allow")

    accuracy: float | None
    annotations_per_item: float | None
    spammers: int
    spammers_paused: int
    honest_paused: int
    gold_leaks: int
    lost: int
    adjudication: int
    items: int
    gold_items: int
    annotators: int
    classes: int
    annotations: int
    seconds: float | None
    annotations_per_second: float | None
    quality: dict[str, Any]
    seed: int
    baseline: SimulationBaselineOut | None = None
