"""What an export reads: items, pre-annotations and annotations as their stored JSON text,
page by page (exports pass the text through instead of decoding and re-encoding it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from labelworks.storage.tables import (
    annotations_table,
    final_labels,
    items,
    pre_annotations,
    users,
)
from labelworks.storage.walls import within_wall


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, JSON text not decoded (for exports, where decoding it only for a
    writer to encode it again was ~40% of the time)."""

    id: int
    external_id: str | None
    payload: str
    metadata: str
    n_submitted: int
    n_leased: int
    created_at: datetime


def page_text(conn: Connection, project_id: int, *, after_id: int, limit: int) -> list[StoredItem]:
    """Like ``page``, with the JSON columns left as stored text."""
    rows = conn.execute(
        select(*(items.c[name] for name in StoredItem.__slots__))
        .where(items.c.project_id == project_id, items.c.id > after_id)
        .order_by(items.c.id)
        .limit(limit)
    )
    return [StoredItem(*r) for r in rows]


def pre_annotation_texts(
    conn: Connection, project_id: int, *, after_id: int, last_id: int
) -> list[tuple[int, str, float | None, str]]:
    """``(item id, model, score, value text)`` of the project's items in ``(after_id, last_id]``.

    An id range, not an ``IN`` list of the page's ids (20-30 ms a page on PostgreSQL).
    """
    query = (
        select(
            pre_annotations.c.item_id,
            pre_annotations.c.model,
            pre_annotations.c.score,
            pre_annotations.c.value,
        )
        .join(items, items.c.id == pre_annotations.c.item_id)
        .where(*_id_range(pre_annotations.c.item_id, project_id, after_id, last_id))
        .order_by(pre_annotations.c.id)
    )
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


def annotation_texts(
    conn: Connection,
    project_id: int,
    *,
    after_id: int,
    last_id: int,
    only_vendor: str | None = None,
) -> list[tuple[int, str, datetime, str, float | None, int | None]]:
    """``(item id, email, created_at, value text, seconds, guideline version)`` of the
    project's items in ``(after_id, last_id]``, oldest first; ``only_vendor`` as above."""
    query = (
        select(
            annotations_table.c.item_id,
            users.c.email,
            annotations_table.c.created_at,
            annotations_table.c.value,
            annotations_table.c.seconds,
            annotations_table.c.guideline_version,
        )
        .join(users, users.c.id == annotations_table.c.annotator_id)
        .join(items, items.c.id == annotations_table.c.item_id)
        .where(
            *_id_range(annotations_table.c.item_id, project_id, after_id, last_id),
            within_wall(annotations_table.c.annotator_id, only_vendor),
        )
        .order_by(annotations_table.c.id)
    )
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(query)]


def page_votes(
    conn: Connection,
    project_id: int,
    *,
    after_id: int,
    last_id: int,
    only_vendor: str | None = None,
) -> list[tuple[int, int, str]]:
    """``(item id, annotator id, value text)`` of the annotations of the project's items in
    ``(after_id, last_id]``, oldest first; ``only_vendor`` as above."""
    query = (
        select(
            annotations_table.c.item_id,
            annotations_table.c.annotator_id,
            annotations_table.c.value,
        )
        .join(items, items.c.id == annotations_table.c.item_id)
        .where(
            *_id_range(annotations_table.c.item_id, project_id, after_id, last_id),
            within_wall(annotations_table.c.annotator_id, only_vendor),
        )
        .order_by(annotations_table.c.id)
    )
    return [(r[0], r[1], r[2]) for r in conn.execute(query)]


def has_final_labels(conn: Connection, project_id: int) -> bool:
    """Whether any item of the project has a final label (at adjudication included)."""
    query = select(final_labels.c.item_id).where(final_labels.c.project_id == project_id)
    return conn.execute(query.limit(1)).first() is not None


class StoredFinal(NamedTuple):
    """An item's final label as stored, JSON text not decoded; ``decided_by`` the
    adjudicator's email (``None``: decided by the consensus method). A named tuple: a
    frozen dataclass took as long to build as the row took to read (measured)."""

    item_id: int
    value: str
    method: str
    confidence: float
    fields: str
    status: str
    annotation_ids: str
    decided_at: datetime
    decided_by: str | None


def final_label_texts(
    conn: Connection, project_id: int, *, after_id: int, last_id: int
) -> list[StoredFinal]:
    """The final labels of the project's items in ``(after_id, last_id]``."""
    query = (
        select(
            final_labels.c.item_id,
            final_labels.c.value,
            final_labels.c.method,
            final_labels.c.confidence,
            final_labels.c.fields,
            final_labels.c.status,
            final_labels.c.annotation_ids,
            final_labels.c.decided_at,
            users.c.email,
        )
        .outerjoin(users, users.c.id == final_labels.c.decided_by)
        .where(
            final_labels.c.project_id == project_id,
            final_labels.c.item_id > after_id,
            final_labels.c.item_id <= last_id,
        )
    )
    return [StoredFinal(*r) for r in conn.execute(query)]


def _id_range(item_id: Any, project_id: int, after_id: int, last_id: int) -> tuple[Any, ...]:
    # The range on both sides of the join: SQLite, given annotations.project_id, walked all
    # the project's annotations per page; given items' side only, PostgreSQL scanned them all.
    return (
        items.c.project_id == project_id,
        items.c.id > after_id,
        items.c.id <= last_id,
        item_id > after_id,
        item_id <= last_id,
    )
