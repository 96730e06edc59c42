"""Guideline acknowledgement and re-queueing over HTTP and through the SDK, on every
database: the 409 with the diff, acknowledging, the CLI's re-queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.builders import jsonl
from typer.testing import CliRunner

from labelworks.cli.app import app as cli
from labelworks.config import Settings
from labelworks.domain.errors import Conflict, GuidelinesChanged
from labelworks.domain.spec import spec_from_dict
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services import ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = {
    "name": "g",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
}


@contextmanager
def _client(db: Database, tmp_path: Path, token: str) -> Iterator[Client]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as http:
        yield Client.from_httpx(http, token)


def test_next_answers_409_with_the_diff_until_the_new_version_is_acknowledged(
    db: Database, tmp_path: Path
) -> None:
    """The SDK raises GuidelinesChanged with the diff; acknowledging an old version is a
    conflict; acknowledging the current one lets the annotator work."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="Be kind.")
    ingestion.import_items(
        db, "g", jsonl([{"text": f"t{i}"} for i in range(3)]), format="jsonl", source="g.jsonl"
    )
    made = add_user(db, "a@example.com", role="annotator", projects=["g"], with_token=True)
    assert made.token is not None
    with _client(db, tmp_path, made.token) as client:
        first = client.next_task("g")
        assert first is not None
        apply_spec(db, spec_from_dict(SPEC), guidelines="Be kind.\nSarcasm is neg.")
        with pytest.raises(GuidelinesChanged) as changed:
            client.next_task("g")
        with pytest.raises(Conflict):
            client.acknowledge_guidelines("g", 1)
        client.acknowledge_guidelines("g", 2)
        again = client.next_task("g")
    assert (changed.value.details or {}).get("diff", "").splitlines()[-1:] == ["+Sarcasm is neg."]
    assert again is not None and again.assignment_id == first.assignment_id


def test_requeue_outdated_from_the_sdk_and_the_cli(db: Database, tmp_path: Path) -> None:
    """Nothing made under the current version is sent back; a missing field is named."""
    apply_spec(db, spec_from_dict(SPEC), guidelines="Be kind.")
    made = add_user(db, "m@example.com", role="manager", projects=["g"], with_token=True)
    assert made.token is not None
    with _client(db, tmp_path, made.token) as client:
        n = client.requeue_outdated("g")
    result = CliRunner().invoke(
        cli,
        ["project", "requeue-outdated", "g", "--field", "mood", "--label", "x"],
        env={"LABELWORKS_DATABASE_URL": db.url, "LABELWORKS_DATA_DIR": str(tmp_path)},
    )
    assert (n, result.exit_code, result.stderr.strip()) == (
        0,
        2,
        "error [invalid_input] project 'g' has no field 'mood'",
    )
