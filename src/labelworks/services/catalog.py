"""Browsing items and annotations: the Items table's filters, pages and count, one item in
full, and who is working now."""

from __future__ import annotations

import json
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from threading import Lock
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.assignment import item_status
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.services.access import project_for
from labelworks.services.item_selection import ItemSelection, resolve_selection
from labelworks.services.privacy import item_for, payload_text_for, suggestions_for
from labelworks.services.specs import stored_spec
from labelworks.storage import catalog, item_filters
from labelworks.storage import items as item_store
from labelworks.storage.catalog import ActiveLease, AnnotationView, ItemSummary
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.item_filters import ItemFilter, sort_key
from labelworks.storage.projects import ProjectRow

SORTS = tuple(item_filters.SORTS)
MAX_PAGE = 500
# A filtered count stops here ("1,000+"): counting reads the matching rows, so a cap keeps
# every filtered page as fast at a million items as at ten thousand.
COUNT_CAP = 1_000


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    external_id: str | None
    status: str
    n_submitted: int
    priority: int
    payload_preview: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ItemPage:
    items: list[ItemRow]
    next_after: int | None  # pass as ``after`` for the next page; None on the last page
    prev_before: int | None = None  # pass as ``before`` for the previous page
    total: int = 0  # items the filters match (at most COUNT_CAP, see ``total_capped``)
    total_capped: bool = False  # more than ``total`` match: the count stopped there


def list_items(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    status: str | None = None,
    annotator: str | None = None,
    label: str | None = None,
    text: str | None = None,
    metadata: tuple[tuple[str, str], ...] = (),
    disagreement: str | None = None,
    score_min: float | None = None,
    score_max: float | None = None,
    sort: str = "id",
    after: int = 0,
    before: int | None = None,
    limit: int = 50,
    exact_count: bool = False,
) -> ItemPage:
    """A keyset page of the project's items, filtered (``ItemSelection``) and sorted, with
    how many match; needs the review right.

    ``after`` (an item id, 0: from the start) pages forward, ``before`` back; a page
    continues from where that item stands in ``sort`` order, so ``next_after`` and
    ``prev_before`` are ids too. Without filters the count is the project's (exact, at most
    two seconds old); with filters it is exact up to ``COUNT_CAP``, past which it says "at
    least that many" (``total_capped``) unless ``exact_count`` asks for the whole count,
    which reads every matching row.

    Vendor walls apply to the filters and counts: someone behind another vendor's wall
    filters like someone who does not exist, and labels and counts consider only the
    caller's vendor's annotations.
    """
    selection = ItemSelection(
        status, annotator, label, text, metadata, disagreement, score_min, score_max
    )
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not '{sort}'")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    if after and before is not None:
        raise InvalidInput("give after or before, not both")
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        f = resolve_selection(conn, project, actor, selection)
        if f is None:
            return ItemPage([], None)
        cursor = _cursor(conn, project, sort, after, before)
        backwards = before is not None
        rows: list[ItemSummary] | None = None
        if f.narrows and exact_count:
            total, capped = catalog.count_matching(conn, project.id, project.overlap, f), False
        elif f.narrows:
            keys = catalog.matching_keys(
                conn, project.id, project.overlap, f, sort, limit=COUNT_CAP + 1
            )
            total, capped = min(len(keys), COUNT_CAP), len(keys) > COUNT_CAP
            ids = _window(keys, sort, cursor, backwards, limit + 1, complete=not capped)
            if ids is not None:
                rows = catalog.items_by_ids(conn, ids, f.wall)
        else:
            total, capped = _project_total(conn, db.cache_scope, project.id), False
        if rows is None:
            rows = _page_rows(conn, project, f, sort, cursor, backwards, limit + 1)
    more = len(rows) > limit
    spec = stored_spec(project.spec)
    if backwards:
        rows = rows[1:] if more else rows
        next_after = rows[-1].id if rows else None
        prev_before = rows[0].id if more and rows else None
    else:
        rows = rows[:limit]
        next_after = rows[-1].id if more and rows else None
        prev_before = rows[0].id if after and rows else None
    return ItemPage(
        [
            ItemRow(
                r.id,
                r.external_id,
                item_status(r.n_submitted, r.n_leased, r.target or project.overlap),
                r.n_submitted,
                r.priority,
                payload_text_for(actor, spec, r.payload)[:300],
                r.created_at,
            )
            for r in rows
        ],
        next_after,
        prev_before,
        total,
        capped,
    )


def _page_rows(
    conn: Connection,
    project: ProjectRow,
    f: ItemFilter,
    sort: str,
    cursor: tuple[Any, int] | None,
    backwards: bool,
    size: int,
) -> list[ItemSummary]:
    """The page of ``size`` rows next to ``cursor`` (in ``sort`` order either way); in id
    order, a filtered page is read by id ranges (``matching_keys``)."""
    if not f.narrows or sort not in ("id", "-id"):
        return catalog.item_page(
            conn,
            project.id,
            project.overlap,
            f,
            sort=sort,
            cursor=cursor,
            backwards=backwards,
            limit=size,
        )
    ascending = (sort == "id") != backwards
    at = None if cursor is None else cursor[1]
    keys = catalog.matching_keys(
        conn,
        project.id,
        project.overlap,
        f,
        limit=size,
        above=at if ascending else None,
        below=None if ascending else at,
        descending=not ascending,
    )
    ids = [i for i, _ in keys]
    if backwards:
        ids.reverse()
    return catalog.items_by_ids(conn, ids, f.wall)


