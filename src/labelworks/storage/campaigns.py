"""What evaluation campaigns read: the votes on their items (with the item's record of
which model was where), and the comparisons still waiting for their first vote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, select

from labelworks.storage.routing import routable
from labelworks.storage.tables import annotations_table, items

Choice = Literal["a", "b", "tie"]
_CHOICES: dict[Any, Choice] = {"a": "a", "b": "b", "tie": "tie"}


@dataclass(frozen=True, slots=True)
class Vote:
    """One submitted annotation of a campaign item."""

    item_id: int
    annotator_id: int
    metadata: dict[str, Any]
    payload: dict[str, Any]
    value: dict[str, Any]


def votes(conn: Connection, project_id: int) -> Iterator[Vote]:
    """Every submitted annotation of the project's items, with the item, in item order."""
    query = (
        select(
            items.c.id,
            annotations_table.c.annotator_id,
            items.c.metadata,
            items.c.payload,
            annotations_table.c.value,
        )
        .join(annotations_table, annotations_table.c.item_id == items.c.id)
        .where(items.c.project_id == project_id, ~items.c.gold)
        .order_by(items.c.id, annotations_table.c.id)
    )
    for row in conn.execute(query, execution_options={"yield_per": 5000}):
        yield Vote(
            int(row.id),
            int(row.annotator_id),
            json.loads(row.metadata),
            json.loads(row.payload),
            json.loads(row.value),
        )


def outcomes(conn: Connection, project_id: int, field: str) -> list[tuple[str, str, Choice]]:
    """(left model, right model, "a" | "b" | "tie") of every vote on a pairwise field."""
    found = []
    for vote in votes(conn, project_id):
        record = vote.metadata.get("campaign") or {}
        answer = vote.value.get(field)
        choice = _CHOICES.get(answer.get("choice")) if isinstance(answer, dict) else None
        if choice is not None and "left" in record:
            found.append((str(record["left"]), str(record["right"]), choice))
    return found


def waiting(conn: Connection, project_id: int) -> list[tuple[int, dict[str, Any]]]:
    """(item id, metadata) of the items routing may still order (no vote yet)."""
    query = select(items.c.id, items.c.metadata).where(routable(project_id))
    return [(int(r.id), json.loads(r.metadata)) for r in conn.execute(query)]
