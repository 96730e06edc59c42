"""Request and response bodies of the media processing routes of ``/api/v1``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# services.media_processing.MAX_WORKERS, stated again so the wire models import no services.
MAX_WORKERS = 32


class MediaProcessIn(BaseModel):
    """Probe the project's media: ``force`` probes again what was already probed."""

    model_config = ConfigDict(extra="forbid")

    force: bool = False
    workers: int = Field(default=1, ge=1, le=MAX_WORKERS)


class MediaRunOut(BaseModel):
    """What a run did: files probed (of which ``failed``), ``already_done``, ``remote``."""

    probed: int
    failed: int
    already_done: int
    remote: int


class MediaFailureOut(BaseModel):
    item_id: int
    external_id: str | None
    key: str
    reason: str


class MediaReportOut(BaseModel):
    """Media of a project: ``keys`` the spec reads media from with their kind, files
    ``processed`` per kind, ``failed``, ``pending``, ``remote`` (not processed), and the
    first failures with reasons (``truncated`` when there are more)."""

    project: str
    keys: dict[str, str]
    items: int
    processed: dict[str, int]
    failed: int
    pending: int
    remote: int
    failures: list[MediaFailureOut]
    truncated: bool
