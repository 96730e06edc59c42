"""The prompt registry: push a prompt's next version (JSON or YAML), list prompts, read a
version, diff two, render one. Prompts belong to no project: admins and managers push,
everyone signed in reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from labelworks.domain.errors import PermissionDenied
from labelworks.domain.prompts import may_push_prompts
from labelworks.domain.spec_diff import changed_lines
from labelworks.schemas.prompts import (
    PromptDiffOut,
    PromptOut,
    PromptSummaryOut,
    PromptVersionOut,
    PushedOut,
    RenderIn,
    RenderOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import BODY, RawBody, json_body_doc, parse_body, raw_body_doc
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import MAX_ROW_ID
from labelworks.services import prompts
from labelworks.services.prompts import PromptRow

router = APIRouter(prefix="/api/v1", tags=["prompts"], responses=ERRORS)

PromptName = Annotated[str, Path(min_length=1, max_length=64, description="prompt name")]
VersionQuery = Annotated[int, Query(ge=1, le=MAX_ROW_ID, description="a version number")]
PROMPT_BODY = raw_body_doc(
    {
        "application/json": {"schema": {"type": "object", "additionalProperties": True}},
        "application/yaml": {"schema": {"type": "string", "description": "the prompt as YAML"}},
    },
    limit="spec",
)


def _may_push(actor: CurrentActor) -> None:
    if not may_push_prompts(actor):
        raise PermissionDenied("only admins and managers outside vendors push prompts")


# Declared before the body, so a caller who may not push is refused before it is read.
MayPush = Annotated[None, Depends(_may_push)]


def _version(row: PromptRow) -> PromptVersionOut:
    return PromptVersionOut(
        version=row.version,
        description=row.content.description,
        content_hash=row.content_hash,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _content(row: PromptRow) -> dict[str, Any]:
    return {
        **_version(row).model_dump(),
        "name": row.name,
        "template": row.content.template,
        "variables": row.content.variables,
        "parameters": row.content.parameters,
        "yaml": row.content.to_yaml(),
    }


@router.post(
    "/prompts/{name}",
    operation_id="push_prompt",
    response_model=PushedOut,
    status_code=201,
    responses={200: {"model": PushedOut, "description": "the latest version is the same"}},
    openapi_extra=PROMPT_BODY,
)
def push(
    name: PromptName,
    request: Request,
    response: Response,
    db: DB,
    actor: CurrentActor,
    _may: MayPush,
    body: RawBody,
) -> PushedOut:
    """Make the prompt document (a JSON object, or YAML text as ``application/yaml``) the
    prompt's next version: 201 with ``created: true``; when the latest version holds the
    same content already, 200 with that version and ``created: false``. A bad document is
    422 ``invalid_prompt`` naming its field (and line, in YAML). Admins and managers."""
    content = prompts.prompt_from_upload(
        body, json="json" in request.headers.get("content-type", ""), source=BODY
    )
    pushed = prompts.push_prompt(db, name, content, actor=actor)
    if not pushed.created:
        response.status_code = 200
    return PushedOut(**_content(pushed.row), created=pushed.created)


@router.get("/prompts", operation_id="list_prompts", response_model=list[PromptSummaryOut])
def list_all(db: DB, actor: CurrentActor) -> list[PromptSummaryOut]:
    """Every prompt by name, with its latest version, its description and how many
    versions it has."""
    return [
        PromptSummaryOut.model_validate(p, from_attributes=True)
        for p in prompts.list_prompts(db, actor=actor)
    ]


@router.get("/prompts/{name}", operation_id="get_prompt", response_model=PromptOut)
def show(
    name: PromptName,
    db: DB,
    actor: CurrentActor,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="a version (default: the latest)")
    ] = None,
) -> PromptOut:
    """One version of the prompt (the latest unless ``version`` is given) whole, with the
    list of its versions."""
    found = prompts.prompt_detail(db, name, version, actor=actor)
    return PromptOut(
        **_content(found.row),
        latest=found.versions[-1].version,
        versions=[_version(v) for v in found.versions],
    )


@router.get("/prompts/{name}/diff", operation_id="diff_prompt", response_model=PromptDiffOut)
def diff(
    name: PromptName, db: DB, actor: CurrentActor, a: VersionQuery, b: VersionQuery
) -> PromptDiffOut:
    """The unified diff of versions ``a`` and ``b`` (their prompt files: description,
    variables, parameters and template)."""
    found = prompts.diff_prompt(db, name, a, b, actor=actor)
    added, removed = changed_lines(found.diff)
    return PromptDiffOut(
        name=found.name,
        a=_version(found.a),
        b=_version(found.b),
        diff=found.diff,
        added=added,
        removed=removed,
    )


@router.post(
    "/prompts/{name}/render",
    operation_id="render_prompt",
    response_model=RenderOut,
    openapi_extra=json_body_doc(RenderIn),
)
def render(name: PromptName, db: DB, actor: CurrentActor, raw: RawBody) -> RenderOut:
    """Render a version (the latest unless ``version`` is given) with ``variables``, which
    must give exactly the prompt's variables (422 naming those missing or unknown)."""
    body = parse_body(RenderIn, raw)
    found = prompts.render(db, name, body.variables, body.version, actor=actor)
    return RenderOut(
        name=found.row.name,
        version=found.row.version,
        text=found.text,
        parameters=found.row.content.parameters,
    )
