"""``labelworks import PROJECT SOURCE`` with a folder or s3://bucket/prefix/ on an embedded
SQLite data directory (the S3 server a moto_server process): --glob, --endpoint-url (and the
setting), --profile, --skip-unsupported; files import as before; refusals exit 2 with one
line naming what is wrong and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from tests.sources.conftest import Bucket, png
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.storage.engine import Database
from labelworks.storage.tables import items

SPEC = """\
name: photos
fields:
  - name: objects
    kind: boxes
    labels: [cat, dog]
"""


def lw(data_dir: Path, *args: str, **env: str | None) -> Result:
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        env={
            "COLUMNS": "300",
            "LABELWORKS_DATABASE_URL": None,
            "LABELWORKS_DATA_DIR": None,
            "LABELWORKS_S3_ENDPOINT_URL": None,
            **env,
        },
    )


def _payloads(data_dir: Path) -> list[object]:
    db = Database(Settings(data_dir=data_dir).effective_database_url)
    with db.read() as conn:
        found = [json.loads(p) for p in conn.execute(select(items.c.payload)).scalars()]
    db.dispose()
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An embedded data directory with project 'photos' (boxes on images)."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    return folder


def test_import_a_bucket_prefix(data_dir: Path, bucket: Bucket) -> None:
    """--endpoint-url and --glob pick the images; the summary line counts them; the
    setting LABELWORKS_S3_ENDPOINT_URL works in place of the option."""
    bucket.put("shots/a.png", png((1, 1, 1)))
    bucket.put("shots/b.jpg", b"jpeg")
    url = f"s3://{bucket.name}/shots/"
    done = lw(data_dir, "import", "photos", url, "--endpoint-url", bucket.endpoint,
              "--glob", "*.png")  # fmt: skip
    assert (done.exit_code, done.output) == (
        0,
        f"imported 1 new items into photos from 1 media files in {url}; 0 duplicates skipped\n",
    )
    again = lw(data_dir, "import", "photos", url, LABELWORKS_S3_ENDPOINT_URL=bucket.endpoint)
    assert again.exit_code == 0, again.output
    assert _payloads(data_dir) == [
        {"image": f"s3://{bucket.name}/shots/a.png"},
        {"image": f"s3://{bucket.name}/shots/b.jpg"},
    ]


def test_import_a_folder_and_a_file(data_dir: Path, tmp_path: Path) -> None:
    """A folder gives one item per image (skipping a stray file when asked); a file still
    imports as rows, exactly as before."""
    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "a.png").write_bytes(png((2, 2, 2)))
    (shots / "notes.txt").write_text("x")
    refused = lw(data_dir, "import", "photos", str(shots))
    assert refused.exit_code == 2
    assert "notes.txt is neither a media file" in refused.output
    done = lw(data_dir, "import", "photos", str(shots), "--skip-unsupported")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1] == "skipped 1 unsupported files: notes.txt"
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"image": "x.png"}\n')
    assert lw(data_dir, "import", "photos", str(rows)).exit_code == 0
    assert _payloads(data_dir) == [{"image": "shots/a.png"}, {"image": "x.png"}]


def test_refusals(data_dir: Path, bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing bucket exits 3 (not found); missing credentials, an unknown profile and
    file:// exit 2; each with one line naming the problem; nothing is imported."""
    missing = lw(data_dir, "import", "photos", "s3://nope-bucket-1/", "--endpoint-url",
                 bucket.endpoint)  # fmt: skip
    assert (missing.exit_code, "bucket 'nope-bucket-1' does not exist" in missing.output) == (
        3, True,
    )  # fmt: skip
    profile = lw(data_dir, "import", "photos", f"s3://{bucket.name}/", "--profile", "ghost",
                 "--endpoint-url", bucket.endpoint)  # fmt: skip
    assert (profile.exit_code, "no S3 profile named 'ghost'" in profile.output) == (2, True)
    scheme = lw(data_dir, "import", "photos", "file:///etc/passwd")
    assert (scheme.exit_code, "unsupported source scheme 'file://'" in scheme.output) == (2, True)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    creds = lw(data_dir, "import", "photos", f"s3://{bucket.name}/", "--endpoint-url",
               bucket.endpoint)  # fmt: skip
    assert (creds.exit_code, "LABELWORKS_S3_PROFILE" in creds.output) == (2, True)
    assert _payloads(data_dir) == []
