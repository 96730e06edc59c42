"""The id lists of a ``Ratings`` table, made on first read.

A coefficient reads only the integer codes of a table, never its ids, and turning 500k ids
into Python objects (``tolist``) costs more than computing the coefficient. So a column
coded from an array hands its ids over still in it (:class:`PendingIds`): the table keeps
them aside (:func:`set_aside`), its ``__getattr__`` makes the list the first time someone
reads it (:func:`made`) and keeps it as the plain attribute, which every later read finds
directly. Every reader gets the same plain ``list`` as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

_NAMES = ("items", "annotators")


@dataclass(frozen=True)
class PendingIds:
    """Ids held as a ``range`` of integers, or a numpy or Arrow array whose ``tolist()`` is
    the id list."""

    values: Any

    def __len__(self) -> int:
        return len(self.values)

    def tolist(self) -> list[Any]:
        if isinstance(self.values, range):
            return list(self.values)
        ids: list[Any] = self.values.tolist()
        return ids


Ids = list[Any] | PendingIds


def set_aside(obj: object) -> None:
    """Move ``obj``'s pending ids out of its attributes, so that the first read of one
    misses and reaches ``__getattr__``."""
    held = vars(obj)
    for name in _NAMES:
        if isinstance(held.get(name), PendingIds):
            held[f"_{name}"] = held.pop(name)


def made(obj: object, name: str) -> list[Any]:
    """The id list ``name`` of ``obj``, made from its pending ids and kept as the attribute;
    ``AttributeError`` for any other name."""
    held = vars(obj)
    pending = held.get(f"_{name}") if name in _NAMES else None
    if not isinstance(pending, PendingIds):
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")
    ids = pending.tolist()
    held[name] = ids
    held.pop(f"_{name}", None)  # another thread may have made them too
    return ids


def id_count(obj: object, name: str) -> int:
    """How many ids ``obj``'s list ``name`` holds, without making the list."""
    held = vars(obj)
    ids: Ids = held[name] if name in held else held[f"_{name}"]
    return len(ids)


def as_field(ids: Ids) -> list[Any]:
    """``ids`` for a ``Ratings`` id field, which takes pending ids (:func:`set_aside`)
    although type checkers see the list every reader gets."""
    return cast("list[Any]", ids)


def as_list(ids: Ids) -> list[Any]:
    """The ids as a list, made now if pending."""
    return ids.tolist() if isinstance(ids, PendingIds) else ids
