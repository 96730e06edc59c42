"""Browsing items and annotations, who is working now, and an annotator's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from labelworks.domain.access import Action, Actor, sees_person, wall
from labelworks.domain.assignment import item_status
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.identity import email_key
from labelworks.services.access import project_for
from labelworks.storage import catalog
from labelworks.storage import items as item_store
from labelworks.storage import users as user_store
from labelworks.storage.catalog import ActiveLease, AnnotationView, ItemFilter
from labelworks.storage.engine import Database, utcnow

STATUSES = ("new", "in_progress", "complete")
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    external_id: str | None
    status: str
    n_submitted: int
    payload_preview: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ItemPage:
    items: list[ItemRow]
    next_after: int | None  # pass as ``after`` for the next page; None on the last page


def list_items(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    status: str | None = None,
    annotator: str | None = None,
    label: str | None = None,
    text: str | None = None,
    after: int = 0,
    limit: int = 50,
) -> ItemPage:
    """A keyset page of the project's items, filtered; needs the review right.

    Vendor walls apply to the filters and counts: someone behind another vendor's wall
    filters like someone who does not exist, and labels and counts consider only the
    caller's vendor's annotations.
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not '{status}'")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        annotator_id = None
        if annotator is not None:
            user = user_store.by_email(conn, email_key(annotator))
            if user is None or not sees_person(actor, user.vendor):
                return ItemPage([], None)
            annotator_id = user.id
        f = ItemFilter(
            status=status,
            annotator_id=annotator_id,
            label=label,
            text=text or None,
            wall=wall(actor),
        )
        rows = catalog.item_page(
            conn, project.id, project.overlap, f, after_id=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return ItemPage(
        [
            ItemRow(
                r.id,
                r.external_id,
                item_status(r.n_submitted, r.n_leased, project.overlap),
                r.n_submitted,
                r.payload[:300],
                r.created_at,
            )
            for r in rows
        ],
        rows[-1].id if more and rows else None,
    )


@dataclass(frozen=True, slots=True)
class ItemDetail:
    id: int
    external_id: str | None
    status: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    pre_annotations: list[dict[str, Any]]
    annotations: list[AnnotationView]


def item_detail(
    db: Database, project_name: str, item_id: int, *, actor: Actor | None = None
) -> ItemDetail:
    """One item with every annotation the actor may see (vendor walls apply)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        item = item_store.get(conn, item_id)
        if item is None or item_store.project_of(conn, item_id) != project.id:
            raise NotFound(f"item {item_id} does not exist in project '{project_name}'")
        notes = catalog.annotations_of_item(conn, item_id, wall(actor))
        return ItemDetail(
            id=item.id,
            external_id=item.external_id,
            status=item_status(item.n_submitted, item.n_leased, project.overlap),
            payload=item.payload,
            metadata=item.metadata,
            pre_annotations=item_store.pre_annotations_of(conn, item_id),
            annotations=notes,
        )


def working_now(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[ActiveLease]:
    """Live leases, newest first: who is labeling right now."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        return catalog.active_leases(conn, project.id, utcnow(), wall(actor))
