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
