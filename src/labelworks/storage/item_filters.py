"""Which of a project's items a filter matches, and in which order: the SQL behind the
Items table, its count and the selection of its bulk actions.

Every condition is written for both databases; where they differ (reading JSON text) the
dialect picks its own form here, once:

- metadata ``KEY=VALUE``: a ``LIKE`` over the stored JSON text first (cheap, and a
  superset), then the exact test with the database's JSON functions (SQLite's
  ``json_each``, PostgreSQL's ``jsonb``);
- disagreement: two of the item's annotations whose values differ in one of the fields
  (``json_extract`` on SQLite, ``jsonb ->`` on PostgreSQL, both null-safe).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from labelworks.storage.tables import annotations_table, items, pre_annotations
from labelworks.storage.walls import within_wall

# sort name -> (key column, key descending, id descending). Each pair of sorts is one order
# and its exact reverse, so that one index (project_id, key, id) could serve both.
SORTS: dict[str, tuple[str | None, bool, bool]] = {
    "id": (None, False, False),  # import order
    "-id": (None, True, True),  # newest first
    "-priority": ("priority", True, False),  # highest first, ties in import order
    "priority": ("priority", False, True),
    "n_submitted": ("n_submitted", False, False),  # fewest annotations first
    "-n_submitted": ("n_submitted", True, True),
}


@dataclass(frozen=True, slots=True)
class ItemFilter:
    status: str | None = None  # new | in_progress | complete
    annotator_id: int | None = None
    label: str | None = None
    text: str | None = None
    # (key, value) pairs, all of which the item's metadata must hold.
    metadata: tuple[tuple[str, str], ...] = ()
    # Fields two of the item's annotations must answer differently (one is enough).
    disagree_on: tuple[str, ...] = ()
    # Some pre-annotation's score within [score_min, score_max].
    score_min: float | None = None
    score_max: float | None = None
    wall: str | None = None  # the vendor whose annotations alone filters and counts consider

    @property
    def narrows(self) -> bool:
        """Whether any condition beyond the project is set (the wall is not one)."""
        return any(
            (
                self.status,
                self.annotator_id is not None,
                self.label,
                self.text,
                self.metadata,
                self.disagree_on,
                self.score_min is not None,
                self.score_max is not None,
            )
        )


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json_text(value: str) -> str:
    """``value`` as the stored compact JSON writes a string (``ensure_ascii=False``)."""
    return json.dumps(value, ensure_ascii=False)


def _label_patterns(label: str) -> list[str]:
    """LIKE patterns that find ``label`` as a value in compact JSON, never as a key.

    A value follows a colon (a choice, or a span's ``"label"``) or sits in an array (a
    multi-choice list); a key is always followed by a colon, which these never allow.
    """
    quoted = like_escape(_json_text(label))
    return [f"%:{quoted}%", f"%[{quoted},%", f"%[{quoted}]%", f"%,{quoted},%", f"%,{quoted}]%"]


def _number(value: str) -> float | None:
    """``value`` read as a finite JSON number, else None."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and value.strip() == value else None


def _metadata_holds(dialect: str, key: str, value: str) -> ColumnElement[bool]:
    """The item's metadata maps ``key`` (top level) to ``value``: a string equal to it, a
    number equal to it read as a number, or ``true``/``false``/``null`` spelled so."""
    number = _number(value)
    prefilter = [items.c.metadata.like(f"%{like_escape(_json_text(key))}:%", escape="\\")]
    if number is None and value not in ("true", "false", "null"):
        inner = like_escape(_json_text(value)[1:-1])
        prefilter.append(items.c.metadata.like(f"%{inner}%", escape="\\"))
    if dialect == "postgresql":
        found = cast(items.c.metadata, JSONB)[key]
        wanted = [_json_text(value)]
        if number is not None:
            wanted.append(json.dumps(number))
        if value in ("true", "false", "null"):
            wanted.append(value)
        exact: ColumnElement[bool] = or_(*(found == cast(literal(w), JSONB) for w in wanted))
    else:
        each = func.json_each(items.c.metadata).table_valued("key", "value", "type")
        matches = [and_(each.c.type == "text", each.c.value == value)]
        if number is not None:
            matches.append(and_(each.c.type.in_(["integer", "real"]), each.c.value == number))
        if value in ("true", "false", "null"):
            matches.append(each.c.type == value)
        exact = exists(select(1).select_from(each).where(each.c.key == key, or_(*matches)))
    return and_(*prefilter, exact)


def _field(dialect: str, value: Any, name: str) -> Any:
    """One field of an annotation's JSON value, comparable across annotations."""
    if dialect == "postgresql":
        return cast(value, JSONB)[name]
    return func.json_extract(value, f"$.{name}")


def _some(dialect: str, query: Any) -> Any:
    """EXISTS ``query``, tested item by item through its index. On PostgreSQL an OFFSET 0
    keeps the planner from turning it into a semi-join, which would read every matching
    row of the other table (every pre-annotation scored above 0.9, say) to answer for a
    few thousand items."""
    return exists(query.offset(0) if dialect == "postgresql" else query)


