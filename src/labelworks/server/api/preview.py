"""The manager's preview of the labeling page: items as annotators get them, nothing leased."""

from __future__ import annotations

from fastapi import APIRouter, Response

from labelworks.schemas.api import ItemForTask
from labelworks.schemas.preview import PreviewCheckIn, PreviewOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.api.work import media_of
from labelworks.server.bodies import RawBody, json_body_doc, json_response, parse_body
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import AfterId, ProjectName
from labelworks.services import preview

router = APIRouter(prefix="/api/v1", tags=["work"], responses=ERRORS)


@router.get(
    "/projects/{project}/preview",
    operation_id="preview_item",
    response_model=PreviewOut,
    responses={204: {"description": "no item after that id"}},
)
def preview_item(project: ProjectName, db: DB, actor: CurrentActor, after: AfterId = 0) -> Response:
    """The first item after id ``after`` exactly as an annotator would receive it, with its
    id: managers see the labeling page without taking a lease or showing as at work."""
    found = preview.preview_next(db, project, actor=actor, after=after)
    if found is None:
        return Response(status_code=204)
    media = media_of(project, found.fields, found.payload, allow_remote=found.allow_remote_media)
    return json_response(
        PreviewOut(
            item_id=found.item_id,
            item=ItemForTask(
                payload=found.payload,
                pre_annotations=found.pre_annotations,
                media=media,
                pii=list(found.pii),
                pii_note=found.pii_note,
            ),
            guideline_version=found.guideline_version,
            total=found.total,
        )
    )


@router.post(
    "/projects/{project}/preview/check",
    operation_id="check_preview_answer",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_doc(PreviewCheckIn),
)
def check_preview_answer(
    project: ProjectName, db: DB, actor: CurrentActor, raw: RawBody
) -> Response:
    """Check an answer on an item as a submit would (422 naming the wrong field); nothing is
    stored."""
    body = parse_body(PreviewCheckIn, raw)
    preview.check_answer(db, project, body.item_id, body.value, actor=actor)
    return Response(status_code=204)
