"""read_ahead: the items of an iterator, computed in a thread, in order, errors included."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from labelworks.pipelines.prefetch import read_ahead


def test_every_item_comes_in_order() -> None:
    """All items arrive, in the iterator's order, whatever the read-ahead depth."""
    assert [list(read_ahead(iter(range(50)), depth=d)) for d in (1, 3)] == [list(range(50))] * 2


def test_an_error_comes_after_the_items_before_it() -> None:
    """The iterator's exception is raised in the consumer once the earlier items are taken."""

    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3 is bad")

    got: list[int] = []
    with pytest.raises(ValueError) as err:
        for item in read_ahead(failing()):
            got.append(item)
    assert (got, str(err.value)) == ([1, 2], "line 3 is bad")


def test_closing_early_stops_the_thread() -> None:
    """A consumer that stops after one item leaves no thread behind."""
    before = threading.active_count()
    reader = read_ahead(iter(range(1_000_000)))
    assert next(reader) == 0
    reader.close()
    assert threading.active_count() == before
