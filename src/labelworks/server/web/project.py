"""A project's console frame: the tabs every project page shares (Overview, Items,
Quality, People, Settings) and the Overview's page. Items (``items``), People
(``people_analytics``), Settings (``project_settings``) and the Quality tab's pages
(quality, review, consistency, adjudication, lots, audit) live in their own modules under
the same frame.

The Overview is one screen: progress, throughput and labels as charts (Vega-Lite specs
from ``charts``), who is working now, the figures that need attention, and links to the
rest; the items table, the people table and the spec moved to their tabs."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web import charts
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import catalog, quality_view, reviews
from labelworks.services import escalations as escalation_service
from labelworks.services import projects as project_service
from labelworks.services.activity import kept_activity
from labelworks.services.recent import recent_activity

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/projects/{project}", response_class=HTMLResponse)
def overview_page(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:  # annotators go straight to work
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    # Figures kept, or cheap to count now; else counted in the background while the page
    # answers at once and reloads itself when they are ready (a million annotations take
    # seconds to count by day and label the first time).
    activity = kept_activity(db, project, annotations=overview.status.annotations, actor=actor)
    specs, tables, split = {}, {}, False
    if activity is not None:
        # Bars split by vendor once more than one group of people works on the project.
        split = len({v.vendor for v in activity.vendor_days}) > 1
        specs = {
            "burn-up": charts.burn_up(activity),
            "throughput": (
                charts.throughput_by_vendor(activity) if split else charts.throughput(activity)
            ),
        }
        if activity.labels:
            specs["labels"] = charts.labels(activity)
        if activity.gold_weeks:
            specs["gold"] = charts.gold_quality(activity)
        tables = {
            "burn-up": [(d.day, d.cumulative) for d in activity.days],
            "throughput": (
                [(v.day, v.vendor or "internal", v.annotations) for v in activity.vendor_days]
                if split
                else [(d.day, d.annotations) for d in activity.days]
            ),
            "gold": [
                (w.week, w.answered, f"{w.accuracy:.1%}", f"{w.low:.1%}–{w.high:.1%}")
                for w in activity.gold_weeks
            ],
        }
    return page(
        request,
        "project.html",
        actor,
        overview=overview,
        activity=activity,
        charts=specs,
        tables=tables,
        working=catalog.working_now(db, project, actor=actor),
        recent=recent_activity(db, project, actor=actor, limit=8),
        consensus=quality_view.consensus_summary(db, project, actor=actor),
        escalations=escalation_service.open_count_for(db, project, actor=actor),
        pending_reviews=sum(r.pending for r in reviews.review_report(db, project, actor=actor)),
        split_by_vendor=split,
        tab="overview",
    )


@router.get("/projects/{project}/overview/ready")
def overview_ready(project: str, db: DB, actor: CurrentActor) -> Response:
    """For the Overview's poll while its figures are counted: 200 with ``HX-Refresh`` (htmx
    reloads the page) once they are kept; 204 meanwhile."""
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:
        return Response(status_code=204)
    found = kept_activity(db, project, annotations=overview.status.annotations, actor=actor)
    if found is None:
        return Response(status_code=204)
    return Response(status_code=200, headers={"HX-Refresh": "true"})
