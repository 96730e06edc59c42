"""Which payload values are media files, and whether the browser may load them directly.

Three kinds: a path inside the project's media store (``local``, served by the media route),
a URL the browser loads itself (``remote``, only where the spec allows it), and an object in
S3-compatible storage (``object``, ``s3://bucket/key``), which the server hands out per item
to those who may see that item, so its ref carries the item and the payload key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from labelworks.domain.fields import BoxesField, FieldSpec, SegmentsField


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A payload value to show: a path inside the project's media store, a remote URL, or
    an object's ``s3://`` URL with the item and payload key it is reached through."""

    where: Literal["local", "remote", "object"]
    value: str
    item: int | None = None
    key: str = ""


def media_keys(fields: Sequence[FieldSpec]) -> list[str]:
    """Payload keys that name image, audio, video or time-series files."""
    keys: list[str] = []
    for field in fields:
        positional = isinstance(field, BoxesField | SegmentsField)
        if positional and field.source and field.source not in keys:
            keys.append(field.source)
    return keys


def is_remote(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def is_object(value: str) -> bool:
    return value.startswith("s3://")


def media_refs(
    fields: Sequence[FieldSpec],
    payload: Mapping[str, Any],
    *,
    allow_remote: bool,
    item_id: int | None = None,
) -> dict[str, MediaRef]:
    """The media an item shows. Remote URLs are dropped unless the project allows them;
    objects (``s3://``) need the item they belong to (``item_id``), as their URL names it;
    anything else that is not a plain string (``javascript:`` and friends) never passes."""
    refs: dict[str, MediaRef] = {}
    for key in media_keys(fields):
        value = payload.get(key)
        if not isinstance(value, str) or not value:
            continue
        if is_object(value):
            if item_id is not None:
                refs[key] = MediaRef("object", value, item_id, key)
        elif is_remote(value):
            if allow_remote:
                refs[key] = MediaRef("remote", value)
        elif ":" not in value.split("/", 1)[0]:  # a relative path, not some-scheme:...
            refs[key] = MediaRef("local", value)
    return refs
