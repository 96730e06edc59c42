"""Importing from an S3 prefix on a real S3-compatible server (moto_server, its own
process): images become items holding their s3:// URL, JSONL objects import as rows all or
none, and a missing bucket, missing credentials, a wrong profile, an unreachable endpoint or
a file of the wrong type are refused with an error naming what to fix; on SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tests.sources.conftest import Bucket, png
from tests.sources.worlds import PHOTOS, make, payloads, run

from labelworks.domain.errors import InvalidImport, InvalidInput, NotFound
from labelworks.services.exports import export_project
from labelworks.services.media_processing import process_media
from labelworks.services.media_report import media_report
from labelworks.services.object_store import NO_CREDENTIALS, ObjectStore, S3Options
from labelworks.services.sources import SourceSummary
from labelworks.storage.engine import Database


def test_images_under_a_prefix(db: Database, bucket: Bucket, tmp_path: Path) -> None:
    """Each image under the prefix is one item holding s3://bucket/key; objects beside
    the prefix and hidden ones are left out; a re-run adds nothing."""
    make(db, PHOTOS)
    for key, color in (("set/a.png", (255, 0, 0)), ("set/deep/b.png", (0, 255, 0)),
                       ("set/.hidden.png", (0, 0, 0)), ("other/c.png", (0, 0, 255))):  # fmt: skip
        bucket.put(key, png(color))
    url = f"s3://{bucket.name}/set/"
    summary = run(db, "photos", url, tmp_path, endpoint=bucket.endpoint)
    assert summary == SourceSummary("photos", url, "media", 2, 2, 2, 0, [])
    assert payloads(db, "photos") == [
        {"image": f"s3://{bucket.name}/set/a.png"},
        {"image": f"s3://{bucket.name}/set/deep/b.png"},
    ]
    again = run(db, "photos", url, tmp_path, endpoint=bucket.endpoint)
    assert (again.inserted, again.skipped_duplicates) == (0, 2)


def test_jsonl_objects_are_rows(db: Database, bucket: Bucket, tmp_path: Path) -> None:
    """JSONL objects import as rows in one transaction; a bad row in one object refuses
    them all, naming the object's URL and the line."""
    make(db, PHOTOS)
    bucket.put_rows("rows/1.jsonl", [{"image": f"s3://{bucket.name}/i/{n}.png"} for n in "ab"])
    bucket.put_rows("rows/2.jsonl", [{"image": "c.png"}, {"oops": 1}])
    url = f"s3://{bucket.name}/rows/"
    with pytest.raises(InvalidImport) as caught:
        run(db, "photos", url, tmp_path, endpoint=bucket.endpoint)
    assert str(caught.value) == (
        f"s3://{bucket.name}/rows/2.jsonl, line 2, field 'payload.image': "
        "payload has no key 'image', which the project's fields need"
    )
    assert payloads(db, "photos") == []
    bucket.put_rows("rows/2.jsonl", [{"image": "c.png"}])
    summary = run(db, "photos", url, tmp_path, endpoint=bucket.endpoint, glob="*.jsonl")
    assert (summary.kind, summary.files, summary.rows, summary.inserted) == ("rows", 2, 3, 3)


def test_wrong_type_refused_unless_skipped(db: Database, bucket: Bucket, tmp_path: Path) -> None:
    """An object of another type refuses the import naming it, unless skip_unsupported."""
    make(db, PHOTOS)
    bucket.put("p/a.png", png((1, 1, 1)))
    bucket.put("p/readme.txt", b"hello")
    url = f"s3://{bucket.name}/p/"
    with pytest.raises(InvalidImport, match=r"readme\.txt is neither a media file"):
        run(db, "photos", url, tmp_path, endpoint=bucket.endpoint)
    summary = run(db, "photos", url, tmp_path, endpoint=bucket.endpoint, skip_unsupported=True)
    assert (summary.inserted, summary.skipped_unsupported) == (1, ["readme.txt"])


