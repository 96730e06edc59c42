"""Projects: list, detail with counts, apply a spec, status, export."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from labelworks.schemas.api import ApplyOut, ProjectDetailOut, ProjectOut, StatusOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import BODY, RawBody, raw_body_doc
from labelworks.server.deps import DB, CurrentActor, MayApplySpec
from labelworks.server.params import ProjectName
from labelworks.server.streaming import stream_from
from labelworks.services import exports
from labelworks.services import projects as project_service
from labelworks.services.status import project_status

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=ERRORS)

MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


@router.get("/projects", operation_id="list_projects", response_model=list[ProjectOut])
def list_projects(
    db: DB,
    actor: CurrentActor,
    archived: bool = Query(False, description="the archived projects instead"),
) -> list[ProjectOut]:
    """Projects the caller may see: those in use, or with ``archived`` the archived ones."""
    return [
        ProjectOut.model_validate(p, from_attributes=True)
        for p in project_service.list_projects(db, actor=actor, archived=archived)
    ]


@router.get("/projects/{project}", operation_id="get_project", response_model=ProjectDetailOut)
def get_project(project: ProjectName, db: DB, actor: CurrentActor) -> ProjectDetailOut:
    """The project's settings and spec, with counts for those who may review it."""
    # Totals up to 2 s old, as on the project page; /status always counts afresh.
    overview = project_service.project_overview(db, project, actor=actor, max_age=2.0)
    row = overview.view.row
    return ProjectDetailOut(
        name=row.name,
        description=row.description,
        overlap=row.overlap,
        lease_minutes=row.lease_minutes,
        priority=row.priority,
        spec_revision=row.spec_revision,
        guideline_version=row.guideline_version,
        updated_at=row.updated_at,
        spec=overview.view.spec.model_dump(mode="json", by_alias=True),
        counts=None
        if overview.status is None
        else StatusOut.model_validate(overview.status.to_dict()),
    )


SPEC_BODY = raw_body_doc(
    {
        "application/json": {"schema": {"type": "object", "additionalProperties": True}},
        "application/yaml": {"schema": {"type": "string", "description": "the spec as YAML"}},
    },
    limit="spec",
)


@router.put(
    "/projects/{project}",
    operation_id="apply_project_spec",
    response_model=ApplyOut,
    openapi_extra=SPEC_BODY,
)
def apply_spec(
    project: ProjectName,
    request: Request,
    db: DB,
    actor: CurrentActor,
    _may: MayApplySpec,
    body: RawBody,
    force: bool = Query(False, description="apply even if existing annotations break"),
) -> ApplyOut:
    """Create or update the project from a spec (JSON object, or YAML text), idempotently."""
    spec = project_service.spec_for_project(
        project_service.spec_from_upload(
            body, json="json" in request.headers.get("content-type", ""), source=BODY
        ),
        project,
        source=BODY,
    )
    result = project_service.apply_spec(
        db, spec, guidelines=spec.guidelines, force=force, actor=actor
    )
    return ApplyOut.model_validate(result, from_attributes=True)


@router.get("/projects/{project}/status", operation_id="project_status", response_model=StatusOut)
def status(project: ProjectName, db: DB, actor: CurrentActor) -> StatusOut:
    """Items, completion, annotations, live leases, skips and per-annotator counts."""
    return StatusOut.model_validate(project_status(db, project, actor=actor).to_dict())


@router.get(
    "/projects/{project}/export",
    operation_id="export_project",
    response_class=StreamingResponse,
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
)
def export(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    format: Literal["jsonl", "csv", "parquet"] = Query("jsonl"),
    csv_formulas: Literal["escape", "raw"] = Query(
        "escape",
        description="CSV only: 'escape' prefixes cells a spreadsheet would run as formulas "
        "with ', 'raw' writes the exact text (for programs)",
    ),
    aggregate: Literal["majority", "dawid_skene"] | None = Query(
        None,
        description="add each annotated item's aggregated label (with its confidence) by "
        "this method, from the annotations the caller may see",
    ),
) -> StreamingResponse:
    """Every item with its annotations and pre-annotations, streamed; with ``aggregate``,
    each annotated item's label by majority vote or Dawid–Skene too."""
    # Options and access are checked before streaming, while an error can still be a status.
    exports.check_export_options(format, csv_formulas)
    exports.count_for_export(db, project, actor=actor)
    body = stream_from(
        lambda out: exports.export_project(
            db,
            project,
            out,
            format=format,
            csv_formulas=csv_formulas,
            actor=actor,
            aggregate=aggregate,
        )
    )
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{project}.{format}"'},
    )
