"""Annotators' work: lease the next task, submit, skip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, Response

from labelworks.domain.escalation import Flag
from labelworks.domain.fields import FieldSpec
from labelworks.domain.media import media_refs
from labelworks.schemas.api import (
    FlagIn,
    ItemForTask,
    ProgressOut,
    SkipIn,
    SubmitIn,
    SubmitOut,
    TaskOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, json_response, parse_body
from labelworks.server.deps import caller_of
from labelworks.server.media_urls import media_url
from labelworks.server.params import ProjectName, RowId
from labelworks.services import assignment

router = APIRouter(prefix="/api/v1", tags=["work"], responses=ERRORS)


def media_of(
    project: str,
    fields: Sequence[FieldSpec],
    payload: dict[str, Any],
    *,
    allow_remote: bool,
    item_id: int | None = None,
) -> dict[str, str]:
    """The URL each media key of the payload loads from, as the labeling page gets it
    (objects, ``s3://``, through the item: only with ``item_id``)."""
    refs = media_refs(fields, payload, allow_remote=allow_remote, item_id=item_id)
    return {key: media_url(project, ref) for key, ref in refs.items()}


def _flag(given: FlagIn | None) -> Flag | None:
    return None if given is None else Flag(given.kind, given.comment)


@router.post(
    "/projects/{project}/next",
    operation_id="next_task",
    response_model=TaskOut,
    responses={204: {"description": "nothing is left for this annotator"}},
)
def next_task(project: ProjectName, request: Request) -> Response:
    """Lease the next item for the caller (the same one again while their lease is live)."""
    db, caller = caller_of(request)
    task = assignment.next_task_for(db, project, caller)
    if task is None:
        return Response(status_code=204)
    media = media_of(
        project,
        task.fields,
        task.payload,
        allow_remote=task.allow_remote_media,
        item_id=task.item_id,
    )
    progress = task.progress
    task_out = TaskOut(
        assignment_id=task.assignment_id,
        item=ItemForTask(
            payload=task.payload,
            pre_annotations=task.pre_annotations,
            media=media,
            pii=list(task.pii),
            pii_note=task.pii_note,
        ),
        expires_at=task.expires_at,
        guideline_version=task.guideline_version,
        progress=None
        if progress is None
        else ProgressOut(
            done_today=progress.done_today, remaining=progress.remaining, note=progress.note
        ),
    )
    return json_response(task_out)


@router.post(
    "/assignments/{assignment_id}/submit",
    operation_id="submit_annotation",
    response_model=SubmitOut,
    openapi_extra=json_body_doc(SubmitIn),
)
def submit(assignment_id: RowId, request: Request, raw: RawBody) -> Response:
    """Record the annotation; a retry with the same idempotency key returns the first result.
    With ``flag``, the item also goes to the escalation queue for an expert."""
    db, caller = caller_of(request)
    body = parse_body(SubmitIn, raw)
    result = assignment.submit_annotation(
        db,
        assignment_id,
        caller,
        value=body.value,
        seconds=body.seconds,
        idempotency_key=body.idempotency_key,
        flag=_flag(body.flag),
    )
    return json_response(SubmitOut.model_validate(result, from_attributes=True))


@router.post(
    "/assignments/{assignment_id}/skip",
    operation_id="skip_task",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_doc(SkipIn),
)
def skip(assignment_id: RowId, request: Request, raw: RawBody) -> Response:
    """Give the task back with an optional reason; it is not offered to the caller again.
    With ``flag`` (ambiguous or an edge case, and why), the item goes to the escalation
    queue for an expert."""
    db, caller = caller_of(request)
    body = parse_body(SkipIn, raw)
    assignment.skip_task(db, assignment_id, caller, reason=body.reason, flag=_flag(body.flag))
    return Response(status_code=204)