def test_missing_bucket_and_empty_prefix(db: Database, bucket: Bucket, tmp_path: Path) -> None:
    """A bucket that does not exist is NotFound by name; a prefix with nothing under it
    says so; nothing is imported."""
    make(db, PHOTOS)
    with pytest.raises(NotFound) as caught:
        run(db, "photos", "s3://no-such-bucket-here/x/", tmp_path, endpoint=bucket.endpoint)
    assert str(caught.value) == "bucket 'no-such-bucket-here' does not exist"
    with pytest.raises(InvalidImport, match="has no files to import"):
        run(db, "photos", f"s3://{bucket.name}/nothing/", tmp_path, endpoint=bucket.endpoint)
    assert payloads(db, "photos") == []


def test_credentials_and_endpoint_errors(
    db: Database, bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without credentials the error names the environment variables and the profile
    setting; an unknown profile is named; an endpoint nobody answers on is named with
    its setting."""
    make(db, PHOTOS)
    url = f"s3://{bucket.name}/x/"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(InvalidInput) as caught:
        run(db, "photos", url, tmp_path, endpoint=bucket.endpoint)
    assert str(caught.value) == NO_CREDENTIALS
    assert "LABELWORKS_S3_PROFILE" in NO_CREDENTIALS and "AWS_ACCESS_KEY_ID" in NO_CREDENTIALS
    with pytest.raises(InvalidInput) as caught:
        ObjectStore(S3Options(endpoint_url=bucket.endpoint, profile="nobody"))
    assert str(caught.value) == "no S3 profile named 'nobody' (setting s3_profile / --profile)"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(InvalidInput) as caught:
        run(db, "photos", url, tmp_path, endpoint="http://127.0.0.1:9")
    assert str(caught.value) == (
        f"cannot reach the S3 endpoint http://127.0.0.1:9 for {url} "
        "(setting s3_endpoint_url / --endpoint-url)"
    )


def test_a_named_profile(
    db: Database, bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials from a named profile of the shared credentials file work when the
    environment has none."""
    make(db, PHOTOS)
    bucket.put("q/a.png", png((9, 9, 9)))
    creds = tmp_path / "credentials"
    creds.write_text("[labeling]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    from labelworks.services.sources import SourceRequest, import_source

    options = S3Options(endpoint_url=bucket.endpoint, profile="labeling")
    request = SourceRequest(f"s3://{bucket.name}/q/", s3=options)
    assert import_source(db, "photos", request, data_dir=tmp_path).inserted == 1


def test_media_processing_reads_objects_where_they_are(
    db: Database, bucket: Bucket, tmp_path: Path
) -> None:
    """With the store's options, media processing probes s3:// images (size, phash,
    thumbnail) and marks a missing object with the store's reason; without them the values
    count as remote and are left alone."""
    make(db, PHOTOS)
    bucket.put("set/a.png", png((255, 0, 0), (40, 30)))
    bucket.put("set/b.png", png((0, 0, 255), (20, 10)))
    run(db, "photos", f"s3://{bucket.name}/set/", tmp_path, endpoint=bucket.endpoint)
    bucket.client.delete_object(Bucket=bucket.name, Key="set/b.png")
    paths = {"media_dir": tmp_path / "media", "thumbnails_dir": tmp_path / "thumbs"}
    untouched = process_media(db, "photos", **paths)
    before = media_report(db, "photos")
    done = process_media(db, "photos", s3=S3Options(bucket.endpoint), **paths)
    after = media_report(db, "photos")
    out = io.BytesIO()
    export_project(db, "photos", out, format="jsonl")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    facts = {r["payload"]["image"]: r["metadata"] for r in records}
    a, b = facts[f"s3://{bucket.name}/set/a.png"], facts[f"s3://{bucket.name}/set/b.png"]
    assert (untouched.processed, untouched.remote, done.processed, done.failed) == (0, 2, 2, 1)
    assert [(r.pending, r.remote, r.processed, r.failed) for r in (before, after)] == [
        (2, 0, {"image": 0}, 0),
        (0, 0, {"image": 1}, 1),
    ]
    image = a["media"]["image"]
    assert (image["width"], image["height"], len(image["phash"])) == (40, 30, 16)
    assert (tmp_path / "thumbs" / "photos" / "items" / image["thumbnail"]).is_file()
    assert b["media_error"] == {"image": f"s3://{bucket.name}/set/b.png does not exist"}
