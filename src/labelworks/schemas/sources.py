"""Request and response bodies of the import-from-source route: a folder under the
server's import roots or an ``s3://bucket/prefix/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The service's bounds (domain.sources), stated again so the wire models never import it.
MAX_SOURCE = 2048
MAX_GLOB = 256
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


class SourceIn(BaseModel):
    """What to import: ``url`` is ``s3://bucket/prefix/`` or a folder's absolute path on
    the server (under its ``import_roots``); ``glob`` narrows the files (``*.jpg``)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_SOURCE, pattern=NO_CONTROL)
    glob: str | None = Field(default=None, max_length=MAX_GLOB, pattern=NO_CONTROL)
    skip_unsupported: bool = False


class SourceOut(BaseModel):
    """What the import did: ``kind`` media (one item per file) or rows."""

    project: str
    source: str
    kind: Literal["media", "rows"]
    files: int
    rows: int
    inserted: int
    skipped_duplicates: int
    skipped_unsupported: list[str]
