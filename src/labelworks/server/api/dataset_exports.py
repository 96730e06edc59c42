"""Dataset exports for training code (COCO, YOLO, VOC, CoNLL, spaCy DocBin, Hugging Face
datasets, Label Studio): ``GET /projects/{project}/exports/{format}``.

The export is written whole into a temporary directory first (a directory format zipped),
inside the route, which FastAPI runs in its thread pool: refusals (a format the project has
no field for, no access) are still a status, and the event loop only sends a finished file.
The temporary directory is deleted once the file has been sent, or the client has gone.
"""

from __future__ import annotations

import shutil
from typing import Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import dataset_exports
from labelworks.services import exports as export_service
from labelworks.services.dataset_exports import VAL_FRACTION
from labelworks.services.object_store import s3_options

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=ERRORS)

DatasetFormatName = Literal["coco", "yolo", "voc", "conll", "docbin", "hf", "labelstudio"]
MEDIA_TYPES = sorted({f.media_type for f in dataset_exports.DATASET_FORMATS.values()})


@router.get(
    "/projects/{project}/exports/{format}",
    operation_id="export_dataset",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in MEDIA_TYPES}}},
)
def export_dataset(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    format: DatasetFormatName = Path(
        description="coco, yolo, voc, conll, docbin, hf or labelstudio; directory formats "
        "(yolo, voc, hf) come as a zip"
    ),
    labels: Literal["final", "all"] = Query(
        "final",
        description="'final': each item's final label (none behind a vendor wall); 'all': "
        "every annotation the caller may see",
    ),
    val_fraction: float = Query(
        VAL_FRACTION,
        ge=0,
        lt=1,
        allow_inf_nan=False,
        description="yolo: the share of images without a metadata split that go to validation",
    ),
) -> FileResponse:
    """The project in a dataset format, with the final labels or every annotation the
    caller may see (a vendor's staff: their vendor's); 422 names the field kind a format
    needs when the project has none."""
    export_service.count_for_export(db, project, actor=actor)  # the review right
    download = dataset_exports.export_for_download(
        db,
        project,
        format,
        media_dir=settings.data_dir / "media",
        labels=labels,
        val_fraction=val_fraction,
        s3=s3_options(settings),
        actor=actor,
    )
    return FileResponse(
        download.path,
        media_type=download.media_type,
        filename=download.filename,
        # Images a folder format could not include: listed in its missing_images.txt.
        headers={"X-Items": str(download.items), "X-Missing-Images": str(download.missing_images)},
        background=BackgroundTask(shutil.rmtree, download.folder, ignore_errors=True),
    )
