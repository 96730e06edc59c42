"""Guidelines: an annotator acknowledges a new version; a manager re-queues work made under
older ones after a breaking change."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from labelworks.schemas.guidelines import RequeuedOut, RequeueOutdatedIn
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import ProjectName
from labelworks.services import guidelines

router = APIRouter(prefix="/api/v1", tags=["guidelines"], responses=ERRORS)


@router.post(
    "/projects/{project}/guidelines/{version}/acknowledge",
    operation_id="acknowledge_guidelines",
    status_code=204,
    response_class=Response,
)
def acknowledge(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    version: int = Path(ge=1, le=2_147_483_647),
) -> Response:
    """The caller has read guideline ``version`` (the current one) and may work again."""
    guidelines.acknowledge_guidelines(db, project, version, actor=actor)
    return Response(status_code=204)


@router.post(
    "/projects/{project}/guidelines/requeue",
    operation_id="requeue_outdated",
    response_model=RequeuedOut,
    openapi_extra=json_body_doc(RequeueOutdatedIn),
)
def requeue(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> RequeuedOut:
    """Send back the annotations made under older guideline versions (optionally only those
    with a label in a field) for their annotators to redo."""
    body = parse_body(RequeueOutdatedIn, raw)
    n = guidelines.requeue_outdated(
        db,
        project,
        before_version=body.before_version,
        field=body.field,
        label=body.label,
        actor=actor,
    )
    return RequeuedOut(requeued=n)
