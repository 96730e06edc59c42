"""The coaching page: a person's figures, their weekly trend against the team's median
(charts with their numbers), their mistakes on gold and in review with the expert's answer
beside theirs and the guideline section, and the notes log with a manager's form. The
browser face of ``services.coaching``; ``/projects/{project}/me`` is the caller's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.coaching import MAX_NOTE
from labelworks.domain.errors import LabelworksError
from labelworks.domain.media import media_refs
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import ProjectName, TextKey
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web import coaching_charts
from labelworks.server.web.content import Shown, content_of
from labelworks.server.web.markdown import render_markdown
from labelworks.server.web.pages import DASHBOARD_MAX_AGE, check_form_csrf, flash, page, take_flash
from labelworks.services import coaching
from labelworks.services import projects as project_service
from labelworks.services.coaching import CoachingMistake, CoachingPage
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class MistakeCard:
    """A mistake as the page shows it: the item's content, and the guideline section's
    Markdown rendered safely."""

    mistake: CoachingMistake
    content: list[Shown]
    section_html: str  # sanitised by render_markdown


def _cards(found: CoachingPage, mistakes: list[CoachingMistake]) -> list[MistakeCard]:
    cards = []
    for m in mistakes:
        media = media_refs(
            found.fields, m.payload, allow_remote=found.allow_remote_media, item_id=m.item_id
        )
        text = m.guideline.text
        cards.append(
            MistakeCard(
                m,
                content_of(found.project, m.payload, media),
                render_markdown(text) if text else "",
            )
        )
    return cards


def _render(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    email: str,
    *,
    message: tuple[str, bool] | None = None,
    draft: str = "",
    status: int = 200,
) -> HTMLResponse:
    found = coaching.coaching_page(db, project, email, actor=actor)
    overview = project_service.project_overview(db, project, actor=actor, max_age=DASHBOARD_MAX_AGE)
    who = "you" if found.own else (found.name or found.email)
    charts: dict[str, Any] = {}
    if found.trend:
        charts = {
            "accuracy": coaching_charts.accuracy_trend(found.trend, who),
            "seconds": coaching_charts.seconds_trend(found.trend, who),
        }
    return page(
        request,
        "coaching.html",
        actor,
        status=status,
        overview=overview,
        found=found,
        who=who,
        charts=charts,
        accuracy_rows=coaching_charts.accuracy_rows(found.trend),
        accuracy_columns=coaching_charts.ACCURACY_COLUMNS,
        seconds_rows=coaching_charts.seconds_rows(found.trend),
        seconds_columns=coaching_charts.SECONDS_COLUMNS,
        gold_cards=_cards(found, found.gold_mistakes),
        review_cards=_cards(found, found.review_mistakes),
        figures=found.figures,
        notice=message or take_flash(request),
        draft=draft,
        max_note=MAX_NOTE,
        tab="people",
    )


@router.get("/projects/{project}/people/{email}", response_class=HTMLResponse)
def person_page(
    request: Request, project: ProjectName, email: TextKey, db: DB, actor: CurrentActor
) -> HTMLResponse:
    """A person's coaching page (managers: anyone behind their wall; others: themselves)."""
    return _render(request, db, actor, project, email)


@router.get("/projects/{project}/me", response_class=HTMLResponse)
def my_page(request: Request, project: ProjectName, db: DB, actor: CurrentActor) -> HTMLResponse:
    """The caller's own coaching page: "My progress"."""
    return _render(request, db, actor, project, actor.email)


@router.post("/projects/{project}/people/{email}/notes", response_class=HTMLResponse)
def add_note(
    request: Request,
    project: ProjectName,
    email: TextKey,
    db: DB,
    actor: CurrentActor,
    body: str = Form(""),
    csrf: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Add a note from the page's form; the page again with the error and the text typed
    when it is refused."""
    check_form_csrf(request, csrf)
    try:
        coaching.add_note(db, project, email, body, actor=actor)
    except LabelworksError as exc:
        return _render(
            request,
            db,
            actor,
            project,
            email,
            message=(str(exc), False),
            draft=body,
            status=status_for(exc),
        )
    flash(request, "Note added to the log.")
    target = f"/projects/{quote(project, safe='')}/people/{quote(email, safe='@')}#notes"
    return RedirectResponse(target, status_code=303)
