"""The people analytics pages: a project's People tab (``/projects/<project>/people``) and
every project's people together (``/people/analytics``), the browser face of
``services.people_analytics``.

The period is a GET form kept in the URL (an ISO week, or first and last days). A big
project's first report is made in the background: the page says so and polls itself
(``?ready=1`` answers 204 until the report is kept, then asks htmx to reload).

The overall report is a page of its own rather than a section of ``/people``: that page
manages accounts (managers and admins, with forms), while this one is read-only and open to
reviewers too, and a first report of a million annotations must not hold up the accounts.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.domain.period import Period, parse_period
from labelworks.schemas.lots import NO_NUL
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.server.rendered import Renderings
from labelworks.server.web import people_charts
from labelworks.server.web.pages import page, templates
from labelworks.services.access import require
from labelworks.services.people_analytics import (
    PeopleReport,
    kept_people_overall,
    kept_people_report,
)

router = APIRouter(include_in_schema=False)
_bodies = Renderings()

Week = Annotated[str, Query(max_length=8, pattern=NO_NUL)]
Day = Annotated[str, Query(max_length=10, pattern=NO_NUL)]


def _charts(report: PeopleReport | None) -> dict[str, tuple[dict[str, Any], list[Any]]]:
    if report is None or report.empty:
        return {}
    found = {"time": people_charts.time_per_task(report), "weeks": people_charts.weekly(report)}
    scatter = people_charts.speed_accuracy(report)
    if scatter[1]:
        found["speed"] = scatter
    return found


def _render(
    request: Request,
    actor: Actor,
    template: str,
    here: str,
    choice: dict[str, str],
    load: Any,
    ready: bool,
    **context: Any,
) -> Response:
    """The page, or (``ready``) the poll's answer; a bad period is said on the page."""
    try:
        period: Period | None = parse_period(choice["period"], choice["since"], choice["until"])
    except InvalidInput as exc:
        if ready:
            return Response(status_code=204)
        parts = templates(request).env.get_template("people_parts.html").module
        body = parts.body(None, str(exc), {}, "", here, choice, None)  # type: ignore[attr-defined]
        return page(request, template, actor, status=422, body=body, report=None, **context)
    report = load(period)
    if ready:
        if report is None:
            return Response(status_code=204)
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    chosen = {k: v for k, v in choice.items() if v}
    poll = f"{here}?{urlencode({**chosen, 'ready': '1'})}"
    link = here if context.get("project") else None

    def render() -> Markup:
        parts = templates(request).env.get_template("people_parts.html").module
        html: Markup = parts.body(report, None, _charts(report), poll, here, choice, link)  # type: ignore[attr-defined]
        return html

    # A kept report's body is the same for everyone it is handed to (the caller's wall is
    # in the report): rendered once, not for every view.
    body = (
        render() if report is None else _bodies.get(report, (here, tuple(chosen.items())), render)
    )
    return page(request, template, actor, body=body, report=report, **context)


@router.get("/projects/{project}/people", response_class=HTMLResponse)
def people_tab(
    request: Request,
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    period: Week = "",
    since: Day = "",
    until: Day = "",
    ready: bool = False,
) -> Response:
    try:
        require(db, actor, project, Action.REVIEW)
    except PermissionDenied:  # annotators go straight to work
        return RedirectResponse(f"/projects/{quote(project)}/label", status_code=303)
    return _render(
        request,
        actor,
        "project_people.html",
        f"/projects/{quote(project)}/people",
        {"period": period, "since": since, "until": until},
        lambda chosen: kept_people_report(db, project, actor=actor, period=chosen),
        ready,
        project=project,
        tab="people",
    )


@router.get("/people/analytics", response_class=HTMLResponse)
def people_overall_page(
    request: Request,
    db: DB,
    actor: CurrentActor,
    period: Week = "",
    since: Day = "",
    until: Day = "",
    ready: bool = False,
) -> Response:
    return _render(
        request,
        actor,
        "people_analytics.html",
        "/people/analytics",
        {"period": period, "since": since, "until": until},
        lambda chosen: kept_people_overall(db, actor=actor, period=chosen),
        ready,
        project=None,
    )
