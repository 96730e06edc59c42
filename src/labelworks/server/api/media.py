"""Media processing: probe a project's media files (sizes, durations, thumbnails, waveform
peaks, perceptual hashes) and read the report of what was found and what failed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends

from labelworks.domain.access import Action
from labelworks.schemas.media import (
    MediaFailureOut,
    MediaProcessIn,
    MediaReportOut,
    MediaRunOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services import access
from labelworks.services.media_processing import process_media
from labelworks.services.media_report import MediaReport, media_report

router = APIRouter(prefix="/api/v1", tags=["media"], responses=ERRORS)


def _may_manage(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    access.require(db, actor, project, Action.MANAGE)


MayManage = Annotated[None, Depends(_may_manage)]


def report_out(report: MediaReport) -> MediaReportOut:
    return MediaReportOut(
        project=report.project,
        keys=report.keys,
        items=report.items,
        processed=report.processed,
        failed=report.failed,
        pending=report.pending,
        remote=report.remote,
        failures=[MediaFailureOut.model_validate(f, from_attributes=True) for f in report.failures],
        truncated=report.truncated,
    )


@router.post(
    "/projects/{project}/media/process",
    operation_id="process_media",
    response_model=MediaRunOut,
    openapi_extra=json_body_doc(MediaProcessIn),
)
def process(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    raw: RawBody,
) -> MediaRunOut:
    """Probe every media file the project's items name that has no result yet (all of
    them with ``force``), in ``workers`` processes. Broken files get a reason on their
    item (``metadata.media_error``) and the run goes on. Needs the manage right. Runs
    within the request for now; a run stopped half-way is finished by the next one."""
    body = parse_body(MediaProcessIn, raw)
    data_dir = Path(settings.data_dir)
    run = process_media(
        db,
        project,
        media_dir=data_dir / "media",
        thumbnails_dir=data_dir / "thumbnails",
        only_missing=not body.force,
        workers=body.workers,
        actor=actor,
    )
    return MediaRunOut(
        probed=run.processed, failed=run.failed, already_done=run.skipped, remote=run.remote
    )


@router.get("/projects/{project}/media", operation_id="media_report", response_model=MediaReportOut)
def report(project: ProjectName, db: DB, actor: CurrentActor) -> MediaReportOut:
    """Media files probed per kind, still pending, remote, and the first 500 failures
    with their item and reason. Needs the review right."""
    return report_out(media_report(db, project, actor=actor))
