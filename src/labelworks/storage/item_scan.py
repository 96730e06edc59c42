"""Reading a whole project's items for near-duplicate search and sampling: id, external
id, payload and metadata in id order, and the scores of their pre-annotations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from labelworks.storage.tables import items, pre_annotations

PAGE = 5000


@dataclass(frozen=True, slots=True)
class ScannedItem:
    id: int
    external_id: str | None
    payload: dict[str, Any]
    metadata: dict[str, Any]


def scan(conn: Connection, project_id: int) -> Iterator[ScannedItem]:
    """Every item of the project, oldest first, read a page at a time."""
    after = 0
    while True:
        rows = conn.execute(
            select(items.c.id, items.c.external_id, items.c.payload, items.c.metadata)
            .where(items.c.project_id == project_id, items.c.id > after)
            .order_by(items.c.id)
            .limit(PAGE)
        ).all()
        for row in rows:
            yield ScannedItem(
                int(row.id), row.external_id, json.loads(row.payload), json.loads(row.metadata)
            )
        if len(rows) < PAGE:
            return
        after = int(rows[-1].id)


def count(conn: Connection, project_id: int) -> int:
    query = select(func.count()).select_from(items).where(items.c.project_id == project_id)
    return int(conn.execute(query).scalar_one())


def prediction_scores(conn: Connection, project_id: int) -> dict[int, list[float]]:
    """Item id -> the scores of its pre-annotations that have one, in import order."""
    rows = conn.execute(
        select(pre_annotations.c.item_id, pre_annotations.c.score)
        .join(items, items.c.id == pre_annotations.c.item_id)
        .where(items.c.project_id == project_id, pre_annotations.c.score.is_not(None))
        .order_by(pre_annotations.c.item_id, pre_annotations.c.id)
    )
    out: dict[int, list[float]] = {}
    for item_id, score in rows:
        out.setdefault(int(item_id), []).append(float(score))
    return out
