"""Deleting a project over the API, the SDK and the Data page, on every database: refused
while it holds annotations unless an admin forces it, refused to a vendor's staff and to
reviewers, and a typed name confirms it on the page; archiving over the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.sdk.test_quality_client import World

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.server.app import create_app
from labelworks.services.projects import list_projects
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """'reviews' with six annotations, 'plain' with none."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def test_who_may_delete_what(world: World, db: Database) -> None:
    """A vendor's manager and an annotator are refused; the manager deletes the empty
    'plain' but not 'reviews' (annotations, and force is for admins); the admin forces it."""
    refused = {}
    for what, call in {
        "vendor manager": lambda: world.vendor_lead.delete_project("plain"),
        "annotator": lambda: world.ann1.delete_project("plain"),
        "annotations": lambda: world.manager.delete_project("reviews"),
        "manager forcing": lambda: world.manager.delete_project("reviews", force=True),
    }.items():
        with pytest.raises(E.LabelworksError) as caught:
            call()
        refused[what] = type(caught.value)
    plain = world.manager.delete_project("plain")
    reviews = world.admin.delete_project("reviews", force=True)
    assert (refused, plain.annotations, reviews.annotations, list_projects(db)) == (
        {
            "vendor manager": E.PermissionDenied,
            "annotator": E.PermissionDenied,
            "annotations": E.Conflict,
            "manager forcing": E.PermissionDenied,
        },
        0,
        6,
        [],
    )


def test_archive_and_unarchive_over_the_sdk(world: World) -> None:
    """'reviews' has an unlabelled item: the manager's plain archive is refused, forced it
    is archived and listed only as archived; an annotator may not; unarchive brings it
    back."""
    with pytest.raises(E.Conflict):
        world.manager.archive_project("reviews")
    with pytest.raises(E.PermissionDenied):
        world.ann1.archive_project("reviews", force=True)
    done = world.manager.archive_project("reviews", force=True)
    listed = (
        [p.name for p in world.manager.projects()],
        [(p.name, p.archived_at is not None) for p in world.manager.projects(archived=True)],
    )
    back = world.manager.unarchive_project("reviews")
    assert (done.open_items, done.archived_at is not None, listed, back.archived_at) == (
        1,
        True,
        (["plain"], [("reviews", True)]),
        None,
    )
