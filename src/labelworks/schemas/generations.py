"""A project's generations on the wire (``GET /api/v1/projects/{project}/generations``)."""

from __future__ import annotations

from pydantic import BaseModel

from labelworks.schemas.api import UtcDatetime


class GenerationSummaryOut(BaseModel):
    """A generation: the ``field`` it fills and the model version its replies are stored
    as (``model``, ``version`` ``PROMPT-vN``, ``predicted`` ``model@version``), the
    registry ``prompt`` (``NAME@N``), the model the endpoint ``served`` its newest reply
    with, the ``items`` holding a prediction of that version, and its stored replies:
    ``ok``, ``malformed`` (answered, no value to read) and ``failed`` (asked again by the
    next run), with their tokens and the newest reply's time."""

    field: str
    model: str
    version: str
    predicted: str
    prompt: str
    served: str
    items: int
    ok: int
    malformed: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    last: UtcDatetime | None
