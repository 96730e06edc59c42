"""Settings → Data: importing boxes of images from a COCO file or a zip of a YOLO or Pascal
VOC folder (templates/data_boxes.html, static/js/boxes_upload.js).

As the Data page's row upload (``server/web/transfer.py``): the file is the request body,
named by ``file``, with the format and mode as query parameters and the session's CSRF token
in ``X-CSRF-Token``; the right to manage the project is checked before a byte is read, and
the answer is the same HTML fragment (the counts, or the error naming the file inside the
archive, its line and field).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from labelworks.domain.errors import LabelworksError
from labelworks.server.bodies import LIMIT_KEY, SpooledBody
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.errors import status_for
from labelworks.server.web.pages import page
from labelworks.server.web.transfer import RESULT, CsrfHeader, FileName
from labelworks.services import dataset_imports

router = APIRouter(include_in_schema=False)


@router.post(
    "/projects/{project}/settings/data/boxes",
    response_class=HTMLResponse,
    openapi_extra={LIMIT_KEY: "import"},
)
def boxes_upload(
    request: Request,
    project: str,
    file: FileName,
    db: DB,
    settings: AppSettings,
    actor: CurrentActor,
    _csrf: CsrfHeader,
    _may: MayManage,
    body: SpooledBody,
    format: Literal["coco", "yolo", "voc"] = Query("coco"),
    as_: Literal["pre", "annotations"] = Query("pre", alias="as"),
    annotator: str = Query("", max_length=320),
    create_annotators: bool = Query(False),
) -> HTMLResponse:
    """Import the uploaded boxes, every image or none; the counts or the error."""
    try:
        summary = dataset_imports.import_dataset(
            db,
            project,
            body,
            format=format,
            name=file,
            as_=as_,
            annotator=annotator.strip() or None,
            media_dir=settings.data_dir / "media",
            create_annotators=create_annotators,
            actor=actor,
        )
    except LabelworksError as exc:
        status = status_for(exc)
        return page(request, RESULT, actor, status, project=project, file=file, error=exc)
    return page(request, RESULT, actor, project=project, file=file, summary=summary)