def _cursor(
    conn: Connection, project: ProjectRow, sort: str, after: int, before: int | None
) -> tuple[Any, int] | None:
    """The row a page continues from: its sort key and id (``None``: the first page)."""
    item_id = before if before is not None else after or None
    if item_id is None:
        return None
    if sort in ("id", "-id"):  # the id is the key: the item need not exist any more
        return (item_id, item_id)
    found, key = catalog.cursor_key(conn, project.id, sort, item_id)
    if not found:
        which = "before" if before is not None else "after"
        raise NotFound(
            f"item {item_id} ({which}) is not in project '{project.name}' any more; "
            "start again from the first page"
        )
    return (key, item_id)


def _window(
    keys: list[tuple[int, Any]],
    sort: str,
    cursor: tuple[Any, int] | None,
    backwards: bool,
    size: int,
    *,
    complete: bool,
) -> list[int] | None:
    """The ids of the page of ``size`` rows next to ``cursor`` from the matching items'
    keys (in id order); ``None`` when ``keys`` are not all of them (``complete``) and do
    not reach far enough, in id order, to tell."""
    if not complete and sort != "id":
        return None
    ordered = keys if sort == "id" else sorted(keys, key=lambda k: sort_key(sort, k[1], k[0]))
    places = [sort_key(sort, key, item_id) for item_id, key in ordered]
    at = None if cursor is None else sort_key(sort, cursor[0], cursor[1])
    if backwards:
        assert at is not None
        end = bisect_left(places, at)
        if not complete and end >= len(ordered):
            return None
        return [i for i, _ in ordered[max(0, end - size) : end]]
    start = 0 if at is None else bisect_right(places, at)
    if not complete and start + size > len(ordered):
        return None
    return [i for i, _ in ordered[start : start + size]]


_totals: dict[tuple[str, int], tuple[float, int]] = {}
_totals_lock = Lock()
_TOTAL_TTL = 2.0


def _project_total(conn: Connection, scope: str, project_id: int) -> int:
    """All the project's items, exact (an index count: tens of milliseconds at a million
    items, so it is kept for two seconds as the dashboards keep theirs)."""
    key = (scope, project_id)
    with _totals_lock:
        kept = _totals.get(key)
    if kept is not None and time.monotonic() - kept[0] <= _TOTAL_TTL:
        return kept[1]
    total = item_store.count_items(conn, project_id)
    with _totals_lock:
        _totals[key] = (time.monotonic(), total)
    return total


def forget_total(scope: str, project_id: int) -> None:
    """Count the project's items afresh next time (after items were deleted)."""
    with _totals_lock:
        _totals.pop((scope, project_id), None)


def metadata_keys(
    db: Database, project_name: str, *, actor: Actor | None = None, sample: int = 500
) -> list[str]:
    """The top-level metadata keys of the project's first ``sample`` items, most common
    first (ties by name): what the Items table offers to filter by."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        texts = catalog.metadata_sample(conn, project.id, sample)
    seen: Counter[str] = Counter()
    for text in texts:
        value = json.loads(text)
        if isinstance(value, dict):
            seen.update(value.keys())
    return sorted(seen, key=lambda k: (-seen[k], k))


@dataclass(frozen=True, slots=True)
class ItemDetail:
    id: int
    external_id: str | None
    status: str
    payload: dict[str, Any]
    metadata: dict[str, Any]
    pre_annotations: list[dict[str, Any]]
    annotations: list[AnnotationView]
    priority: int = 0
    target: int = 0  # the annotations it needs: its own target, else the project's overlap
    # What the privacy policy found, for the caller (services/privacy.py).
    pii: Sequence[str] = ()
    pii_note: str | None = None


def item_detail(
    db: Database, project_name: str, item_id: int, *, actor: Actor | None = None
) -> ItemDetail:
    """One item with every annotation the actor may see (vendor walls apply); payload,
    metadata, pre-annotations and annotations' values as the project's privacy policy
    lets the actor see them, with one warning naming what was found in any of them."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        item = item_store.get(conn, item_id)
        if item is None or item_store.project_of(conn, item_id) != project.id:
            raise NotFound(f"item {item_id} does not exist in project '{project_name}'")
        notes = catalog.annotations_of_item(conn, item_id, wall(actor))
        target, priority = catalog.queue_settings(conn, item_id)
        need = target or project.overlap
        spec = stored_spec(project.spec)
        shown = item_for(actor, spec, item.payload, item.metadata, [n.value for n in notes])
        return ItemDetail(
            id=item.id,
            external_id=item.external_id,
            status=item_status(item.n_submitted, item.n_leased, need),
            payload=shown.payload,
            metadata=shown.metadata,
            pre_annotations=suggestions_for(
                actor, spec, item_store.pre_annotations_of(conn, item_id)
            ),
            annotations=[replace(n, value=v) for n, v in zip(notes, shown.values, strict=True)],
            priority=priority,
            target=need,
            pii=shown.kinds,
            pii_note=shown.warning,
        )


def working_now(
    db: Database, project_name: str, *, actor: Actor | None = None
) -> list[ActiveLease]:
    """Live leases, newest first: who is labeling right now."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        return catalog.active_leases(conn, project.id, utcnow(), wall(actor))
