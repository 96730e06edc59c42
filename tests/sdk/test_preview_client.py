"""A manager's preview of the labeling page over the SDK, in-process on every database: items
in import order as annotators receive them, answers checked as a submit would, nothing
leased; refused to annotators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.sdk.test_quality_client import World

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.server.app import create_app
from labelworks.services.catalog import working_now
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews' with items r0-r3 (item ids 1-4), the first three labelled."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def test_preview_walks_items_checks_answers_and_leases_nothing(world: World, db: Database) -> None:
    """The manager walks r2 and r3 after item 2 and then past the end, a good answer passes
    and a bad one is refused naming the field, the annotator may not preview, and nobody
    new is working."""
    leases_before = working_now(db, "reviews")
    walked = []
    after = 2
    while (found := world.manager.preview("reviews", after=after)) is not None:
        walked.append((found.item_id, found.item.payload, found.total))
        after = found.item_id
    world.manager.check_answer("reviews", 4, {"sentiment": "neg"})
    failures = {}
    for what, call in {
        "bad label": lambda: world.manager.check_answer("reviews", 4, {"sentiment": "meh"}),
        "annotator": lambda: world.ann1.preview("reviews"),
        "other project's item": lambda: world.manager.check_answer("plain", 4, {}),
    }.items():
        with pytest.raises(E.LabelworksError) as caught:
            call()
        failures[what] = (type(caught.value), "sentiment" in str(caught.value))
    assert (walked, failures, working_now(db, "reviews")) == (
        [(3, {"text": "review 2"}, 4), (4, {"text": "review 3"}, 4)],
        {
            "bad label": (E.InvalidAnnotation, True),
            "annotator": (E.PermissionDenied, False),
            "other project's item": (E.NotFound, False),
        },
        leases_before,
    )
