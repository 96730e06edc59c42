"""Items from COCO, YOLO and Pascal VOC annotations of images: the body is a COCO JSON file or
a zip of a YOLO or VOC folder; the boxes arrive as predictions or finished annotations."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from labelworks.schemas.api import ImportOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import BODY, SpooledBody, raw_body_doc
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.params import ProjectName
from labelworks.services import dataset_imports

router = APIRouter(prefix="/api/v1", tags=["items"], responses=ERRORS)

DATASET_BODY = raw_body_doc(
    {
        "application/json": {"schema": {"type": "object", "description": "a COCO file"}},
        "application/zip": {
            "schema": {"type": "string", "format": "binary", "description": "YOLO or VOC"}
        },
    },
    limit="import",
)


@router.post(
    "/projects/{project}/items/dataset",
    operation_id="import_dataset",
    response_model=ImportOut,
    openapi_extra=DATASET_BODY,
)
def import_dataset(
    project: ProjectName,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    _may: MayManage,
    body: SpooledBody,
    format: Literal["coco", "yolo", "voc"] = Query(
        ..., description="coco (a JSON body), yolo or voc (a zip of the folder)"
    ),
    as_: Literal["pre", "annotations"] = Query(
        "pre", alias="as", description="the boxes as pre-annotations or finished annotations"
    ),
    annotator: str | None = Query(
        None,
        min_length=3,
        max_length=320,
        description="as=annotations: whose they are, where the source names nobody",
    ),
    field: str | None = Query(
        None, max_length=200, description="the boxes field (default: the project's first)"
    ),
    create_annotators: bool = Query(
        False, description="create annotators named by the source who are not users yet"
    ),
) -> ImportOut:
    """Add one item per image with its boxes, all or nothing; errors name the file inside
    the archive, its line and field (docs/import-export.md, "COCO, YOLO and Pascal VOC")."""
    summary = dataset_imports.import_dataset(
        db,
        project,
        body,
        format=format,
        name=BODY,
        as_=as_,
        annotator=annotator,
        field=field,
        media_dir=settings.data_dir / "media",
        create_annotators=create_annotators,
        actor=actor,
    )
    return ImportOut.model_validate(summary, from_attributes=True)
