"""A project's spec history: revisions and the diff between any two, guideline versions,
and the dry run of an apply (``spec/check``: problems with their lines, or what would
change)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from labelworks.domain.spec import spec_to_yaml
from labelworks.domain.spec_diff import changed_lines
from labelworks.schemas.spec_history import (
    GuidelineVersionDetailOut,
    GuidelineVersionOut,
    SpecCheckOut,
    SpecDiffOut,
    SpecRevisionDetailOut,
    SpecRevisionOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.api.projects import SPEC_BODY
from labelworks.server.bodies import BODY, RawBody
from labelworks.server.deps import DB, CurrentActor, MayApplySpec
from labelworks.server.params import MAX_ROW_ID, ProjectName
from labelworks.services import projects as project_service
from labelworks.services import spec_history

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=ERRORS)

RevisionQuery = Annotated[int, Query(ge=1, le=MAX_ROW_ID, description="a spec revision number")]


def _revision(row: spec_history.RevisionRow) -> SpecRevisionOut:
    return SpecRevisionOut.model_validate(row, from_attributes=True)


@router.get(
    "/projects/{project}/spec/revisions",
    operation_id="list_spec_revisions",
    response_model=list[SpecRevisionOut],
)
def revisions(project: ProjectName, db: DB, actor: CurrentActor) -> list[SpecRevisionOut]:
    """Every revision of the project's spec, oldest first, with whether it was forced."""
    return [_revision(r) for r in spec_history.spec_revisions_of(db, project, actor=actor)]


@router.get(
    "/projects/{project}/spec/revisions/{revision}",
    operation_id="get_spec_revision",
    response_model=SpecRevisionDetailOut,
)
def revision(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    revision: int = Path(ge=1, le=MAX_ROW_ID, description="a spec revision number"),
) -> SpecRevisionDetailOut:
    """One revision of the spec, every default filled in, as data and as YAML."""
    row, spec = spec_history.spec_revision(db, project, revision, actor=actor)
    return SpecRevisionDetailOut(
        **_revision(row).model_dump(),
        spec=spec.model_dump(mode="json", by_alias=True),
        yaml=spec_to_yaml(spec),
    )


@router.get(
    "/projects/{project}/spec/diff", operation_id="diff_spec_revisions", response_model=SpecDiffOut
)
def diff(
    project: ProjectName, db: DB, actor: CurrentActor, a: RevisionQuery, b: RevisionQuery
) -> SpecDiffOut:
    """The unified diff of the effective YAML of revisions ``a`` and ``b``."""
    found = spec_history.spec_diff(db, project, a, b, actor=actor)
    added, removed = changed_lines(found.diff)
    return SpecDiffOut(
        project=found.project,
        a=_revision(found.a),
        b=_revision(found.b),
        diff=found.diff,
        added=added,
        removed=removed,
    )


@router.post(
    "/projects/{project}/spec/check",
    operation_id="check_project_spec",
    response_model=SpecCheckOut,
    openapi_extra=SPEC_BODY,
)
def check(
    project: ProjectName,
    request: Request,
    db: DB,
    actor: CurrentActor,
    _may: MayApplySpec,
    body: RawBody,
) -> SpecCheckOut:
    """Validate a spec (as ``PUT /projects/{project}`` takes it) without applying it: an
    invalid one is refused as the apply would refuse it (422 ``invalid_spec``, every
    problem with its line in ``details.errors``); a valid one answers what applying it
    would do: create or update, the diff, and the unsafe changes ``force`` would allow."""
    spec = project_service.spec_for_project(
        project_service.spec_from_upload(
            body, json="json" in request.headers.get("content-type", ""), source=BODY
        ),
        project,
        source=BODY,
    )
    found = spec_history.check_spec(db, spec, guidelines=spec.guidelines, actor=actor)
    return SpecCheckOut(
        project=found.project,
        action=found.action,
        spec_revision=found.spec_revision,
        diff=found.diff,
        unsafe_changes=found.unsafe,
        guidelines_changed=found.guidelines_changed,
    )


@router.get(
    "/projects/{project}/guidelines",
    operation_id="list_guideline_versions",
    response_model=list[GuidelineVersionOut],
)
def guideline_versions(
    project: ProjectName, db: DB, actor: CurrentActor
) -> list[GuidelineVersionOut]:
    """Every guideline version with its changelog line, oldest first."""
    return [
        GuidelineVersionOut.model_validate(v, from_attributes=True)
        for v in spec_history.guideline_versions_of(db, project, actor=actor)
    ]


@router.get(
    "/projects/{project}/guidelines/{version}",
    operation_id="get_guideline_version",
    response_model=GuidelineVersionDetailOut,
)
def guideline_version(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    version: int = Path(ge=1, le=MAX_ROW_ID, description="a guideline version"),
) -> GuidelineVersionDetailOut:
    """One guideline version with its Markdown and changelog."""
    found = spec_history.guideline_version(db, project, version, actor=actor)
    return GuidelineVersionDetailOut.model_validate(found, from_attributes=True)
