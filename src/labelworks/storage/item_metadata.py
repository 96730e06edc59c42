"""Item metadata written after import: media processing merges what it found into each
item's ``metadata`` JSON (``media`` and ``media_error`` by payload key), leaving every
other key as it was. The content hash is over the payload only, so it never changes here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from labelworks.storage.tables import items


@dataclass(frozen=True, slots=True)
class MetadataRow:
    """One item as media processing reads it."""

    id: int
    external_id: str | None
    payload: dict[str, Any]
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MediaUpdate:
    """What one item's processing found: facts per payload key, and reasons per key."""

    item_id: int
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def page(conn: Connection, project_id: int, *, after_id: int, limit: int) -> list[MetadataRow]:
    """The project's items after ``after_id`` in id order (keyset pages)."""
    rows = conn.execute(
        select(items.c.id, items.c.external_id, items.c.payload, items.c.metadata)
        .where(items.c.project_id == project_id, items.c.id > after_id)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [
        MetadataRow(int(r.id), r.external_id, json.loads(r.payload), json.loads(r.metadata))
        for r in rows
    ]


def merged(metadata: Mapping[str, Any], change: MediaUpdate) -> dict[str, Any]:
    """``metadata`` with the change's keys set: a key's facts replace its old error and
    an error replaces its old facts; ``media``/``media_error`` vanish when left empty."""
    out = dict(metadata)
    media = dict(out.get("media") or {}) if isinstance(out.get("media"), dict) else {}
    errors = dict(out.get("media_error") or {}) if isinstance(out.get("media_error"), dict) else {}
    for key, facts in change.media.items():
        media[key] = facts
        errors.pop(key, None)
    for key, reason in change.errors.items():
        errors[key] = reason
        media.pop(key, None)
    for name, value in (("media", media), ("media_error", errors)):
        if value:
            out[name] = value
        else:
            out.pop(name, None)
    return out


def merge_media(conn: Connection, project_id: int, changes: Sequence[MediaUpdate]) -> int:
    """Merge a batch of results into their items' metadata: one read of the batch (rows
    locked on PostgreSQL, so a concurrent writer's keys are not lost) and one UPDATE
    statement. Items of other projects or deleted since are skipped. Returns rows written."""
    if not changes:
        return 0
    wanted = {c.item_id: c for c in changes}
    query = select(items.c.id, items.c.metadata).where(
        items.c.project_id == project_id, items.c.id.in_(list(wanted))
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    params = []
    for item_id, text in conn.execute(query.order_by(items.c.id)):
        new = merged(json.loads(text), wanted[int(item_id)])
        params.append({"b_id": int(item_id), "b_metadata": json.dumps(new, ensure_ascii=False)})
    if params:
        conn.execute(
            update(items)
            .where(items.c.id == bindparam("b_id"))
            .values(metadata=bindparam("b_metadata")),
            params,
        )
    return len(params)
