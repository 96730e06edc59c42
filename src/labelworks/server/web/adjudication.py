"""The Adjudication page: the items consensus left unsure at their most annotations, each
with its content, the proposal and every annotation side by side (anonymised, the fields
they disagree on marked), and a form to take one answer with one click or set the label
with the spec's own choices; the browser face of ``services.adjudication``.

The decision form's field names follow the project's fields (``value.<field>``,
``json.<field>``), so its route reads the form body itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Actor
from labelworks.domain.annotation import condition_holds
from labelworks.domain.errors import InvalidInput, LabelworksError
from labelworks.domain.fields import (
    ChoiceField,
    FieldSpec,
    MultiChoiceField,
    RatingField,
    TextField,
)
from labelworks.server.bodies import RawBody
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import MAX_ROW_ID, AfterId, RowId
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.content import (
    FieldRow,
    Shown,
    content_of,
    rows_of,
)
from labelworks.server.web.marks import mark_layers
from labelworks.server.web.overlays import box_overlays
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import projects as project_service
from labelworks.services import quality_view
from labelworks.services.adjudication import MAX_NOTE, Case
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 20
# Field kinds edited with buttons and boxes; the others (spans, boxes, segments, pairwise)
# are edited as JSON.
SIMPLE = (ChoiceField, MultiChoiceField, RatingField, TextField)


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    content: list[Shown]
    drawn: bool  # the annotations are drawn over the item's image, one colour each
    rows: list[FieldRow]
    chosen: dict[str, list[str]]  # what the edit controls start with, per field
    note: str
    error: str | None


def _controls(fields: list[FieldSpec], value: dict[str, Any]) -> dict[str, list[str]]:
    """The edit controls' state for a label: chosen labels or points, text, or JSON."""
    chosen: dict[str, list[str]] = {}
    for f in fields:
        v = value.get(f.name)
        if v is None:
            continue
        if isinstance(f, MultiChoiceField) and isinstance(v, list):
            chosen[f.name] = [str(x) for x in v]
        elif isinstance(f, ChoiceField | RatingField | TextField):
            chosen[f.name] = [str(v)]
        else:
            chosen[f.name] = [json.dumps(v, ensure_ascii=False, indent=1)]
    return chosen


def _drafted(fields: list[FieldSpec], form: dict[str, list[str]]) -> dict[str, list[str]]:
    """The edit controls' state as the refused form left them."""
    return {
        f.name: form.get(f"value.{f.name}", []) + form.get(f"json.{f.name}", []) for f in fields
    }


def value_from_form(fields: list[FieldSpec], form: dict[str, list[str]]) -> dict[str, Any]:
    """The label the edit controls give: empty controls and fields whose condition does
    not hold are left out; JSON that does not parse is refused with where it breaks."""
    value: dict[str, Any] = {}
    for f in fields:
        given = form.get(f"value.{f.name}", [])
        if isinstance(f, MultiChoiceField):
            if given or f.required:
                value[f.name] = given
        elif isinstance(f, RatingField):
            if given and given[0].strip():
                try:
                    value[f.name] = int(given[0])
                except ValueError:
                    raise InvalidInput(
                        f"field '{f.name}': {given[0]!r} is not a whole number"
                    ) from None
        elif isinstance(f, ChoiceField | TextField):
            if given and given[0].strip():
                value[f.name] = given[0]
        else:
            text = (form.get(f"json.{f.name}") or [""])[0]
            if text.strip():
                value[f.name] = _json(f.name, text)
        if f.when is not None and f.name in value and not condition_holds(f.when, value):
            del value[f.name]
    return value


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f" (line {line}, column {column})" if line is not None else ""
        raise InvalidInput(f"field '{name}' is not valid JSON{where}: {exc}") from None


