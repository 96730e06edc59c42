"""A project's Items tab: the items table with its filters, sort and page kept in the URL
(so a view can be shared), its count, and the managers' bulk actions (re-queue, priority,
delete): the browser face of ``services.catalog`` and ``services.item_actions``.

The URL is the state: ``q``, ``status``, ``annotator``, ``label``, ``disagreement``,
``score_min``, ``score_max`` and ``meta.KEY=VALUE`` filter; ``sort`` and ``limit`` order and
size the page; ``after``/``before`` (item ids) and ``start`` (the position shown) place it.
Every answer to htmx names its canonical URL (``HX-Push-Url``), so the address bar holds
only what is set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelworks.domain.access import Action, Actor, allowed, wall
from labelworks.domain.errors import InvalidInput, LabelworksError
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.errors import status_for
from labelworks.server.params import MAX_ROW_ID
from labelworks.server.security import CSRF_FIELD
from labelworks.server.web.pages import check_form_csrf, flash, page, take_flash
from labelworks.services import catalog, item_actions
from labelworks.services import projects as project_service
from labelworks.services.catalog import ItemPage
from labelworks.services.item_selection import ItemSelection, metadata_filters
from labelworks.storage.engine import Database

router = APIRouter(include_in_schema=False)
PAGE = 50
PAGE_SIZES = (25, 50, 100, 200)
META_KEYS = 12  # metadata keys offered as filters (those in the URL come on top)
# The filters in the order the URL writes them (then meta.KEY=VALUE, sort and limit).
FILTERS = ("q", "status", "annotator", "label", "disagreement", "score_min", "score_max")
SORTS = {
    "id": "import order",
    "-id": "newest first",
    "-priority": "highest priority first",
    "priority": "lowest priority first",
    "n_submitted": "fewest annotations first",
    "-n_submitted": "most annotations first",
}


@dataclass(frozen=True, slots=True)
class TableQuery:
    """The table's state as its URL says it, checked."""

    filters: list[tuple[str, str]] = field(default_factory=list)  # set ones, URL order
    sort: str = "id"
    limit: int = PAGE
    after: int = 0
    before: int | None = None
    start: int = 1  # the position of the page's first row, for "items 51–100"
    exact: bool = False

    def value(self, name: str) -> str:
        return next((v for k, v in self.filters if k == name), "")

    @property
    def metadata(self) -> dict[str, str]:
        return {k[len("meta.") :]: v for k, v in self.filters if k.startswith("meta.")}

    def selection(self) -> ItemSelection:
        return ItemSelection(
            status=self.value("status") or None,
            annotator=self.value("annotator") or None,
            label=self.value("label") or None,
            text=self.value("q") or None,
            metadata=metadata_filters(self.filters),
            disagreement=self.value("disagreement") or None,
            score_min=_score(self.value("score_min"), "score_min"),
            score_max=_score(self.value("score_max"), "score_max"),
        )

    def view(self) -> list[tuple[str, str]]:
        """The filters, sort and size: what a shared link keeps."""
        out = list(self.filters)
        if self.sort != "id":
            out.append(("sort", self.sort))
        if self.limit != PAGE:
            out.append(("limit", str(self.limit)))
        return out

    def url(self, project: str, **place: Any) -> str:
        """This view's URL, at the page ``place`` names (after/before/start/count)."""
        pairs = self.view() + [(k, str(v)) for k, v in place.items() if v not in (None, "")]
        query = urlencode(pairs, quote_via=quote)
        return f"/projects/{quote(project)}/items" + (f"?{query}" if query else "")

    def here(self, project: str) -> str:
        """The URL of the page shown now."""
        return self.url(
            project,
            after=self.after or None,
            before=self.before,
            start=self.start if self.start > 1 else None,
            count="exact" if self.exact else None,
        )


def _score(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, not '{text[:40]}'") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number")
    return value


def _whole(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not '{text[:40]}'") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high:,}")
    return value


def parse_query(params: Iterable[tuple[str, str]]) -> TableQuery:
    """The table's state from its query parameters (empty ones are not set)."""
    given = [(k, v.strip() if k in FILTERS else v) for k, v in params]
    filters = [(k, v) for k, v in given if k in FILTERS and v]
    filters.sort(key=lambda kv: FILTERS.index(kv[0]))
    filters += [(k, v) for k, v in given if k.startswith("meta.") and len(k) > 5 and v]
    one = {k: v for k, v in given if v}
    sort = one.get("sort", "id")
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not '{sort[:40]}'")
    before = one.get("before")
    return TableQuery(
        filters=filters,
        sort=sort,
        limit=_whole(one.get("limit", str(PAGE)), "limit", 1, catalog.MAX_PAGE),
        after=_whole(one.get("after", "0"), "after", 0, MAX_ROW_ID),
        before=None if before is None else _whole(before, "before", 1, MAX_ROW_ID),
        start=_whole(one.get("start", "1"), "start", 1, MAX_ROW_ID),
        exact=one.get("count") == "exact",
    )


