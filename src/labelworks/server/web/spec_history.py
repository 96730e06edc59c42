"""A project's spec history (on its Settings tab): every revision with the diff between any
two chosen in the URL (``?a=1&b=3``, shareable), and every guideline version readable with
its changelog and what it changed from the one before."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.spec_diff import changed_lines, diff_lines, unified_diff
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import MAX_ROW_ID
from labelworks.server.web.markdown import render_markdown
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, page
from labelworks.services import projects as project_service
from labelworks.services import spec_history

router = APIRouter(include_in_schema=False)

Chosen = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]


@router.get("/projects/{project}/settings/history", response_class=HTMLResponse)
def history_page(
    request: Request, project: str, db: DB, actor: CurrentActor, a: Chosen = None, b: Chosen = None
) -> Response:
    """The revisions, the diff from ``a`` to ``b`` (by default the last change: the one
    before the latest against the latest), and the guideline versions."""
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:  # annotators go straight to work
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    revisions = spec_history.spec_revisions_of(db, project, actor=actor)
    latest = revisions[-1].revision
    b = latest if b is None else b
    a = max(1, b - 1) if a is None else a
    found = spec_history.spec_diff(db, project, a, b, actor=actor)
    added, removed = changed_lines(found.diff)
    return page(
        request,
        "spec_history.html",
        actor,
        overview=overview,
        revisions=list(reversed(revisions)),
        a=a,
        b=b,
        diff=diff_lines(found.diff),
        added=added,
        removed=removed,
        versions=list(reversed(spec_history.guideline_versions_of(db, project, actor=actor))),
        tab="settings",
    )


@router.get("/projects/{project}/settings/guidelines/{version}", response_class=HTMLResponse)
def guidelines_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    version: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
) -> Response:
    """One guideline version as annotators read it (its Markdown, rendered safely), its
    changelog, and what changed from the version before."""
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    if overview.status is None:
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    shown = spec_history.guideline_version(db, project, version, actor=actor)
    versions = spec_history.guideline_versions_of(db, project, actor=actor)
    before = (
        spec_history.guideline_version(db, project, version - 1, actor=actor).content
        if version > 1
        else ""
    )
    changes = unified_diff(
        before, shown.content, old_label=f"version {version - 1}", new_label=f"version {version}"
    )
    return page(
        request,
        "guideline_version.html",
        actor,
        overview=overview,
        shown=shown,
        html=render_markdown(shown.content),
        latest=versions[-1].version,
        changes=diff_lines(changes),
        tab="settings",
    )
