"""A table's id lists are made on first read: the same plain lists, with the same types, as
when they were made while building the table."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pyarrow as pa

from labelworks.stats import Ratings


def held(r: Ratings) -> list[str]:
    """What the table holds for its items and annotators, by type name."""
    return [type(vars(r).get(name, vars(r).get(f"_{name}"))).__name__ for name in NAMES]


NAMES = ("items", "annotators")


def test_array_ids_wait_for_their_first_reader() -> None:
    """Integer and Arrow ids stay pending through the counts and become lists when read,
    the same list at every read, and pickling keeps whichever the table holds."""
    r = Ratings.from_columns(
        np.array([7, 3, 7], dtype=np.uint64), pa.array(["b", "a", "a"]), np.array([1, 0, 1])
    )
    before = held(r)
    counts = (r.n_items, r.n_annotators, r.n_ratings)
    unread = pickle.loads(pickle.dumps(r))
    ids = (r.items, r.annotators)
    read: list[Any] = [held(r), r.items is ids[0], pickle.loads(pickle.dumps(r)).items]
    assert (before, counts, ids, read, unread.items, [type(i) for i in unread.items]) == (
        ["PendingIds", "PendingIds"],
        (2, 2, 3),
        ([3, 7], ["a", "b"]),
        [["list", "list"], True, [3, 7]],
        [3, 7],
        [int, int],
    )


def test_lists_of_ids_are_held_as_given() -> None:
    """Ids from a Python list of mixed types take the general path and are held as a list;
    the repr shows every id list."""
    r = Ratings.from_columns([1, "x", 1], ["a", "a", "b"], [0, 1, 0])
    before = held(r)
    assert (before, repr(r)) == (
        ["list", "PendingIds"],
        "Ratings(item=array([0, 1, 0]), annotator=array([0, 0, 1]), label=array([0, 1, 0]), "
        "items=[1, 'x'], annotators=['a', 'b'], categories=[0, 1], values=array([0., 1.]), "
        "has_repeats=False)",
    )
