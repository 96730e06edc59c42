"""The URL a media ref loads from, the same for the labeling API and the pages: a local file
through ``/media``, an object (``s3://``) through its item on ``/media-objects``, a remote
URL as it is; and the server's object storage settings, which every route that reaches
object storage uses (never a request's)."""

from __future__ import annotations

from urllib.parse import quote

from labelworks.domain.media import MediaRef

OBJECT_MEDIA = "/media-objects"


def object_media_url(project: str, item_id: int, key: str) -> str:
    """Where the browser loads an item's object media from (``server.web.media``)."""
    return f"{OBJECT_MEDIA}/{quote(project, safe='')}/{item_id}/{quote(key, safe='')}"


def media_url(project: str, ref: MediaRef) -> str:
    if ref.where == "object" and ref.item is not None:
        return object_media_url(project, ref.item, ref.key)
    return ref.value if ref.where == "remote" else f"/media/{quote(project)}/{quote(ref.value)}"
