"""The weekly stakeholder report as JSON (``labelworks report --format json``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ReportPeriodOut(BaseModel):
    week: str
    start: str
    end: str


class RiskOut(BaseModel):
    kind: str
    text: str


class ReportOut(BaseModel):
    """``progress``: items, complete, completion, annotations, the week's and the previous
    week's annotations, per day and by vendor; ``forecast``: remaining annotations, P10,
    P50 and P90 completion dates, the deadline against the spec's ``plan`` and the cost
    (``null`` without history); ``quality``: gold accuracy this week and last with 95%
    Wilson intervals (``hits``, ``n``, ``value``, ``low``, ``high``), per week for 12 weeks,
    and Krippendorff's alpha of the week with its interval; ``vendors``: the scorecards of
    the vendors who worked on the project this week (across their projects); ``risks``:
    what needs a stakeholder's attention, in words."""

    project: str
    description: str
    period: ReportPeriodOut
    generated_at: str
    progress: dict[str, Any]
    forecast: dict[str, Any] | None
    quality: dict[str, Any]
    vendors: list[dict[str, Any]]
    risks: list[RiskOut]
