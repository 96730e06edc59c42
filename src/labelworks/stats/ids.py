"""The id lists of a ``Ratings`` table, made on first read.

A coefficient reads only the integer codes of a table, never its ids, and turning 500k ids
into Python objects (``tolist``) costs more than computing the coefficient. So the columns
that were coded from an array hand their ids over still in it (:class:`PendingIds`), and the
``Ratings`` field (:class:`IdList`) makes the list the first time someone reads it. Every
reader gets the same plain ``list`` as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast


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


class IdList:
    """A dataclass field holding a list of ids, or :class:`PendingIds` until first read.

    The list replaces the pending ids once made, so ``r.items is r.items``.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, obj: object | None, owner: type | None = None) -> list[Any]:
        if obj is None:
            # what dataclasses ask to find the field's default: it has none
            raise AttributeError(self._slot[1:])
        held: Ids = vars(obj)[self._slot]
        if isinstance(held, PendingIds):
            made = held.tolist()
            vars(obj)[self._slot] = made
            return made
        return held

    def __set__(self, obj: object, value: Ids) -> None:
        # only the dataclass __init__ gets here: the frozen __setattr__ refuses others
        vars(obj)[self._slot] = value


def id_count(obj: object, name: str) -> int:
    """How many ids ``obj``'s :class:`IdList` field ``name`` holds, without making the list."""
    held: Ids = vars(obj)[f"_{name}"]
    return len(held)


def as_field(ids: Ids) -> list[Any]:
    """``ids`` for an :class:`IdList` field, which takes pending ids although type checkers
    see the list every reader gets."""
    return cast("list[Any]", ids)


def as_list(ids: Ids) -> list[Any]:
    """The ids as a list, made now if pending."""
    return ids.tolist() if isinstance(ids, PendingIds) else ids
