"""Capacity planning: a project's completion forecast with what-if knobs, and the
suggested allocation of people across the projects a manager runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from labelworks.schemas.capacity import CapacityForecastOut, CapacityOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.allocation import allocation_plan, plan_dict
from labelworks.services.capacity import MAX_HEADCOUNT, MAX_RATE, Knobs, forecast_dict
from labelworks.services.capacity import project_forecast as forecast_of

router = APIRouter(prefix="/api/v1", tags=["capacity"], responses=ERRORS)


def knobs_query(
    deadline: date | None = Query(None, description="YYYY-MM-DD after today; default the spec's"),
    confidence: float | None = Query(None, ge=0.5, le=0.99, description="default the spec's"),
    headcount: int | None = Query(None, ge=1, le=MAX_HEADCOUNT, description="people planned"),
    overlap: float | None = Query(None, ge=1, le=100, description="annotations per item"),
    gold_rate: float | None = Query(None, ge=0, le=0.95, description="share on gold items"),
    review_rate: float | None = Query(None, ge=0, le=1, description="share reviewed"),
    rate: float | None = Query(None, ge=0, le=MAX_RATE, description="price of an annotation"),
) -> Knobs:
    """The what-if knobs as query parameters (the API's and the Capacity page's)."""
    return Knobs(deadline, confidence, headcount, overlap, gold_rate, review_rate, rate)


KnobsQuery = Annotated[Knobs, Depends(knobs_query)]


@router.get(
    "/projects/{project}/forecast",
    operation_id="project_forecast",
    response_model=CapacityForecastOut,
)
def project_forecast(
    project: ProjectName, db: DB, actor: CurrentActor, knobs: KnobsQuery
) -> CapacityForecastOut:
    """The work left in annotations, the Monte Carlo completion forecast (P10/P50/P90 days
    and dates), the deadline at the chosen confidence with the headcount it needs, and
    the cost against the budget; each knob replaces the spec's or observed value. The
    review right; behind a vendor wall, that vendor's share of the work on its own
    history, without the budget."""
    found = forecast_of(db, project, knobs, actor=actor)
    return CapacityForecastOut.model_validate(forecast_dict(found))


@router.get("/capacity", operation_id="capacity", response_model=CapacityOut)
def capacity(db: DB, actor: CurrentActor) -> CapacityOut:
    """The suggested allocation of people to the projects the caller manages (managers and
    admins; behind a vendor wall, that vendor's people and share), each move with its
    reason."""
    return CapacityOut.model_validate(plan_dict(allocation_plan(db, actor)))
