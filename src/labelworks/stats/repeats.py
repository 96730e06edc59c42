"""Repeated (item, annotator) pairs: whether a table has one, and which row repeats first.

Finding a repeat among a million pairs by sorting them costs more than building the rest of
the table, so two cheaper checks come first; each answers exactly what the sort would:

* a table read in item order (as exports and group-bys give it) holds each item's ratings in
  one run, so a repeat lies within a run: comparing every row with the next few finds it;
* when the pairs, coded ``item * n_annotators + annotator``, span a range not much wider than
  the table (two annotators, say), a presence table of that range counts the distinct ones.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

# Item runs longer than this are left to the presence table or the sort: each extra row of
# the longest run costs one more pass over the table.
_RUN_PASSES = 16
# A presence table of up to this many entries per pair (a byte each) is cheaper than the
# sort; past it the page faults of a sparse table cost as much.
_TABLE_PER_PAIR = 16
_TABLE_MIN = 1 << 20


def has_repeat(item: IntArray, annotator: IntArray, n_annotators: int) -> bool:
    """Whether some annotator rated some item twice; codes lie in ``[0, n_annotators)``."""
    if item.size < 2:
        return False
    in_runs = _repeat_within_runs(item, annotator)
    if in_runs is not None:
        return in_runs
    width = max(n_annotators, 1)
    pair = item * width
    pair += annotator
    bound = (int(item.max()) + 1) * width
    if bound <= _TABLE_PER_PAIR * item.size + _TABLE_MIN:
        seen = np.zeros(bound, dtype=np.bool_)
        seen[pair] = True
        return int(np.count_nonzero(seen)) < item.size
    # numpy's plain sort is several times faster than the stable one and twice as fast
    # again on 32-bit keys; np.unique hashes, which is slower still
    ordered = np.sort(pair.astype(np.uint32) if bound <= 2**32 else pair)
    return bool((ordered[1:] == ordered[:-1]).any())


def _repeat_within_runs(item: IntArray, annotator: IntArray) -> bool | None:
    """The answer for a table whose item codes never decrease, or ``None`` for any other
    table or one whose longest item run is too long to compare row by row."""
    if not bool((item[1:] >= item[:-1]).all()):
        return None
    ends = np.flatnonzero(item[1:] != item[:-1])
    longest = int(np.diff(ends, prepend=-1, append=item.size - 1).max())
    if longest > _RUN_PASSES:
        return None
    # a repeat lies less than `longest` rows after its first rating; rows that far apart
    # with the same annotator are few, so only those look at their items
    for step in range(1, longest):
        rows = np.flatnonzero(annotator[step:] == annotator[:-step])
        if bool((item[rows] == item[rows + step]).any()):
            return True
    return False


def first_repeat(item: IntArray, annotator: IntArray, n_annotators: int) -> int | None:
    """The row that repeats the smallest repeated (item, annotator) pair, at its second
    occurrence, or ``None``.

    Only a table that has a repeat (:func:`has_repeat`) pays for the stable sort that names
    the row.
    """
    if not has_repeat(item, annotator, n_annotators):
        return None
    pair = item * max(n_annotators, 1) + annotator
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    same = np.flatnonzero(sorted_pair[1:] == sorted_pair[:-1])
    return int(order[same[0] + 1])
