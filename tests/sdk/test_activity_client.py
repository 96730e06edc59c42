"""A project's activity over the SDK, in-process on every database: what its Overview shows,
within vendor walls, refused to annotators; and ``labelworks activity --json`` says the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.sdk.test_quality_client import World
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.server.app import create_app
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """Project 'reviews': items r0-r3, six annotations (three per vendor, five "pos")."""
    app_ = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app_) as http:
        yield World(db, http)


def test_activity_within_the_wall_and_refused_to_annotators(world: World) -> None:
    """The manager sees six annotations today with their labels and the import; acme's
    manager only acme's three; an annotator is refused."""
    full = world.manager.activity("reviews")
    walled = world.vendor_lead.activity("reviews")
    with pytest.raises(E.PermissionDenied):
        world.ann1.activity("reviews")
    assert (
        len(full.days),
        full.days[-1].annotations,
        full.done,
        full.last_week,
        [(c.label, c.annotations) for c in full.labels],
        [e.text for e in full.recent if e.kind == "import"],
        (walled.done, [(c.label, c.annotations) for c in walled.labels]),
    ) == (
        30,
        6,
        6,
        6,
        [("pos", 5), ("neg", 1)],
        ["imported 4 new items of 4 from request body"],
        (3, [("pos", 3)]),
    )


def test_the_cli_prints_what_the_api_answers(db: Database, world: World, tmp_path: Path) -> None:
    """``labelworks activity reviews --json`` over the same database equals the API's answer
    to an admin (the CLI acts as the local operator, outside any wall)."""
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app, ["--database-url", url, "activity", "reviews", "--json"], catch_exceptions=False
    )
    assert json.loads(result.stdout) == world.admin.activity("reviews").model_dump(mode="json")
