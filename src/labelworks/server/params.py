"""Path and query parameters shared by routes, bounded to what storage can hold.

Ids are ``Integer`` columns, 32 bits on PostgreSQL: a larger id cannot exist, and would
make the database driver fail instead of finding nothing, so it is refused up front.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a positive id")]


def _no_nul(value: str) -> str:
    """PostgreSQL's text cannot hold a NUL, and would fail instead of finding nothing."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# A validator rather than a pattern: the OpenAPI document stays a plain string, which the
# fuzzer and clients generate and read as before.
TextKey = Annotated[str, Path(min_length=1, max_length=320), AfterValidator(_no_nul)]
ProjectName = Annotated[
    str,
    Path(min_length=1, max_length=64, description="project name"),
    AfterValidator(_no_nul),
]
AfterId = Annotated[
    int, Query(ge=0, le=MAX_ROW_ID, description="the next_after of the previous page")
]
