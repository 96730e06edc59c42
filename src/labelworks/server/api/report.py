"""A project's weekly stakeholder report, as JSON, Markdown or one HTML file."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from labelworks.schemas.report import ReportOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.stakeholder_report import (
    FORMATS,
    StakeholderReport,
    render,
    weekly_report,
)

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=ERRORS)


@router.get(
    "/projects/{project}/report",
    operation_id="project_report",
    response_model=ReportOut,
    responses={
        200: {
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            }
        }
    },
)
def project_report(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    period: str | None = Query(
        None,
        min_length=1,
        max_length=10,
        description="ISO week, e.g. 2026-W48 (default: this week)",
    ),
    format: Literal["json", "md", "html"] = Query("json"),
) -> Response:
    """The weekly stakeholder report of the ISO week: progress and forecast, quality with
    intervals, vendors' scorecards and risks. ``format=md`` gives Markdown, ``format=html``
    one self-contained file with its charts as inline SVG. The review right; behind a
    vendor wall, that vendor's share of the work."""
    found = weekly_report(db, project, week=period, actor=actor)
    if format == "json":
        body = ReportOut.model_validate(found.to_dict()).model_dump_json()
        return Response(body, media_type="application/json")
    return report_file(found, format)


def report_file(found: StakeholderReport, format: str) -> Response:
    """The report rendered as ``format``, as a file to save (the API's and the page's)."""
    name = f"{found.project}-{found.period.label}.{format}"
    return Response(
        render(found, format),
        media_type=f"{FORMATS[format]}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
