"""What an annotator is told remains for them, through the service layer, on every database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.services import progress
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import ImportSummary
from labelworks.storage.engine import Database


@pytest.fixture(autouse=True)
def _uncached(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """The counts are cached for two seconds; here every lease counts afresh, except in
    the test of the cache itself (an hour: nothing expires while it runs)."""
    cached = "cache" in request.node.name
    monkeypatch.setattr(progress, "_OPEN_TTL", 3600.0 if cached else -1.0)
    monkeypatch.setattr(progress, "_open_cache", {})
    monkeypatch.setattr(progress, "_mine_cache", {})


def _label(db: Database, project: str, annotator: int, n: int) -> list[int]:
    """``annotator`` labels ``n`` items; the remaining counts each lease showed, in order."""
    shown = []
    for k in range(n):
        task = next_task_for(db, project, annotator)
        assert task is not None and task.progress is not None
        shown.append(task.progress.remaining)
        submit_annotation(
            db,
            task.assignment_id,
            annotator,
            value={"sentiment": "positive"},
            seconds=1.0,
            idempotency_key=f"{annotator}-{k}",
        )
    return shown


def test_remaining_counts_down_for_each_annotator_of_a_shared_item(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """With overlap 2, each annotator sees the open items left for them after the current one,
    so their own number falls with each submit while the other's does not."""
    loaded(4)
    a, b, _ = annotators
    assert _label(db, project, a, 3) == [3, 2, 1]
    # b's lease of item 1 closes it to others; items 2, 3 and 4 are open and b's to do.
    assert _label(db, project, b, 1) == [3]
    task = next_task_for(db, project, a)
    assert task is not None and task.progress is not None
    # a answered items 1 to 3 and now holds item 4: nothing more for a.
    assert task.progress.remaining == 0


def test_remaining_with_overlap_one_is_the_open_items(db: Database) -> None:
    """With overlap 1 a lease closes its item to others, so what remains is the open items."""
    project = make_project(db, overlap=1)
    (a,) = add_annotators(db, project, 1)
    load_texts(db, project, ["one", "two", "three"])
    assert _label(db, project, a, 3) == [2, 1, 0]


def test_within_the_cache_each_new_lease_takes_one_off(
    db: Database, project: str, annotators: list[int], loaded: Callable[[int], ImportSummary]
) -> None:
    """Counted once, then each new lease of the annotator takes one off (a repeated next of
    the same live lease does not): the same numbers as counting afresh."""
    loaded(4)
    a = annotators[0]
    shown = _label(db, project, a, 2)
    task = next_task_for(db, project, a)
    again = next_task_for(db, project, a)
    assert task is not None and again is not None
    assert task.progress is not None and again.progress is not None
    assert (shown, task.progress.remaining, again.progress.remaining) == ([3, 2], 1, 1)
