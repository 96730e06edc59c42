"""The SDK's media methods against the real app in-process: process, report, and a
refusal raised as the domain's error class; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.media_world import make_media_world

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


def test_process_and_report_through_the_sdk(db: Database, tmp_path: Path) -> None:
    """An admin processes as a job the app's consumer runs; the report matches; an annotator
    is refused with PermissionDenied."""
    make_media_world(db, tmp_path / "data")
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db, run_jobs=True)
    with TestClient(app) as http:
        admin = add_user(db, "root@example.com", role="admin", with_token=True).token
        ann = add_user(
            db, "a@example.com", role="annotator", projects=["media"], with_token=True
        ).token
        assert admin is not None and ann is not None
        client = Client.from_httpx(http, admin)
        run = client.process_media("media", workers=1)
        forced = client.process_media("media", force=True)
        report = client.media_report("media")
        with pytest.raises(E.PermissionDenied):
            Client.from_httpx(http, ann).process_media("media")
    assert (run, forced["probed"], report["processed"], report["failed"]) == (
        {"probed": 8, "failed": 4, "already_done": 0, "remote": 1},
        8,
        {"image": 2, "audio": 1, "timeseries": 1},
        4,
    )
