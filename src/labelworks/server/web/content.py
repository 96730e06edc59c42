"""An item's content and its annotations side by side, as the Adjudication, Review and item
pages show them: payload entries as text, data or media (images with the annotators' boxes
drawn over them), and per field each annotation against a reference answer with the ones
that differ marked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from labelworks.domain.fields import FieldSpec
from labelworks.domain.media import MediaRef
from labelworks.server import media_urls
from labelworks.services.adjudication import Case

IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".avif")
AUDIO = (".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".aac", ".opus")
VIDEO = (".mp4", ".webm", ".ogv", ".mov", ".m4v")


@dataclass(frozen=True, slots=True)
class Shown:
    """One payload entry as the page shows it: ``kind`` is text, data (JSON), image,
    audio, video or file (a link); ``value`` the text or the URL."""

    key: str
    kind: str
    value: str
    overlay: Markup | None = None  # the annotations drawn over an image
    layers: Markup | None = None  # spans on the text, segments under the media (``marks``)


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of the side-by-side table: the proposal's value, each annotation's (with
    whether it differs from the proposal), and whether the annotations disagree."""

    name: str
    disagree: bool
    proposal: Any
    votes: list[tuple[str, Any, bool]]
    tally: list[tuple[str, int]]  # each answer and how many gave it (plain values only)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def media_url(project: str, ref: MediaRef) -> str:
    return media_urls.media_url(project, ref)


def _kind(path: str) -> str:
    name = path.lower().split("?", 1)[0].split("#", 1)[0]
    for kind, ends in (("image", IMAGE), ("audio", AUDIO), ("video", VIDEO)):
        if name.endswith(ends):
            return kind
    return "file"


def content_of(
    project: str,
    payload: dict[str, Any],
    media: dict[str, MediaRef],
    overlays: dict[str, Markup] | None = None,
    layers: dict[str, Markup] | None = None,
) -> list[Shown]:
    """The item's payload: media through the media route (images with the annotators'
    boxes over them, when ``overlays`` has them), text as text, the rest as JSON; each
    with the annotations ``layers`` marks on it (spans, segments) below it."""
    shown = []
    for key, value in payload.items():
        layer = (layers or {}).get(key)
        if key in media:
            ref = media[key]
            kind = _kind(ref.value)
            overlay = (overlays or {}).get(key) if kind == "image" else None
            shown.append(Shown(key, kind, media_url(project, ref), overlay, layer))
        elif isinstance(value, str):
            shown.append(Shown(key, "text", value, layers=layer))
        else:
            shown.append(Shown(key, "data", json.dumps(value, ensure_ascii=False), layers=layer))
    return shown


def rows_of(fields: list[FieldSpec], case: Case) -> list[FieldRow]:
    """The spec's fields that the proposal or any annotation has, in the spec's order."""
    rows = []
    for f in fields:
        if f.name not in case.proposal and not any(f.name in v for _, v in case.annotations):
            continue
        proposal = case.proposal.get(f.name)
        votes = [
            (a, v.get(f.name), not _same(v.get(f.name), proposal)) for a, v in case.annotations
        ]
        disagree = case.disagreements.get(f.name, False)
        rows.append(FieldRow(f.name, disagree, proposal, votes, tally([v for _, v, _ in votes])))
    return rows


def tally(values: list[Any]) -> list[tuple[str, int]]:
    """How many gave each answer, most first (answers given first win ties), when every
    answer is a plain value or a list of them; else nothing."""
    plain = (str, int, float, bool)
    texts = []
    for v in values:
        if v is None:
            texts.append("no answer")
        elif isinstance(v, plain):
            texts.append(str(v))
        elif isinstance(v, list) and all(isinstance(x, plain) for x in v):
            texts.append(", ".join(map(str, v)) or "none")
        else:
            return []
    counts = {t: texts.count(t) for t in texts}
    return sorted(counts.items(), key=lambda kv: -kv[1])
