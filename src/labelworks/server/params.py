"""Path and query parameters shared by routes, bounded to what storage can hold.

Ids are ``Integer`` columns, 32 bits on PostgreSQL: a larger id cannot exist, and would
make the database driver fail instead of finding nothing, so it is refused up front.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ROW_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a positive id")]
# No NUL: PostgreSQL's text cannot hold one, and would fail instead of finding nothing.
_NO_NUL = r"^[^\x00]+$"
TextKey = Annotated[str, Path(min_length=1, max_length=320, pattern=_NO_NUL)]
ProjectName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=_NO_NUL, description="project name")
]
AfterId = Annotated[
    int, Query(ge=0, le=MAX_ROW_ID, description="the next_after of the previous page")
]
