"""One item over the API and the SDK, in-process on every database: its payload and every
annotation for a manager, only their vendor's for a vendor's manager, refused to an
annotator, and not found under another project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.sdk.test_quality_client import World

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.server.app import create_app
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews' with items r0-r3, the first three labelled by an acme and a globex
    annotator; 'plain' with nothing."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def test_an_item_with_its_annotations_within_the_wall(world: World) -> None:
    """The manager sees both annotations of item 2 with the payload; the acme manager only
    acme's; an annotator is refused and an item asked for under another project is not
    found."""
    full = world.manager.item("reviews", 2)
    walled = world.vendor_lead.item("reviews", 2)
    failures = {}
    for what, call in {
        "annotator": lambda: world.ann1.item("reviews", 2),
        "other project": lambda: world.manager.item("plain", 2),
    }.items():
        with pytest.raises(E.LabelworksError) as caught:
            call()
        failures[what] = type(caught.value)
    assert (
        full.external_id,
        full.payload,
        sorted((a.annotator, a.vendor, a.value["sentiment"]) for a in full.annotations),
        [(a.annotator, a.value["sentiment"]) for a in walled.annotations],
        failures,
    ) == (
        "r1",
        {"text": "review 1"},
        [("ann1@acme.example", "acme", "pos"), ("ann2@globex.example", "globex", "neg")],
        [("ann1@acme.example", "pos")],
        {"annotator": E.PermissionDenied, "other project": E.NotFound},
    )


def test_items_pages_filter_sort_and_count(world: World) -> None:
    """items_page: the disagreeing item (2), newest first two at a time and back, metadata
    filters on 'plain'; items() iterates every match across pages."""
    world.admin.import_items(
        "plain",
        [
            {"payload": {"text": f"p{i}"}, "metadata": {"split": "val" if i % 2 else "train"}}
            for i in range(4)
        ],
    )
    disagreeing = world.manager.items_page("reviews", disagreement="any")
    newest = world.manager.items_page("reviews", sort="-id", limit=2)
    older = world.manager.items_page("reviews", sort="-id", limit=2, after=newest.next_after or 0)
    back = world.manager.items_page("reviews", sort="-id", limit=2, before=older.prev_before)
    val = world.manager.items_page("plain", meta={"split": "val"}, exact_count=True)
    every = [i.id for i in world.manager.items("reviews", status="complete", page_size=1)]
    assert [[i.id for i in p.items] for p in (disagreeing, newest, older, back, val)] == [
        [2],
        [4, 3],
        [2, 1],
        [4, 3],
        [6, 8],
    ]
    assert (disagreeing.total, newest.total, val.total, val.total_capped, every) == (
        1,
        4,
        2,
        False,
        [1, 2, 3],
    )


def test_bulk_actions_over_the_sdk(world: World) -> None:
    """Priority by ids, re-queue by filter, delete refused (Conflict naming item 1, with
    the refused ids in the details) and done; vendors' managers and annotators refused."""
    raised = world.manager.set_items_priority("reviews", 5, [4])
    requeued = world.manager.requeue_items("reviews", where={"disagreement": "any"})
    with pytest.raises(E.Conflict) as refused:
        world.manager.delete_items("reviews", [1, 4])
    deleted = world.manager.delete_items("reviews", [4])
    failures = {}
    for who, client in (("acme manager", world.vendor_lead), ("annotator", world.ann1)):
        with pytest.raises(E.LabelworksError) as caught:
            client.delete_items("reviews", [3])
        failures[who] = type(caught.value)
    rows = {i.id: (i.status, i.priority) for i in world.manager.items("reviews")}
    assert [(d.action, d.selected, d.changed) for d in (raised, requeued, deleted)] == [
        ("priority", 1, 1),
        ("requeue", 1, 1),
        ("delete", 1, 1),
    ]
    assert (str(refused.value), refused.value.details) == (
        "cannot delete 1 of the 2 items, so nothing was changed: item 1 has annotations",
        {"refused": {"annotated": [1]}},
    )
    assert failures == {"acme manager": E.PermissionDenied, "annotator": E.PermissionDenied}
    assert rows == {1: ("complete", 0), 2: ("in_progress", 0), 3: ("complete", 0)}
