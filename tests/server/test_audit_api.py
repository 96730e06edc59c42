"""The audit trail over HTTP, through the SDK and from the CLI, on every database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.builders import jsonl
from typer.testing import CliRunner

from labelworks.cli.app import app as cli
from labelworks.config import Settings
from labelworks.domain.errors import PermissionDenied
from labelworks.domain.spec import spec_from_dict
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services import gold, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = {"name": "au", "fields": [{"name": "s", "kind": "choice", "labels": ["pos", "neg"]}]}


@contextmanager
def _client(db: Database, tmp_path: Path, token: str) -> Iterator[Client]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as http:
        yield Client.from_httpx(http, token)


def _world(db: Database) -> tuple[str, str]:
    apply_spec(db, spec_from_dict(SPEC), guidelines="Be kind.")
    ingestion.import_items(
        db, "au", jsonl([{"text": "=HYPERLINK(1)"}, {"text": "b"}]), format="jsonl", source="a"
    )
    lead = add_user(db, "lead@example.com", role="manager", projects=["au"], with_token=True)
    ann = add_user(db, "ann@example.com", role="annotator", projects=["au"], with_token=True)
    assert lead.token is not None and ann.token is not None
    return lead.token, ann.token


def test_the_sdk_pages_the_trail_and_exports_it(db: Database, tmp_path: Path) -> None:
    """Marking and unmarking gold over HTTP appear in the trail with who did it; the CSV
    export has them too; an annotator is refused."""
    lead, ann = _world(db)
    with _client(db, tmp_path, lead) as client:
        client.mark_gold("au", 1, {"s": "pos"}, explanation="obvious")
        client.unmark_gold("au", 1)
        events = client.audit_trail("au")
        only_marks = client.audit_trail("au", action="gold.mark")
        exported = client.export_audit("au", "csv").decode()
    with _client(db, tmp_path, ann) as client, pytest.raises(PermissionDenied):
        client.audit_trail("au")
    rows = list(csv.reader(io.StringIO(exported)))
    assert (
        [(e["actor"], e["action"], e["subject"], e["guideline_version"]) for e in events],
        len(only_marks),
        [r[3] for r in rows[1:]],
    ) == (
        [
            ("lead@example.com", "gold.mark", "item 1", 1),
            ("lead@example.com", "gold.unmark", "item 1", 1),
        ],
        1,
        ["gold.mark", "gold.unmark"],
    )


def test_the_cli_prints_the_trail_and_writes_jsonl(db: Database, tmp_path: Path) -> None:
    """A table by default, every event as JSONL with -o, a bad format named."""
    _world(db)
    gold.mark_gold(db, "au", 2, value={"s": "neg"})
    env = {
        "LABELWORKS_DATABASE_URL": db.url,
        "LABELWORKS_DATA_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    table = CliRunner().invoke(cli, ["audit", "au"], env=env)
    out = tmp_path / "audit.jsonl"
    written = CliRunner().invoke(cli, ["audit", "au", "--format", "jsonl", "-o", str(out)], env=env)
    bad = CliRunner().invoke(cli, ["audit", "au", "--format", "xml"], env=env)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert (
        table.exit_code,
        "gold.mark" in table.stdout and "item 2" in table.stdout,
        written.exit_code,
        [(r["actor"], r["action"], r["subject"]) for r in lines],
        bad.exit_code,
        bad.stderr.strip(),
    ) == (
        0,
        True,
        0,
        [(None, "gold.mark", "item 2")],
        2,
        "error [invalid_input] --format must be table, jsonl or csv, not 'xml'",
    )
