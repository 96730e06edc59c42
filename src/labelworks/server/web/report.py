"""The weekly stakeholder report in the console (under the Overview), with the week to show
and downloads of the same report as one HTML file, Markdown or JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from labelworks.domain.period import week_of
from labelworks.formats.stakeholder_report import body_html
from labelworks.server.api.report import report_file
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import projects as project_service
from labelworks.services.stakeholder_report import charts_svg, weekly_report
from labelworks.storage.engine import utcnow

router = APIRouter(include_in_schema=False)
WEEKS_OFFERED = 12
Week = Query(None, min_length=1, max_length=10, description="ISO week, e.g. 2026-W48")


@router.get("/projects/{project}/report", response_class=HTMLResponse)
def report_page(
    request: Request, project: str, db: DB, actor: CurrentActor, period: str | None = Week
) -> Response:
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    found = weekly_report(db, project, week=period, actor=actor)
    data = found.to_dict()
    today = utcnow().date()
    weeks = [week_of(today - timedelta(weeks=k)) for k in range(WEEKS_OFFERED)]
    return page(
        request,
        "report.html",
        actor,
        overview=overview,
        report=data,
        # Escaped as it is built (formats.stakeholder_report); the SVG is vl-convert's XML.
        body=Markup(body_html(data, charts_svg(data))),
        weeks=weeks,
        week=found.period.label,
        tab="overview",
    )


@router.get("/projects/{project}/report/download")
def report_download(
    project: str,
    db: DB,
    actor: CurrentActor,
    period: str | None = Week,
    format: Literal["html", "md", "json"] = Query("html"),
) -> Response:
    return report_file(weekly_report(db, project, week=period, actor=actor), format)
