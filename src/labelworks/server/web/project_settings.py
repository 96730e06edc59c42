"""A project's Settings tab: its spec and guideline history."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.server.deps import DB, CurrentActor
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import projects as project_service

router = APIRouter(include_in_schema=False)


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
