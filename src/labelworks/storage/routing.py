"""The spec's routing, written as items' ``priority`` (``domain.routing``): the items it may
set, the shuffle and the uncertainty priorities each as one UPDATE, and the way back.

An item routing may set is an ordinary item still waiting for its first annotation whose
priority routing set before or nobody set (0); ``routed`` marks what it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)

from labelworks.domain.routing import ROUTED_MAX, SHUFFLE_MODULUS, Shuffle
from labelworks.storage.tables import items, pre_annotations

__all__ = ["clear", "routable", "route_by_suggestions", "set_priorities", "shuffle"]


def routable(project_id: int) -> Any:
    """The condition an item routing (or an adaptive campaign) may order meets."""
    return and_(
        items.c.project_id == project_id,
        items.c.n_submitted == 0,
        ~items.c.gold,
        or_(items.c.routed, items.c.priority == 0),
    )


def clear(conn: Connection, project_id: int) -> int:
    """Give every item whose priority routing set the default (0) back; how many."""
    result = conn.execute(
        update(items)
        .where(items.c.project_id == project_id, items.c.routed)
        .values(priority=0, routed=False)
    )
    return int(result.rowcount)


def shuffle(
    conn: Connection, project_id: int, order: Shuffle, *, import_id: int | None = None
) -> int:
    """Give the routable items (of one import, with ``import_id``) their place in the
    shuffle ``order``, in one statement; how many. Integer arithmetic only, every product
    under 2³¹: the same numbers on SQLite and PostgreSQL (``Shuffle.priority``)."""
    p = literal(SHUFFLE_MODULUS)
    x = (items.c.id % p + literal(order.s)) % p
    cube = (x * x % p) * x % p
    where = routable(project_id)
    if import_id is not None:
        where = and_(where, items.c.import_id == import_id)
    level = (literal(order.a) * cube + literal(order.b)) % p
    result = conn.execute(update(items).where(where).values(priority=level, routed=True))
    return int(result.rowcount)


def set_priorities(conn: Connection, project_id: int, rows: Sequence[tuple[int, int]]) -> None:
    """Give each routable item of ``rows`` (item id, priority) its priority."""
    if not rows:
        return
    query = (
        update(items)
        .where(routable(project_id), items.c.id == bindparam("item"))
        .values(priority=bindparam("level"), routed=True)
    )
    conn.execute(query, [{"item": i, "level": level} for i, level in rows])


def route_by_suggestions(conn: Connection, project_id: int, model: str) -> int:
    """Give each routable item with a scored suggestion of ``model`` the priority of its
    score (``domain.routing.uncertainty_priority``), in one statement; how many."""
    mine = pre_annotations.alias("mine")
    score = case((mine.c.score > 1, 1.0), (mine.c.score < 0, 0.0), else_=mine.c.score)
    level: Any = literal(ROUTED_MAX) - score * literal(ROUTED_MAX)
    if conn.dialect.name == "postgresql":
        level = func.trunc(level)  # CAST rounds there; SQLite's truncates
    suggested = (mine.c.item_id == items.c.id, mine.c.model == model, mine.c.score.is_not(None))
    first = select(cast(level, Integer)).where(*suggested).order_by(mine.c.id).limit(1)
    result = conn.execute(
        update(items)
        .where(routable(project_id), exists().where(*suggested))
        .values(priority=first.scalar_subquery(), routed=True)
    )
    return int(result.rowcount)
