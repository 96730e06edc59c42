"""Items: import (JSONL, a JSON array, CSV or Parquet body) and filtered keyset pages."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from labelworks.schemas.api import ImportOut, ItemDetailOut, ItemRowOut, ItemsPageOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import BODY, SpooledBody, raw_body_doc
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import AfterId, ProjectName, RowId
from labelworks.services import catalog, ingestion

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
    openapi_extra=IMPORT_BODY,
)
def import_items(
    project: ProjectName,
    request: Request,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    body: SpooledBody,
) -> ImportOut:
    """Add items, all or nothing; errors name the line (array element) and field.

    The body is JSONL (``application/x-ndjson``, the default), a JSON array of rows
    (``application/json``), CSV (``text/csv``) or Parquet; see docs/import-export.md.
    """
    fmt = _format_of(request.headers.get("content-type", ""), body)
    summary = ingestion.import_items(db, project, body, format=fmt, source=BODY, actor=actor)
    return ImportOut.model_validate(summary, from_attributes=True)


@router.get("/projects/{project}/items", operation_id="list_items", response_model=ItemsPageOut)
def list_items(
    project: ProjectName,
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
    after: AfterId = 0,
    limit: int = Query(50, ge=1, le=500),
) -> ItemsPageOut:
    """A page of items in import order; follow ``next_after`` for the next page.

    Behind a vendor wall, the annotator and label filters and the counts consider only
    your vendor's annotations.
    """
    page = catalog.list_items(
        db,
        project,
        actor=actor,
        status=status or None,
        annotator=annotator or None,
        label=label or None,
        text=q or None,
        after=after,
        limit=limit,
    )
    return ItemsPageOut(
        items=[ItemRowOut.model_validate(r, from_attributes=True) for r in page.items],
        next_after=page.next_after,
    )


@router.get(
    "/projects/{project}/items/{item_id}", operation_id="get_item", response_model=ItemDetailOut
)
def get_item(project: ProjectName, item_id: RowId, db: DB, actor: CurrentActor) -> ItemDetailOut:
    """One item with its payload, metadata, pre-annotations and the annotations you may see
    (behind a vendor wall: your vendor's), as the item page shows it."""
    detail = catalog.item_detail(db, project, item_id, actor=actor)
    return ItemDetailOut.model_validate(detail, from_attributes=True)
