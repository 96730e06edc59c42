"""The SDK's Label Studio and history-import methods against the real app, in-process:
migrate an export with its config, import one into a project, restore a JSONL export's
history with created annotators, and the refusals as the domain's error classes; on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.formats.label_studio_data import CONFIG, annotation, export, result

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


def _client(db: Database, http: TestClient, email: str, role: str) -> Client:
    made = add_user(db, email, role=role, projects=None, with_token=True)
    assert made.token is not None
    return Client.from_httpx(http, made.token)


@pytest.fixture
def admin(db: Database, tmp_path: Path) -> Iterator[Client]:
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield _client(db, http, "root@example.com", "admin")


def test_migrate_then_import_more_tasks(admin: Client) -> None:
    """A migration creates the project; a later import adds tasks by a new annotator."""
    made = admin.migrate_label_studio("reviews", export(), config=CONFIG, create_annotators=True)
    assert (made.created_project, made.inserted, made.annotations, made.cancelled) == (
        True,
        2,
        1,
        1,
    )
    assert made.untranslated == [
        '<PolygonLabels name="outline">: <PolygonLabels> has no labelworks equivalent'
    ]
    more = [
        {
            "id": 30,
            "data": {"text": "more", "image": "x.png", "audio": "y.wav"},
            "annotations": [
                annotation(
                    "late@example.com",
                    [result("sentiment", "review", "choices", {"choices": ["positive"]})],
                )
            ],
        }
    ]
    with pytest.raises(E.InvalidImport) as caught:
        admin.import_label_studio("reviews", more)
    assert caught.value.location == E.Location(
        file="request body", line=1, field="annotations[0].annotator"
    )
    added = admin.import_label_studio("reviews", more, create_annotators=True)
    assert (added.created_project, added.inserted, added.created_annotators) == (
        False,
        1,
        ["late@example.com"],
    )


def test_history_import_through_import_items(admin: Client) -> None:
    """import_items restores annotations and creates their annotators when asked."""
    admin.apply_spec(
        {
            "name": "s",
            "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
            "overlap": 1,
        }
    )
    rows = [
        {
            "text": "a",
            "annotations": [{"annotator": "x@example.com", "value": {"sentiment": "pos"}}],
        }
    ]
    with pytest.raises(E.InvalidImport):
        admin.import_items("s", rows)
    done = admin.import_items("s", rows, create_annotators=True)
    assert (done.inserted, done.annotations, done.created_annotators) == (1, 1, ["x@example.com"])


def test_migration_of_an_existing_project_is_refused(admin: Client) -> None:
    """Migrating into a name that is taken is refused and changes nothing."""
    admin.migrate_label_studio("reviews", export(), config=CONFIG, create_annotators=True)
    with pytest.raises(E.AlreadyExists):
        admin.migrate_label_studio("reviews", export(), config=CONFIG, create_annotators=True)