def _view(
    project: str,
    desk: quality_view.Desk,
    case: Case,
    refused: tuple[int, str, dict[str, list[str]]] | None,
) -> CaseView:
    mine = refused is not None and refused[0] == case.item_id
    form = refused[2] if refused is not None and mine else {}
    overlays = box_overlays(desk.fields, case)
    media = desk.media.get(case.item_id, {})
    layers = mark_layers(desk.fields, case)
    content = content_of(project, case.payload, media, overlays, layers)
    return CaseView(
        case=case,
        content=content,
        drawn=any(s.overlay is not None for s in content),
        rows=rows_of(desk.fields, case),
        chosen=_drafted(desk.fields, form) if mine else _controls(desk.fields, case.proposal),
        note=(form.get("note") or [""])[0],
        error=refused[1] if refused is not None and mine else None,
    )


def _desk(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    *,
    after: int = 0,
    notice: tuple[str, bool] | None = None,
    refused: tuple[int, str, dict[str, list[str]]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    desk = quality_view.adjudication_desk(db, project, actor=actor, after=after, limit=QUEUE_PAGE)
    views = [_view(desk.summary.project, desk, c, refused) for c in desk.cases]
    if refused is not None and not any(v.error for v in views):
        notice = (f"{refused[1]}. Nothing was changed.", False)
    return page(
        request,
        "adjudication.html",
        actor,
        status=status,
        summary=desk.summary,
        fields=desk.fields,
        simple=[isinstance(f, SIMPLE) for f in desk.fields],
        cases=views,
        decided=desk.decided,
        after=after,
        next_after=desk.cases[-1].item_id if len(desk.cases) == QUEUE_PAGE else None,
        notice=notice,
        max_note=MAX_NOTE,
    )


@router.get("/projects/{project}/adjudication", response_class=HTMLResponse)
def adjudication_page(
    request: Request, project: str, db: DB, actor: CurrentActor, after: AfterId = 0
) -> HTMLResponse:
    return _desk(request, db, actor, project, after=after, notice=take_flash(request))


def describe(value: dict[str, Any]) -> str:
    """A label in one line: ``sentiment: negative; tags: a, b``."""

    def one(v: Any) -> str:
        if isinstance(v, str):
            text = v
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            text = ", ".join(v) or "none"
        else:
            text = json.dumps(v, ensure_ascii=False)
        return text if len(text) <= 80 else text[:79] + "…"

    return "; ".join(f"{name}: {one(v)}" for name, v in value.items()) or "no fields"


@router.post("/projects/{project}/adjudication/{item_id}")
def decide(
    request: Request, project: str, item_id: RowId, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """Decide one item: ``take`` is an alias, ``proposal`` or ``edit`` (the controls'
    label); back to the queue with what was decided, or the page with the error at the
    item and the form as it was sent."""
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    check_form_csrf(request, (form.get(CSRF_FIELD) or [""])[0])
    take = (form.get("take") or [""])[0]
    note = (form.get("note") or [""])[0].strip()
    after = _after((form.get("after") or ["0"])[0])
    try:
        if take == "edit":
            fields = project_service.get_project(db, project, actor=actor).spec.fields
            label = quality_view.decide_case(
                db, project, item_id, value=value_from_form(fields, form), note=note, actor=actor
            )
            source = "your label"
        else:
            label = quality_view.decide_case(
                db, project, item_id, pick=take, note=note, actor=actor
            )
            source = "the proposal" if take == quality_view.PROPOSAL else f"{take}'s answer"
    except LabelworksError as exc:
        refused = (item_id, str(exc).rstrip("."), form)
        return _desk(
            request, db, actor, project, after=after, refused=refused, status=status_for(exc)
        )
    flash(request, f"Item {item_id} is decided with {source}: {describe(label)}.")
    back = f"/projects/{quote(project)}/adjudication" + (f"?after={after}" if after else "")
    return RedirectResponse(back, status_code=303)


def _after(text: str) -> int:
    """The queue page the form was on (``after``), 0 when missing or not an id."""
    return int(text) if text.isdigit() and int(text) <= MAX_ROW_ID else 0
