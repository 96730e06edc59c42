"""People analytics: per annotator, per project and across projects, for a period."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from labelworks.domain.period import Period, parse_period
from labelworks.schemas.lots import NO_NUL
from labelworks.schemas.people_analytics import PeopleReportOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.server.rendered import Renderings
from labelworks.services.people_analytics import (
    MAX_FLOOR_SECONDS,
    PeopleReport,
    people_overall,
    people_report,
)

router = APIRouter(prefix="/api/v1", tags=["people"], responses=ERRORS)
_json = Renderings()

Week = Annotated[
    str | None,
    Query(max_length=8, pattern=NO_NUL, description="an ISO week, e.g. 2026-W48"),
]
Since = Annotated[
    str | None,
    Query(max_length=10, pattern=NO_NUL, description="first day, YYYY-MM-DD (UTC)"),
]
Until = Annotated[
    str | None,
    Query(max_length=10, pattern=NO_NUL, description="last day, YYYY-MM-DD (inclusive)"),
]


def _period(period: str | None, since: str | None, until: str | None) -> Period:
    return parse_period(period, since, until)


def _answer(report: PeopleReport) -> Response:
    """The report as JSON, validated by its wire model once per kept report."""
    body = _json.get(
        report,
        None,
        lambda: PeopleReportOut.model_validate(report.to_dict()).model_dump_json(),
    )
    return Response(content=body, media_type="application/json")


@router.get(
    "/projects/{project}/people",
    operation_id="people_report",
    response_model=PeopleReportOut,
)
def project_people(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    period: Week = None,
    since: Since = None,
    until: Until = None,
    floor_seconds: float | None = Query(
        None,
        gt=0,
        le=MAX_FLOOR_SECONDS,
        allow_inf_nan=False,
        description="seconds per item under which answers count as too fast "
        "(default: a quarter of the team's median person)",
    ),
) -> Response:
    """Each annotator's figures for the period (all time by default; ``period`` an ISO
    week, or ``since``/``until`` dates, not both): annotations per active hour with a
    Poisson interval, median seconds per item, gold accuracy (and before/after the newest
    guideline version), review acceptance, agreement with the final label and retest
    consistency with Wilson intervals, percentiles within the team with intervals, weekly
    figures, the Dawid–Skene confusion matrix of the first categorical field, and the
    warning signs explained. The review right; behind a vendor wall that vendor's people
    only, compared with each other. A period without work gives ``empty`` and a message.
    Kept while the project's annotation count is unchanged (up to a minute)."""
    report = people_report(
        db,
        project,
        actor=actor,
        period=_period(period, since, until),
        floor_seconds=floor_seconds,
    )
    return _answer(report)


@router.get("/people", operation_id="people_overall", response_model=PeopleReportOut)
def overall_people(
    db: DB,
    actor: CurrentActor,
    period: Week = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    """Every annotator across the projects where the caller has the review right, their
    counts pooled (medians per kind of task), percentiles among everyone in the report,
    and each project's warning signs named with the project. Annotators are refused (403);
    behind a vendor wall, that vendor's people only."""
    report = people_overall(db, actor=actor, period=_period(period, since, until))
    return _answer(report)
