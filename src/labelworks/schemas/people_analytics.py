"""People analytics on the wire: per person and for the team, for one project or across
projects (``services.people_analytics``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from labelworks.schemas.api import UtcDatetime


class ShareOut(BaseModel):
    """``successes`` of ``trials`` with the 95% Wilson interval (``None`` without trials);
    ``few``: under 20 answers or an interval wider than 0.3 — do not lean on it."""

    successes: int
    trials: int
    value: float | None
    low: float | None
    high: float | None
    few: bool


class RateOut(BaseModel):
    """Annotations per active hour with the exact Poisson 95% interval."""

    annotations: int
    hours: float
    value: float | None
    low: float | None
    high: float | None


class PercentileOut(BaseModel):
    """Where a figure stands among the other ``among`` people (0–100; ties count half),
    with where the ends of its interval would stand."""

    value: float | None
    low: float | None
    high: float | None
    among: int
    few: bool


class WarningOut(BaseModel):
    """A warning sign: ``too_fast``, ``straight_lining``, ``guideline_drop`` or
    ``idle_leases``, explained; ``project`` names its project in the overall report."""

    code: str
    title: str
    explanation: str
    evidence: dict[str, Any]
    project: str | None


class WeekOut(BaseModel):
    """An ISO week's annotations and gold accuracy (the team's: with the median person's
    annotations and gold accuracy)."""

    week: str
    annotations: int
    gold: ShareOut
    median_annotations: float | None
    median_gold: float | None


class ConfusionOut(BaseModel):
    """Dawid–Skene's estimate: ``matrix[t][g]`` is how often the person gives
    ``labels[g]`` when the item truly is ``labels[t]``."""

    field: str
    labels: list[str]
    matrix: list[list[float]]


class PersonOut(BaseModel):
    """One person's figures for the period."""

    email: str
    name: str
    vendor: str | None
    team: str | None
    annotations: int
    timed: int = Field(description="annotations with a measured time")
    throughput: RateOut
    median_seconds: float | None
    median_seconds_by_kind: dict[str, float | None]
    gold: ShareOut
    gold_before: ShareOut = Field(
        description="before their first annotation on the newest guideline version"
    )
    gold_after: ShareOut
    review: ShareOut = Field(
        description="accepted of the reviews decided (fixes and rejections count against)"
    )
    reviews: dict[str, int]
    agreement: ShareOut = Field(
        description="answers matching the final label, first categorical field"
    )
    retest: ShareOut = Field(description="retests answered the same as the first time")
    percentiles: dict[str, PercentileOut]
    warnings: list[WarningOut]
    weeks: list[WeekOut]
    confusion: ConfusionOut | None


class HistogramOut(BaseModel):
    edges: list[float]
    counts: list[int]


class TeamOut(BaseModel):
    """The team's pooled figures."""

    people: int
    warned: int
    annotations: int
    throughput: RateOut
    median_seconds: float | None
    gold: ShareOut
    review: ShareOut
    agreement: ShareOut
    retest: ShareOut
    histogram: HistogramOut


class PeriodOut(BaseModel):
    label: str
    since: str | None
    until: str | None


class PeopleReportOut(BaseModel):
    """A project's people (``project``) or everyone across the projects the caller may
    review (``project`` null, ``projects`` listing them). ``empty`` with ``message`` when
    nobody worked in the period. Behind a vendor wall (``vendor``), that vendor's people
    only, compared with each other."""

    project: str | None
    projects: list[str]
    period: PeriodOut
    vendor: str | None
    empty: bool
    message: str | None
    kinds: list[str]
    label_field: str | None
    guideline_version: int | None
    team: TeamOut
    weeks: list[WeekOut]
    people: list[PersonOut]
    computed_at: UtcDatetime
