"""The Escalations page (annotators' flags with each item's content, the comment, the kind
and who flagged it, and a form to resolve each) and the Edge-case library (resolved flags,
searchable, each at ``#case-<id>`` for guidelines to link); the browser face of
``services.escalations``.

The resolve form's answer controls follow the project's fields (``value.<field>``), so its
route reads the form body itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput, LabelworksError
from labelworks.domain.escalation import MAX_NOTE, MAX_SECTION, case_url
from labelworks.domain.fields import (
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    RatingField,
    TextField,
)
from labelworks.domain.media import media_refs
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import MAX_ROW_ID, AfterId, RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.content import Shown
from labelworks.server.web.content import content_of as payload_content
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import escalations
from labelworks.services import projects as project_service
from labelworks.services.escalations import LIBRARY, Desk, EscalationRow
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
PAGE = 20
KIND_NAMES = {"ambiguous": "Ambiguous", "edge_case": "Edge case"}
# Fields whose answer the form sets with buttons or a box; the rest are given as JSON.
CONTROLLED = (ChoiceField, MultiChoiceField, RatingField, TextField)

Form = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class CaseView:
    case: EscalationRow
    content: list[Shown]
    error: str | None = None
    draft: Form | None = None  # the refused form, to show again as it was sent

    def given(self, name: str) -> list[str]:
        return [] if self.draft is None else self.draft.get(name, [])


def content_of(desk: Desk, case: EscalationRow) -> list[Shown]:
    """The item's payload: media through the media route, text as text, the rest JSON."""
    media = media_refs(
        desk.fields, case.payload, allow_remote=desk.allow_remote_media, item_id=case.item_id
    )
    return payload_content(desk.project, case.payload, media)


def answer_from_form(fields: Sequence[FieldSpec], form: Form) -> dict[str, Any] | None:
    """The answer the form gives: its JSON box when filled, else the field controls (empty
    ones left out); ``None`` when it gives none."""
    text = (form.get("answer_json") or [""])[0].strip()
    if text:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"the answer is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise InvalidInput('the answer must be a JSON object, like {"sentiment": "neg"}')
        return value
    answer: dict[str, Any] = {}
    for f in fields:
        given = [g for g in form.get(f"value.{f.name}", []) if g.strip()]
        if not given:
            continue
        if isinstance(f, MultiChoiceField):
            answer[f.name] = given
        elif isinstance(f, RatingField):
            try:
                answer[f.name] = int(given[0])
            except ValueError:
                raise InvalidInput(
                    f"field '{f.name}': {given[0]!r} is not a whole number"
                ) from None
        else:
            answer[f.name] = given[0]
    return answer or None


def _queue(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    status: str = "open",
    after: int = 0,
    notice: tuple[str, bool] | None = None,
    refused: tuple[int, str, Form] | None = None,
    code: int = 200,
) -> HTMLResponse:
    desk = escalations.escalation_desk(
        db, project, actor=actor, status=status, after=after, limit=PAGE
    )
    views = []
    for case in desk.cases:
        mine = refused is not None and refused[0] == case.id
        error, draft = (refused[1], refused[2]) if refused is not None and mine else (None, None)
        views.append(CaseView(case, content_of(desk, case), error, draft))
    if refused is not None and not any(v.error for v in views):
        notice = (f"{refused[1]}. Nothing was changed.", False)
    return page(
        request,
        "escalations.html",
        actor,
        status=code,
        desk=desk,
        views=views,
        shown_status=status,
        after=after,
        next_after=desk.cases[-1].id if len(desk.cases) == PAGE else None,
        notice=notice,
        kinds=KIND_NAMES,
        controlled={f.name for f in desk.fields if isinstance(f, CONTROLLED)},
        max_note=MAX_NOTE,
        max_section=MAX_SECTION,
        case_url=case_url,
    )


@router.get("/projects/{project}/escalations", response_class=HTMLResponse)
def escalations_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    status: str = Query("open", pattern="^(open|resolved)$"),
    after: AfterId = 0,
) -> HTMLResponse:
    return _queue(
        request, db, actor, project, status=status, after=after, notice=take_flash(request)
    )


def _after(text: str) -> int:
    """The queue page the form was on (``after``), 0 when missing or not an id."""
    return int(text) if text.isdigit() and int(text) <= MAX_ROW_ID else 0


@router.post("/projects/{project}/escalations/{escalation_id}/resolve")
def resolve(
    request: Request,
    project: str,
    escalation_id: RowId,
    db: DB,
    actor: CurrentActor,
    raw: RawBody,
) -> Response:
    """Resolve one flag; back to the queue with what was done, or the queue with the error
    at the case and the form as it was sent."""
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)

    def first(name: str) -> str:
        return (form.get(name) or [""])[0]

    check_form_csrf(request, first(CSRF_FIELD))
    after = _after(first("after"))
    try:
        fields = project_service.get_project(db, project, actor=actor).spec.fields
        done = escalations.resolve_escalation(
            db,
            project,
            escalation_id,
            answer=answer_from_form(fields, form),
            note=first("note"),
            guideline_section=first("section"),
            make_gold=first("make_gold") == "on",
            actor=actor,
        )
    except LabelworksError as exc:
        refused = (escalation_id, str(exc).rstrip("."), form)
        return _queue(
            request, db, actor, project, after=after, refused=refused, code=status_for(exc)
        )
    gold = " The item is now a gold question." if done.made_gold else ""
    flash(request, f"Flag {done.id} is resolved and in the edge-case library.{gold}")
    back = f"/projects/{quote(project)}/escalations" + (f"?after={after}" if after else "")
    return RedirectResponse(back, status_code=303)


@router.get("/projects/{project}/edge-cases", response_class=HTMLResponse)
def edge_cases_page(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    q: str = Query("", max_length=escalations.MAX_QUERY),
    after: AfterId = 0,
) -> HTMLResponse:
    desk = escalations.escalation_desk(
        db, project, actor=actor, status=LIBRARY, query=q, after=after, limit=PAGE
    )
    return page(
        request,
        "edge_cases.html",
        actor,
        desk=desk,
        views=[CaseView(case, content_of(desk, case)) for case in desk.cases],
        q=q.strip(),
        after=after,
        next_after=desk.cases[-1].id if len(desk.cases) == PAGE else None,
        kinds=KIND_NAMES,
        case_url=case_url,
    )
