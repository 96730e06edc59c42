"""Exports with aggregated labels over the SDK and the CLI, in-process on every database."""

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
from labelworks.server.app import create_app
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    """'reviews': r0 and r2 agreed on pos, r1 split pos/neg, r3 unlabelled."""
    app_ = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app_) as http:
        yield World(db, http)


def test_sdk_and_cli_add_the_aggregate(world: World, db: Database) -> None:
    """``Client.export(aggregate=...)`` and ``labelworks export --aggregate`` give every
    labelled item the same majority label; a bad method exits 2 naming the choices."""
    sdk = {
        r["external_id"]: r.get("aggregate")
        for r in world.admin.export("reviews", aggregate="majority")
    }
    url = db.engine.url.render_as_string(hide_password=False)
    run = CliRunner().invoke(
        app, ["--database-url", url, "export", "reviews", "--aggregate", "majority"]
    )
    cli = {
        json.loads(line)["external_id"]: json.loads(line).get("aggregate")
        for line in run.stdout.splitlines()
    }
    bad = CliRunner().invoke(
        app, ["--database-url", url, "export", "reviews", "--aggregate", "mean"]
    )
    assert (
        {k: None if v is None else (v["method"], v["value"]) for k, v in sdk.items()},
        cli == sdk,
        bad.exit_code,
        "majority or dawid_skene" in bad.stderr,
    ) == (
        {
            "r0": ("majority", {"sentiment": "pos"}),
            "r1": ("majority", {"sentiment": "pos"}),
            "r2": ("majority", {"sentiment": "pos"}),
            "r3": None,
        },
        True,
        2,
        True,
    )
