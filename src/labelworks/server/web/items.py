"""A project's Items tab: the items table with its filters, kept in the URL."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import AfterId
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import catalog
from labelworks.services import projects as project_service

router = APIRouter(include_in_schema=False)
PAGE = 50


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
