"""Media files of a project, served only to people who may see the project.

Local files come from the project's media store or a registered media root
(``services.media_roots``). Objects (``s3://``) are reached through the item whose payload
names them, ``/media-objects/{project}/{item}/{key}``, and only by those who may see that
item (``services.object_media``): they get a presigned URL that lives
``s3_presign_seconds`` (a redirect), or with that setting at 0 the object streamed through
the server.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from labelworks.config import Settings
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.media_urls import OBJECT_MEDIA
from labelworks.server.params import RowId
from labelworks.server.security import MEDIA_SECURITY_POLICY
from labelworks.services import media_roots, object_media
from labelworks.services import projects as project_service
from labelworks.services.object_store import ObjectStore, S3Options, s3_options

router = APIRouter(include_in_schema=False)


def resolve_media(root: Path, project: str, relative: str) -> Path:
    """The file for ``relative`` inside the project's media folder or one of its media
    roots, or ``NotFound``: refuses absolute paths, ``..`` and anything that resolves
    (through links) outside. ``root`` is ``<data_dir>/media``."""
    return media_roots.resolve_local(root.parent, project, relative)


def _media_headers(private_seconds: int = 0) -> dict[str, str]:
    cache = f"private, max-age={private_seconds}" if private_seconds else "private"
    return {"Content-Security-Policy": MEDIA_SECURITY_POLICY, "Cache-Control": cache}


@router.get("/media/{project}/{path:path}")
def media(
    project: str, path: str, db: DB, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    """One media file; its project must be visible to the caller."""
    project_service.get_project(db, project, actor=actor)
    target = resolve_media(Path(settings.data_dir) / "media", project, path)
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=media_type, headers=_media_headers())


def presigned_origins(settings: Settings) -> list[str]:
    """Origins the pages must load presigned media from that the policy does not already
    allow (it allows any ``https:``): a plain-HTTP S3-compatible endpoint."""
    url = settings.s3_endpoint_url or ""
    if settings.s3_presign_seconds <= 0 or not url.lower().startswith("http://"):
        return []
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.netloc else []


@lru_cache(maxsize=4)
def _store(options: S3Options) -> ObjectStore:
    # A boto3 client costs tens of milliseconds to build; one per process and endpoint.
    return ObjectStore(options)


@router.get(OBJECT_MEDIA + "/{project}/{item_id}/{key}")
def object_media_file(
    project: str,
    item_id: RowId,
    key: str,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    stream: bool = Query(False),
) -> Response:
    """The object an item's media ``key`` names, for those who may see the item: a
    redirect to a short-lived presigned URL, or the object streamed (always with
    ``stream``: the pages' scripts read series and audio bytes with ``fetch``, which the
    page's policy keeps to this origin and a bucket would have to allow by CORS)."""
    bucket, object_key = object_media.object_of(db, project, item_id, key, actor=actor)
    store = _store(s3_options(settings))
    seconds = settings.s3_presign_seconds
    if seconds > 0 and not stream:
        url = store.presign(bucket, object_key, seconds)
        # Cached a little less than the URL lives, so a cached redirect never points at a
        # URL that has expired.
        return RedirectResponse(url, status_code=307, headers=_media_headers(seconds // 2))
    size, stored_type = store.head(bucket, object_key)
    body = store.open(bucket, object_key)
    guessed = mimetypes.guess_type(object_key.rsplit("/", 1)[-1])[0]
    media_type = guessed or stored_type or "application/octet-stream"

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := body.read(256 * 1024):
                yield chunk
        finally:
            body.close()

    headers = {**_media_headers(), "Content-Length": str(size)}
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)