def may_act(actor: Actor) -> bool:
    """Whether the bulk actions are offered (the service decides; the page only asks):
    managers and admins outside any vendor wall, on a project whose items they may see."""
    return allowed(actor, Action.MANAGE, member=True) and wall(actor) is None


def _table(
    db: Database, project: str, actor: Actor, query: TableQuery
) -> tuple[ItemPage | None, str | None]:
    """The page of items, or why the query cannot be answered."""
    try:
        found = catalog.list_items(
            db,
            project,
            actor=actor,
            **_selection_args(query.selection()),
            sort=query.sort,
            after=query.after,
            before=query.before,
            limit=query.limit,
            exact_count=query.exact,
        )
    except InvalidInput as exc:
        return None, str(exc)
    return found, None


def _selection_args(selection: ItemSelection) -> dict[str, Any]:
    return {
        "status": selection.status,
        "annotator": selection.annotator,
        "label": selection.label,
        "text": selection.text,
        "metadata": selection.metadata,
        "disagreement": selection.disagreement,
        "score_min": selection.score_min,
        "score_max": selection.score_max,
    }


def _render(
    request: Request,
    db: Database,
    actor: Actor,
    project: str,
    params: Iterable[tuple[str, str]],
    *,
    notice: tuple[str, bool] | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        query = parse_query(params)
        items, problem = _table(db, project, actor, query)
    except InvalidInput as exc:
        query, items, problem = TableQuery(), None, str(exc)
    context: dict[str, Any] = {
        "project_name": project,
        "query": query,
        "items": items,
        "problem": problem,
        "may_act": may_act(actor),
        "max_items": item_actions.MAX_ITEMS,
    }
    if request.headers.get("HX-Request") == "true":
        answer = page(request, "items_table.html", actor, **context)
        answer.headers["HX-Push-Url"] = query.here(project)
        return answer
    view = project_service.get_project(db, project, actor=actor)
    keys = catalog.metadata_keys(db, project, actor=actor)[:META_KEYS]
    keys += [k for k in query.metadata if k not in keys]
    status = 422 if problem and status == 200 else status
    return page(
        request,
        "items.html",
        actor,
        status=status,
        project=view.row,
        fields=view.spec.fields,
        meta_keys=keys,
        sorts=SORTS,
        page_sizes=sorted({*PAGE_SIZES, query.limit}),
        notice=notice,
        tab="items",
        **context,
    )


@router.get("/projects/{project}/items", response_class=HTMLResponse)
def items_page(request: Request, project: str, db: DB, actor: CurrentActor) -> HTMLResponse:
    """The Items tab; only its table when htmx asks (as filters change or pages turn)."""
    return _render(
        request, db, actor, project, request.query_params.multi_items(), notice=take_flash(request)
    )


@router.post("/projects/{project}/items/actions")
def item_action(
    request: Request,
    project: str,
    db: DB,
    actor: CurrentActor,
    action: str = Form(..., max_length=20),
    ids: list[int] = Form([]),
    priority: str = Form("", max_length=20),
    all_matching: str = Form(""),
    query: str = Form("", max_length=8000),
    csrf: str = Form("", alias=CSRF_FIELD),
) -> Response:
    """Run a bulk action on the rows ticked (or every item the table's filters match), then
    back to the table with what happened; a refusal comes back with the table as it was."""
    check_form_csrf(request, csrf)
    params = parse_qsl(query, keep_blank_values=True)
    try:
        table = parse_query(params)
        chosen: dict[str, Any] = (
            {"selection": table.selection()} if all_matching else {"ids": ids or []}
        )
        if not all_matching and not ids:
            raise InvalidInput("tick the items to act on, or 'all matching'")
        top = item_actions.MAX_PRIORITY
        level = _whole(priority, "priority", -top, top) if action == "priority" else None
        done = item_actions.act_on_items(db, project, action, priority=level, actor=actor, **chosen)
    except LabelworksError as exc:
        return _render(
            request, db, actor, project, params, notice=(str(exc), False), status=status_for(exc)
        )
    flash(request, done.describe())
    return RedirectResponse(table.url(project), status_code=303)
