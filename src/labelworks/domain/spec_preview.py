"""A sample item for previewing a spec's labeling page: a payload with a value under every
key the spec's fields read, so each widget has something to show before any item exists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelworks.domain.fields import BoxesField, FieldSpec, PairwiseField, SegmentsField

SAMPLE_TEXT = (
    "The battery lasts two full days, but the screen scratches far too easily "
    "and support never answered my email."
)
SAMPLE_PROMPT = "Explain in one sentence why the sky is blue."
SAMPLE_ANSWERS = (
    "Air molecules scatter short blue wavelengths of sunlight more than red ones.",
    "Because it reflects the colour of the oceans.",
)
# The bundled media a sample payload names, by media kind (served from the web app's
# static files; a video has none, so its widget shows an empty player).
SAMPLE_MEDIA = {"image": "sample.svg", "audio": "sample.wav", "timeseries": "sample.csv"}
SAMPLE_SIZE = (640, 480)
SAMPLE_SECONDS = 2.0


def sample_payload(fields: Sequence[FieldSpec]) -> dict[str, Any]:
    """A payload with sample text under every text key, the bundled sample media under
    every media key (with the size or duration keys the fields name), and the prompt and
    two answers a pairwise field compares. Keys keep the order the fields name them."""
    payload: dict[str, Any] = {}
    for field in fields:
        if isinstance(field, PairwiseField):
            if field.prompt_source:
                payload.setdefault(field.prompt_source, SAMPLE_PROMPT)
            payload.setdefault(field.a_source, SAMPLE_ANSWERS[0])
            payload.setdefault(field.b_source, SAMPLE_ANSWERS[1])
        elif isinstance(field, BoxesField):
            payload.setdefault(field.source, SAMPLE_MEDIA["image"])
            if field.width_key and field.height_key:
                payload.setdefault(field.width_key, SAMPLE_SIZE[0])
                payload.setdefault(field.height_key, SAMPLE_SIZE[1])
        elif isinstance(field, SegmentsField):
            payload.setdefault(field.source, SAMPLE_MEDIA.get(field.media, "sample.mp4"))
            if field.duration_key:
                payload.setdefault(field.duration_key, SAMPLE_SECONDS)
        elif field.source:
            payload.setdefault(field.source, SAMPLE_TEXT)
    return payload or {"text": SAMPLE_TEXT}
