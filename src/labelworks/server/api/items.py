"""Items: import (JSONL, a JSON array, CSV or Parquet body), filtered and sorted keyset pages
with their count, one item, and bulk actions (re-queue, priority, delete)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from labelworks.config import Settings
from labelworks.schemas.api import ImportOut, ItemDetailOut, ItemRowOut, ItemsPageOut
from labelworks.schemas.items import ItemActionIn, ItemsChangedOut
from labelworks.schemas.jobs import JobOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.api.jobs import Queue, job_out, staged_import
from labelworks.server.bodies import (
    BODY,
    RawBody,
    SpooledBody,
    json_body_doc,
    parse_body,
    raw_body_doc,
)
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import MAX_ROW_ID, AfterId, ProjectName, RowId
from labelworks.services import catalog, ingestion, item_actions
from labelworks.services.item_selection import ItemSelection, metadata_filters

router = APIRouter(prefix="/api/v1", tags=["items"], responses=ERRORS)

_ROW = {"type": "object", "additionalProperties": True}
IMPORT_BODY = raw_body_doc(
    {
        "application/x-ndjson": {"schema": {"type": "string", "description": "one row a line"}},
        "application/json": {"schema": {"type": "array", "items": _ROW, "minItems": 1}},
        "text/csv": {"schema": {"type": "string", "description": "a header line, then rows"}},
        "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    },
    limit="import",
)


def _format_of(content_type: str, body: SpooledBody) -> ingestion.ImportFormat:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/csv":
        return "csv"
    if kind in ("application/vnd.apache.parquet", "application/x-parquet"):
        return "parquet"
    if kind == "application/json":
        start = body.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        body.seek(0)
        if start.startswith(b"["):
            return "json"
    return "jsonl"


@router.post(
    "/projects/{project}/items",
    operation_id="import_items",
    response_model=ImportOut,
    responses={202: {"model": JobOut, "description": "imported by a background job"}},
    openapi_extra=IMPORT_BODY,
)
def import_items(
    project: ProjectName,
    request: Request,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    body: SpooledBody,
    queue: Queue,
    background: bool | None = Query(
        None,
        description="run as a background job (202 and the job); default: when the body is "
        "larger than the server's import_job_bytes",
    ),
    create_annotators: bool = Query(
        False,
        description="create the annotators of rows' annotations (an export's history) who "
        "are not users yet, without a password; otherwise they are refused",
    ),
) -> ImportOut | JSONResponse:
    """Add items, all or nothing; errors name the line (array element) and field.

    The body is JSONL (``application/x-ndjson``, the default), a JSON array of rows
    (``application/json``), CSV (``text/csv``) or Parquet; see docs/import-export.md.
    A large body (or ``background=true``) is kept and imported by a job: the answer is
    202 with the job, whose result holds the import's counts.
    """
    fmt = _format_of(request.headers.get("content-type", ""), body)
    settings: Settings = request.app.state.settings
    size = body.seek(0, 2)
    body.seek(0)
    if background or (background is None and size > settings.import_job_bytes):
        job = staged_import(
            db, settings, queue, project, body, fmt, actor, create_annotators=create_annotators
        )
        return JSONResponse(job_out(job).model_dump(mode="json"), status_code=202)
    summary = ingestion.import_items(
        db,
        project,
        body,
        format=fmt,
        source=BODY,
        actor=actor,
        create_annotators=create_annotators,
    )
    return ImportOut.model_validate(summary, from_attributes=True)


@router.get("/projects/{project}/items", operation_id="list_items", response_model=ItemsPageOut)
def list_items(
    project: ProjectName,
    request: Request,
    db: DB,
    actor: CurrentActor,
    status: Literal["", "new", "in_progress", "complete"] = Query(
        "", description="new, in_progress or complete; empty for all"
    ),
    annotator: str = Query(
        "", max_length=320, description="email of someone who annotated it; empty for all"
    ),
    label: str = Query("", max_length=200, description="a label some annotation carries"),
    q: str = Query("", max_length=500, description="text to find in the payload"),
    disagreement: str = Query(
        "",
        max_length=64,
        description="'any' (every choice, multi-choice, rating and pairwise field) or a "
        "field: two of the item's annotations answer it differently; empty for all",
    ),
    score_min: float | None = Query(
        None, allow_inf_nan=False, description="some pre-annotation scores at least this"
    ),
    score_max: float | None = Query(
        None, allow_inf_nan=False, description="some pre-annotation scores at most this"
    ),
    sort: Literal["id", "-id", "-priority", "priority", "n_submitted", "-n_submitted"] = Query(
        "id", description="the order; '-' reverses it (ties by id)"
    ),
    after: AfterId = 0,
    before: int | None = Query(
        None, ge=1, le=MAX_ROW_ID, description="the prev_before of the next page"
    ),
    limit: int = Query(50, ge=1, le=500),
    count: Literal["capped", "exact"] = Query(
        "capped", description="exact: count every matching item, however many"
    ),
) -> ItemsPageOut:
    """A page of items, filtered and sorted; follow ``next_after`` (``prev_before``) for the
    next (previous) page. Metadata filters are ``meta.KEY=VALUE`` parameters, any number.

    ``total`` counts the items the filters match: without filters every item, exactly;
    with filters exactly up to 1,000, past which ``total_capped`` says there are more
    (``count=exact`` counts them all, reading every match). Behind a vendor wall, the
    annotator, label and disagreement filters and the counts consider only your vendor's
    annotations.
    """
    page = catalog.list_items(
        db,
        project,
        actor=actor,
        status=status or None,
        annotator=annotator or None,
        label=label or None,
        text=q or None,
        metadata=metadata_filters(request.query_params.multi_items()),
        disagreement=disagreement or None,
        score_min=score_min,
        score_max=score_max,
        sort=sort,
        after=after,
        before=before,
        limit=limit,
        exact_count=count == "exact",
    )
    return ItemsPageOut(
        items=[ItemRowOut.model_validate(r, from_attributes=True) for r in page.items],
        next_after=page.next_after,
        prev_before=page.prev_before,
        total=page.total,
        total_capped=page.total_capped,
    )


@router.post(
    "/projects/{project}/items/actions",
    operation_id="act_on_items",
    response_model=ItemsChangedOut,
    openapi_extra=json_body_doc(ItemActionIn),
)
def act_on_items(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> ItemsChangedOut:
    """Re-queue, change the priority of, or delete items chosen by ``ids`` or by
    ``filter`` (the table's filters; ``{}`` is every item), all or nothing, at most 10,000
    at a time; managers and admins outside any vendor wall.

    ``requeue`` asks for one more annotation of each item that has all it needs (refused
    for gold questions and items an adjudicator decided); ``priority`` sets ``priority``;
    ``delete`` deletes items nobody has worked on (refused, naming them, for items with
    annotations, a live lease, gold or other work kept for them). Unknown ids are 404, a
    refusal 409 with the items by reason in ``details.refused``; nothing changes then.
    """
    body = parse_body(ItemActionIn, raw)
    selection = None
    if body.filter is not None:
        f = body.filter
        selection = ItemSelection(
            status=f.status,
            annotator=f.annotator or None,
            label=f.label or None,
            text=f.q or None,
            metadata=tuple(f.meta.items()),
            disagreement=f.disagreement or None,
            score_min=f.score_min,
            score_max=f.score_max,
        )
    done = item_actions.act_on_items(
        db,
        project,
        body.action,
        ids=body.ids,
        selection=selection,
        priority=body.priority,
        actor=actor,
    )
    return ItemsChangedOut(
        action=done.action, selected=done.selected, changed=done.changed, message=done.describe()
    )


@router.get(
    "/projects/{project}/items/{item_id}", operation_id="get_item", response_model=ItemDetailOut
)
def get_item(project: ProjectName, item_id: RowId, db: DB, actor: CurrentActor) -> ItemDetailOut:
    """One item with its payload, metadata, pre-annotations and the annotations you may see
    (behind a vendor wall: your vendor's), as the item page shows it."""
    detail = catalog.item_detail(db, project, item_id, actor=actor)
    return ItemDetailOut.model_validate(detail, from_attributes=True)
