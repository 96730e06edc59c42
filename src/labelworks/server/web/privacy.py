"""A project's Privacy page (under its Settings tab): the privacy policy, what screening
its items finds (counts by kind with a chart, by payload key) and the affected items,
linked. The browser face of ``services.pii_report``; managers and admins only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web.charts import ACCENT, chart_base
from labelworks.server.web.pages import page
from labelworks.services.pii_report import PiiReport, screen_project

router = APIRouter(include_in_schema=False)


def kinds_chart(report: PiiReport) -> dict[str, Any]:
    """Findings by kind as horizontal bars, most frequent first."""
    rows = [
        {"kind": kind, "findings": count, "items": report.items_by_kind.get(kind, 0)}
        for kind, count in report.by_kind.items()
    ]
    return {
        **chart_base("findings by kind", 30 + 26 * len(rows)),
        "data": {"values": rows},
        "mark": {"type": "bar", "color": ACCENT},
        "encoding": {
            "y": {"field": "kind", "type": "nominal", "sort": "-x", "title": None},
            "x": {
                "field": "findings",
                "type": "quantitative",
                "title": "findings",
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "tooltip": [
                {"field": "kind", "type": "nominal"},
                {"field": "findings", "type": "quantitative"},
                {"field": "items", "type": "quantitative", "title": "items"},
            ],
        },
    }


@router.get("/projects/{project}/settings/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    report = screen_project(db, project, actor=actor)  # managers and admins only
    return page(
        request,
        "privacy.html",
        actor,
        project=project,
        report=report,
        chart_spec=kinds_chart(report) if report.by_kind else None,
        chart_rows=[
            (kind, count, report.items_by_kind.get(kind, 0))
            for kind, count in report.by_kind.items()
        ],
        tab="settings",
    )
