"""Files media processing derived from a project's media (thumbnails, waveform peaks,
display copies of time series), served only to people who may see the project, exactly
as the media themselves are (``server.web.media``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from labelworks.domain.errors import NotFound
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.security import MEDIA_SECURITY_POLICY
from labelworks.services import projects as project_service

router = APIRouter(include_in_schema=False)

_HEADERS = {"Content-Security-Policy": MEDIA_SECURITY_POLICY, "Cache-Control": "private"}


def _derived(settings: AppSettings, project: str, folder: str, relative: str) -> Path | None:
    """The derived file ``relative`` in ``folder`` of the project's derived files; None
    when the name is fine but processing has not made that file (yet)."""
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
    if not target.is_relative_to(base):
        raise NotFound("no such media file")
    return target if target.is_file() else None


def _file_or_nothing(target: Path | None, media_type: str) -> Response:
    """The derived file, or 204 when media processing has not made it: the labeling page
    asks for peaks and display copies of every audio file and series it shows, and works
    from the file itself until they exist (a 404 would be logged as an error)."""
    if target is None:
        return Response(status_code=204, headers=_HEADERS)
    return FileResponse(target, media_type=media_type, headers=_HEADERS)


@router.get("/media-thumbnails/{project}/{name}")
def thumbnail(
    project: str, name: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    """A thumbnail (WebP) of an item's image or video keyframe."""
    project_service.get_project(db, project, actor=actor)
    target = _derived(settings, project, "items", name)
    if target is None:  # pages link thumbnails only once processing made them
        raise NotFound("no such media file")
    return FileResponse(target, media_type="image/webp", headers=_HEADERS)


@router.get("/media-peaks/{project}/{path:path}")
def peaks(project: str, path: str, db: DB, actor: CurrentActor, settings: AppSettings) -> Response:
    """The waveform peaks (JSON) of the audio file ``path``, named after it, so the
    labeling page finds them from the media URL it has."""
    project_service.get_project(db, project, actor=actor)
    target = _derived(settings, project, "peaks", f"{path}.json")
    return _file_or_nothing(target, "application/json")


@router.get("/media-series/{project}/{path:path}")
def series(project: str, path: str, db: DB, actor: CurrentActor, settings: AppSettings) -> Response:
    """The display copy (CSV, LTTB-downsampled) of the time series ``path``."""
    project_service.get_project(db, project, actor=actor)
    target = _derived(settings, project, "series", path)
    return _file_or_nothing(target, "text/csv")
