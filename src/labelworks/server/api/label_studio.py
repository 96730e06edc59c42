"""Label Studio exports in: into a project, or as a new project (a migration)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query

from labelworks.domain.errors import InvalidImport, Location
from labelworks.schemas.label_studio import LabelStudioOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import BODY, SpooledBody, raw_body_doc
from labelworks.server.deps import DB, CurrentActor, MayApplySpec, MayManage
from labelworks.server.params import ProjectName
from labelworks.services.label_studio import import_label_studio, migrate_label_studio

router = APIRouter(prefix="/api/v1", tags=["label studio"], responses=ERRORS)

_TASKS = {"type": "array", "items": {"type": "object", "additionalProperties": True}}
IMPORT_BODY = raw_body_doc(
    {"application/json": {"schema": {**_TASKS, "minItems": 1}}}, limit="import"
)
MIGRATION_BODY = raw_body_doc(
    {
        "application/json": {
            "schema": {
                "oneOf": [
                    {**_TASKS, "minItems": 1},
                    {
                        "type": "object",
                        "properties": {
                            "config": {"type": ["string", "null"], "maxLength": 1048576},
                            "tasks": {**_TASKS, "minItems": 1},
                        },
                        "required": ["tasks"],
                        "additionalProperties": False,
                    },
                ]
            }
        }
    },
    limit="import",
)
CREATE_ANNOTATORS = Query(
    False, description="create annotators who are not users yet (without a password)"
)


@router.post(
    "/projects/{project}/label-studio",
    operation_id="import_label_studio",
    response_model=LabelStudioOut,
    openapi_extra=IMPORT_BODY,
)
def import_tasks(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    _may: MayManage,
    body: SpooledBody,
    create_annotators: bool = CREATE_ANNOTATORS,
) -> LabelStudioOut:
    """Import a Label Studio JSON export (its list of tasks) into the project, all or
    nothing: annotations with their annotator, time and seconds, predictions as
    pre-annotations; results name the project's fields by ``from_name``."""
    summary = import_label_studio(
        db,
        project,
        body.read(),
        source=BODY,
        create_annotators=create_annotators,
        actor=actor,
    )
    return LabelStudioOut.model_validate(summary, from_attributes=True)


@router.post(
    "/projects/{project}/label-studio/migration",
    operation_id="migrate_label_studio",
    response_model=LabelStudioOut,
    status_code=201,
    openapi_extra=MIGRATION_BODY,
)
def migrate(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    _may: MayApplySpec,
    body: SpooledBody,
    create_annotators: bool = CREATE_ANNOTATORS,
    overlap: int | None = Query(
        None, ge=1, le=100, description="annotations per item (default: the export's usual)"
    ),
) -> LabelStudioOut:
    """Create the project from a Label Studio export: the body is the list of tasks, or
    ``{"config": "<View>…</View>", "tasks": [...]}`` with the labeling config the spec is
    made from (without it, fields are guessed from the results)."""
    data, config = _migration_body(body.read())
    summary = migrate_label_studio(
        db,
        data,
        project_name=project,
        source=BODY,
        config=config,
        config_source=f"{BODY} config",
        overlap=overlap,
        create_annotators=create_annotators,
        actor=actor,
    )
    return LabelStudioOut.model_validate(summary, from_attributes=True)


def _migration_body(raw: bytes) -> tuple[bytes, bytes | None]:
    """The tasks (as JSON) and the config of a migration body."""
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        return raw, None
    try:
        parsed: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidImport(f"invalid JSON: {exc}", location=Location(file=BODY)) from None
    if type(parsed) is not dict or "tasks" not in parsed or set(parsed) - {"tasks", "config"}:
        raise InvalidImport(
            'the body is the list of tasks, or an object {"config", "tasks"}',
            location=Location(file=BODY),
        )
    config = parsed.get("config")
    if config is not None and type(config) is not str:
        raise InvalidImport("config must be the XML text", location=Location(file=BODY))
    return orjson.dumps(parsed["tasks"]), None if config is None else config.encode("utf-8")
