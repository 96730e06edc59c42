"""Items: import (JSON array or JSONL body) and filtered keyset pages."""

from __future__ import annotations

import io
import json

from fastapi import APIRouter, Query, Request

from labelworks.domain.errors import InvalidImport, Location
from labelworks.schemas.api import ImportOut, ItemRowOut, ItemsPageOut
from labelworks.server.deps import DB, CurrentActor
from labelworks.services import catalog, ingestion

router = APIRouter(prefix="/api/v1", tags=["items"])
BODY = "request body"


def _as_jsonl(body: bytes, content_type: str) -> bytes:
    """A JSON array body becomes JSONL, one element a line, so rows keep their numbers."""
    if "json" not in content_type or "ndjson" in content_type:
        return body
    stripped = body.lstrip()
    if not stripped.startswith(b"["):
        return body
    try:
        rows = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise InvalidImport(
            f"invalid JSON: {exc.msg} at column {exc.colno}",
            location=Location(file=BODY, line=exc.lineno),
        ) from exc
    except UnicodeDecodeError as exc:
        raise InvalidImport(f"the body is not UTF-8 (byte {exc.start})") from exc
    return b"".join(
        json.dumps(r, ensure_ascii=False, allow_nan=False).encode() + b"\n" for r in rows
    )


@router.post("/projects/{project}/items", operation_id="import_items", response_model=ImportOut)
async def import_items(project: str, request: Request, db: DB, actor: CurrentActor) -> ImportOut:
    """Add items, all or nothing; errors name the line (array element) and field."""
    body = _as_jsonl(await request.body(), request.headers.get("content-type", ""))
    summary = ingestion.import_items(
        db, project, io.BytesIO(body), format="jsonl", source=BODY, actor=actor
    )
    return ImportOut.model_validate(summary, from_attributes=True)


@router.get("/projects/{project}/items", operation_id="list_items", response_model=ItemsPageOut)
def list_items(
    project: str,
    db: DB,
    actor: CurrentActor,
    status: str | None = Query(None, description="new, in_progress or complete"),
    annotator: str | None = Query(None, description="email of someone who annotated it"),
    label: str | None = Query(None, description="a label some annotation carries"),
    q: str | None = Query(None, description="text to find in the payload"),
    after: int = Query(0, ge=0, description="the next_after of the previous page"),
    limit: int = Query(50, ge=1, le=500),
) -> ItemsPageOut:
    """A page of items in import order; follow ``next_after`` for the next page."""
    page = catalog.list_items(
        db,
        project,
        actor=actor,
        status=status,
        annotator=annotator,
        label=label,
        text=q,
        after=after,
        limit=limit,
    )
    return ItemsPageOut(
        items=[ItemRowOut.model_validate(r, from_attributes=True) for r in page.items],
        next_after=page.next_after,
    )
