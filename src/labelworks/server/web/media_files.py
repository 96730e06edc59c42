"""Files media processing derived from a project's media (thumbnails, waveform peaks,
display copies of time series), served only to people who may see the project, exactly
as the media themselves are (``server.web.media``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from labelworks.domain.errors import NotFound
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.security import MEDIA_SECURITY_POLICY
from labelworks.services import projects as project_service

router = APIRouter(include_in_schema=False)

_HEADERS = {"Content-Security-Policy": MEDIA_SECURITY_POLICY, "Cache-Control": "private"}


def _derived(settings: AppSettings, project: str, folder: str, relative: str) -> Path:
    """The derived file ``relative`` in ``folder`` of the project's derived files."""
    parts = Path(relative).parts
    if not relative or "\x00" in relative or "\\" in relative:
        raise NotFound("no such media file")
    if Path(relative).is_absolute() or ".." in parts or "/" in project or project in ("", "."):
        raise NotFound("no such media file")
    base = (Path(settings.data_dir) / "thumbnails" / project / folder).resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError):  # a link loop
        raise NotFound("no such media file") from None
    if not target.is_relative_to(base) or not target.is_file():
        raise NotFound("no such media file")
    return target


@router.get("/media-thumbnails/{project}/{name}")
def thumbnail(
    project: str, name: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    """A thumbnail (WebP) of an item's image or video keyframe."""
    project_service.get_project(db, project, actor=actor)
    target = _derived(settings, project, "items", name)
    return FileResponse(target, media_type="image/webp", headers=_HEADERS)


@router.get("/media-peaks/{project}/{path:path}")
def peaks(
    project: str, path: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    """The waveform peaks (JSON) of the audio file ``path``, named after it, so the
    labeling page finds them from the media URL it has."""
    project_service.get_project(db, project, actor=actor)
    target = _derived(settings, project, "peaks", f"{path}.json")
    return FileResponse(target, media_type="application/json", headers=_HEADERS)


@router.get("/media-series/{project}/{path:path}")
def series(
    project: str, path: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    """The display copy (CSV, LTTB-downsampled) of the time series ``path``."""
    project_service.get_project(db, project, actor=actor)
    target = _derived(settings, project, "series", path)
    return FileResponse(target, media_type="text/csv", headers=_HEADERS)
