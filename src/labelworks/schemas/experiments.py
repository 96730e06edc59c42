"""Request and response bodies of the experiment routes of ``/api/v1``: A/B experiments on
the operation (annotators or items split at random between two arms)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from labelworks.schemas.api import UtcDatetime

# The domain's bounds (domain.experiments), stated again so the wire models, shared with
# the SDK, never import the core. No NUL: PostgreSQL's text cannot hold one.
MAX_NAME = 200
MAX_ARM = 64
MAX_DESCRIPTION = 2000
MAX_SEED = 2**31 - 1
NO_NUL = r"^[^\x00]*$"

Unit = Literal["annotator", "item"]
Status = Literal["running", "stopped"]
Metric = Literal["gold_accuracy", "agreement", "log_seconds", "median_seconds"]


class ArmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_ARM, pattern=NO_NUL)
    description: str = Field(default="", max_length=MAX_DESCRIPTION, pattern=NO_NUL)


class ExperimentIn(BaseModel):
    """A new experiment: its ``name``, what it splits (``unit``: annotators or items), its
    two ``arms``, and optionally the ``treatment`` labelworks applies itself
    (``suggestions``: the first arm is shown the project's suggestions, the second is not)
    and the ``seed`` of the split (drawn at random when left out)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    unit: Unit = "annotator"
    arms: list[ArmIn] = Field(min_length=2, max_length=2)
    treatment: Literal["suggestions"] | None = None
    description: str = Field(default="", max_length=MAX_DESCRIPTION, pattern=NO_NUL)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)


class ArmOut(BaseModel):
    """An arm; ``suggestions`` says whether its units are shown suggestions (``null``
    without a treatment)."""

    name: str
    description: str
    suggestions: bool | None


class ExperimentOut(BaseModel):
    name: str
    unit: Unit
    arms: list[ArmOut]
    treatment: Literal["suggestions"] | None
    description: str
    seed: int
    status: Status
    created_by: str | None
    created_at: UtcDatetime
    stopped_at: UtcDatetime | None


class ArmStatusOut(BaseModel):
    """An arm so far: its units (``late`` of them assigned after the start), and the
    annotations, gold answers and annotators in it since the start."""

    name: str
    units: int
    late: int
    annotations: int
    gold_answers: int
    annotators: int


class ExperimentStatusOut(BaseModel):
    experiment: ExperimentOut
    arms: list[ArmStatusOut]


class EstimateOut(BaseModel):
    """A figure and its 95% cluster-bootstrap interval (``null`` with fewer than two units
    holding data), with the answers and units it rests on. Shares are 0–1; ``log_seconds``
    is the mean of the natural log of seconds (its ``exp`` is the geometric mean)."""

    value: float | None
    low: float | None
    high: float | None
    answers: int
    units: int


class ArmFiguresOut(BaseModel):
    name: str
    units: int
    answers: int
    gold_accuracy: EstimateOut
    agreement: EstimateOut
    log_seconds: EstimateOut
    median_seconds: EstimateOut


class ArmDifferenceOut(BaseModel):
    """Second arm minus first, its interval and the randomisation test's two-sided
    p-value (``null`` for the median, and with too few units)."""

    value: float | None
    low: float | None
    high: float | None
    p_value: float | None


class PowerOut(BaseModel):
    """The power to detect ``min_effect`` (a difference of shares, or for ``log_seconds`` a
    share of the time per item) at the observed ICC and cluster size; the units per arm
    80% power would take."""

    min_effect: float
    icc: float
    cluster_size: float
    design_effect: float
    effective: list[float]
    power: float
    units_for_80: int | None


class ExperimentAnalysisOut(BaseModel):
    """The arms compared on the answers given from the start ``until`` now (or the stop):
    per arm figures, each difference, the power, the verdict in sentences, and how it was
    computed (resamples, re-deals, seed)."""

    experiment: ExperimentOut
    until: UtcDatetime
    arms: list[ArmFiguresOut]
    differences: dict[Metric, ArmDifferenceOut]
    power: dict[str, PowerOut | None]
    verdict: list[str]
    notes: list[str]
    confidence: float
    min_effect: float
    min_time_change: float
    n_boot: int
    n_perm: int
    seed: int


def analysis_out(
    experiment: Any, analysis: Any, verdict: list[str], until: datetime
) -> ExperimentAnalysisOut:
    """The wire form of an analysis (``stats.experiments.Analysis``, read by its
    attributes, so the wire models import no core); ``experiment`` is the experiment's
    row, read as ``ExperimentOut`` lists it."""
    names = [
        arm.name for arm in ExperimentOut.model_validate(experiment, from_attributes=True).arms
    ]
    return ExperimentAnalysisOut(
        experiment=ExperimentOut.model_validate(experiment, from_attributes=True),
        until=until,
        arms=[
            ArmFiguresOut(
                name=name,
                units=figures.units,
                answers=figures.answers,
                **{
                    metric: EstimateOut.model_validate(figures.figure(metric), from_attributes=True)
                    for metric in get_args(Metric)
                },
            )
            for name, figures in zip(names, analysis.arms, strict=True)
        ],
        differences={
            metric: ArmDifferenceOut.model_validate(d, from_attributes=True)
            for metric, d in analysis.differences.items()
        },
        power={
            metric: None
            if p is None
            else PowerOut.model_validate({**asdict(p), "effective": list(p.effective)})
            for metric, p in analysis.power.items()
        },
        verdict=verdict,
        notes=analysis.notes,
        confidence=analysis.confidence,
        min_effect=analysis.min_effect,
        min_time_change=analysis.min_time_change,
        n_boot=analysis.n_boot,
        n_perm=analysis.n_perm,
        seed=analysis.seed,
    )
