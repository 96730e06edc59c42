"""A project's console frame: the tabs every project page shares (Overview, Items,
Quality, People, Settings) and the pages of the first, second, fourth and fifth. The
Quality tab's pages (quality, review, consistency, adjudication, lots, audit) live in their
own modules under the same frame.

The Overview is one screen: progress, throughput and labels as charts (Vega-Lite specs
from ``charts``), who is working now, the figures that need attention, and links to the
rest; the items table, the people table and the spec moved to their tabs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import AfterId
from labelworks.server.web import charts
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import catalog, quality_view, reviews
from labelworks.services import escalations as escalation_service
from labelworks.services import projects as project_service
from labelworks.services.activity import project_activity

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/projects/{project}", response_class=HTMLResponse)
def overview_page(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:  # annotators go straight to work
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    activity = project_activity(db, project, annotations=overview.status.annotations, actor=actor)
    specs = {"burn-up": charts.burn_up(activity), "throughput": charts.throughput(activity)}
    if activity.labels:
        specs["labels"] = charts.labels(activity)
    return page(
        request,
        "project.html",
        actor,
        overview=overview,
        activity=activity,
        charts=specs,
        tables={
            "burn-up": [(d.day, d.cumulative) for d in activity.days],
            "throughput": [(d.day, d.annotations) for d in activity.days],
        },
        working=catalog.working_now(db, project, actor=actor),
        consensus=quality_view.consensus_summary(db, project, actor=actor),
        escalations=escalation_service.open_count_for(db, project, actor=actor),
        pending_reviews=sum(r.pending for r in reviews.review_report(db, project, actor=actor)),
        tab="overview",
    )


@router.get("/projects/{project}/items", response_class=HTMLResponse)
def items_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    status: str | None = Query(None),
    annotator: str | None = Query(None),
    label: str | None = Query(None),
    q: str | None = Query(None),
    after: AfterId = 0,
) -> HTMLResponse:
    """The Items tab; only its table when htmx asks (as filters change or pages turn)."""
    filters = {
        "status": status or None,
        "annotator": annotator or None,
        "label": label or None,
        "q": q or None,
    }
    result = catalog.list_items(
        db,
        project,
        actor=actor,
        status=filters["status"],
        annotator=filters["annotator"],
        label=filters["label"],
        text=filters["q"],
        after=after,
        limit=PAGE,
    )
    context: dict[str, Any] = {
        "project_name": project,
        "items": result,
        "filters": {k: v for k, v in filters.items() if v},
    }
    if request.headers.get("HX-Request") == "true":
        return page(request, "items_table.html", actor, **context)
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    return page(request, "items.html", actor, overview=overview, tab="items", **context)


@router.get("/projects/{project}/people", response_class=HTMLResponse)
def people_tab(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    return page(request, "project_people.html", actor, overview=overview, tab="people")


@router.get("/projects/{project}/settings", response_class=HTMLResponse)
def settings_tab(request: Request, project: str, db: DB, actor: CurrentActor) -> Response:
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    return page(
        request,
        "project_settings.html",
        actor,
        overview=overview,
        spec_yaml=project_service.effective_spec_yaml(db, project, actor=actor),
        history=project_service.guideline_history(db, project, actor=actor),
        tab="settings",
    )