def _disagreement(dialect: str, fields: tuple[str, ...], wall: str | None) -> Any:
    """Two of the item's annotations (within the wall) differ in one of ``fields``."""
    first = annotations_table.alias("a1")
    second = annotations_table.alias("a2")
    differs = [
        _field(dialect, first.c.value, name).is_distinct_from(_field(dialect, second.c.value, name))
        for name in fields
    ]
    return _some(
        dialect,
        select(1)
        .select_from(first)
        .join(second, and_(second.c.item_id == first.c.item_id, second.c.id > first.c.id))
        .where(
            first.c.item_id == items.c.id,
            within_wall(first.c.annotator_id, wall),
            within_wall(second.c.annotator_id, wall),
            or_(*differs),
        ),
    )


def conditions(
    dialect: str,
    project_id: int,
    overlap: int,
    f: ItemFilter,
    ids: tuple[int, int] | None = None,
) -> list[Any]:
    """The WHERE of the project's items that ``f`` matches (with ids in the inclusive
    range ``ids``, when given).

    An item's status counts against its own target when dynamic overlap or a re-queue
    raised it, else against the project's overlap.
    """
    where: list[Any] = [items.c.project_id == project_id]
    if ids is not None:
        where.extend([items.c.id >= ids[0], items.c.id <= ids[1]])
    load = items.c.n_submitted + items.c.n_leased
    need = func.coalesce(items.c.target, overlap)
    if f.status == "complete":
        where.append(items.c.n_submitted >= need)
    elif f.status == "in_progress":
        where.extend([items.c.n_submitted < need, load > 0])
    elif f.status == "new":
        # n_submitted = 0 is implied; said, it lets SQLite read ix_items_project_complete.
        where.extend([items.c.n_submitted == 0, load == 0])
    if f.annotator_id is not None:
        # The annotator's annotations (of the id range: the database picks the smaller of
        # their index range and the items'), not a probe item by item.
        theirs = select(annotations_table.c.item_id).where(
            annotations_table.c.project_id == project_id,
            annotations_table.c.annotator_id == f.annotator_id,
            within_wall(annotations_table.c.annotator_id, f.wall),
        )
        if ids is not None:
            theirs = theirs.where(annotations_table.c.item_id.between(*ids))
        where.append(items.c.id.in_(theirs))
    if f.label is not None:
        patterns = [
            annotations_table.c.value.like(p, escape="\\") for p in _label_patterns(f.label)
        ]
        labelled = select(1).where(
            annotations_table.c.item_id == items.c.id,
            within_wall(annotations_table.c.annotator_id, f.wall),
            or_(*patterns),
        )
        where.append(_some(dialect, labelled))
    if f.text:
        where.append(items.c.payload.ilike("%" + like_escape(f.text) + "%", escape="\\"))
    for key, value in f.metadata:
        where.append(_metadata_holds(dialect, key, value))
    if f.disagree_on:
        where.append(_disagreement(dialect, f.disagree_on, f.wall))
    if f.score_min is not None or f.score_max is not None:
        scored = [pre_annotations.c.item_id == items.c.id, pre_annotations.c.score.is_not(None)]
        if f.score_min is not None:
            scored.append(pre_annotations.c.score >= f.score_min)
        if f.score_max is not None:
            scored.append(pre_annotations.c.score <= f.score_max)
        where.append(_some(dialect, select(1).where(*scored)))
    return where


def order(sort: str, *, backwards: bool = False) -> list[Any]:
    """ORDER BY for ``sort`` (reversed with ``backwards``: a previous page is read back
    from its end)."""
    key, key_desc, id_desc = SORTS[sort]
    columns = [] if key is None else [(items.c[key], key_desc)]
    columns.append((items.c.id, id_desc))
    return [c.desc() if desc != backwards else c.asc() for c, desc in columns]


def beyond(sort: str, key_value: Any, item_id: int, *, backwards: bool = False) -> Any:
    """Rows after the cursor row (its sort key ``key_value`` and id) in ``sort`` order, or
    before it with ``backwards``."""
    key, key_desc, id_desc = SORTS[sort]
    id_after = (items.c.id < item_id) if id_desc != backwards else (items.c.id > item_id)
    if key is None:
        return id_after
    column = items.c[key]
    key_after = (column < key_value) if key_desc != backwards else (column > key_value)
    return or_(key_after, and_(column == key_value, id_after))


def key_column(sort: str) -> Any:
    """The sort's key column (the id for the id sorts)."""
    key = SORTS[sort][0]
    return items.c.id if key is None else items.c[key]


def sort_key(sort: str, key: Any, item_id: int) -> tuple[int, int]:
    """Where a row (its sort key and id) stands in ``sort`` order, as a tuple that sorts
    so in Python (every sort key is an integer)."""
    name, key_desc, id_desc = SORTS[sort]
    value = item_id if name is None else int(key)
    return (-value if key_desc else value, -item_id if id_desc else item_id)
