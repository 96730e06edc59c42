"""Media files of a project, served only to people who may see the project."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from labelworks.domain.errors import NotFound
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.security import MEDIA_SECURITY_POLICY
from labelworks.services import projects as project_service

router = APIRouter(include_in_schema=False)


def resolve_media(root: Path, project: str, relative: str) -> Path:
    """The file for ``relative`` inside the project's media folder, or ``NotFound``.

    Refuses absolute paths, ``..`` and anything that resolves (through links) outside.
    """
    base = (root / project).resolve()
    parts = Path(relative).parts
    if not relative or Path(relative).is_absolute() or ".." in parts or "\\" in relative:
        raise NotFound("no such media file")
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise NotFound("no such media file")
    return target


@router.get("/media/{project}/{path:path}")
def media(
    project: str, path: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    """One media file; its project must be visible to the caller."""
    project_service.get_project(db, project, actor=actor)
    target = resolve_media(Path(settings.data_dir) / "media", project, path)
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(
        target,
        media_type=media_type,
        headers={"Content-Security-Policy": MEDIA_SECURITY_POLICY, "Cache-Control": "private"},
    )
