"""Which payload values are media files, and whether the browser may load them directly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from labelworks.domain.fields import BoxesField, FieldSpec, SegmentsField


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A payload value to show: a path inside the project's media store, or a remote URL."""

    where: Literal["local", "remote"]
    value: str


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


def media_refs(
    fields: Sequence[FieldSpec], payload: Mapping[str, Any], *, allow_remote: bool
) -> dict[str, MediaRef]:
    """The media an item shows. Remote URLs are dropped unless the project allows them;
    anything else that is not a plain string (``javascript:`` and friends) never passes."""
    refs: dict[str, MediaRef] = {}
    for key in media_keys(fields):
        value = payload.get(key)
        if not isinstance(value, str) or not value:
            continue
        if is_remote(value):
            if allow_remote:
                refs[key] = MediaRef("remote", value)
        elif ":" not in value.split("/", 1)[0]:  # a relative path, not some-scheme:...
            refs[key] = MediaRef("local", value)
    return refs
