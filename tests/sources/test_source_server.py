"""The three faces of importing from a source against a moto_server process, and the media
route for objects: POST /api/v1/projects/{p}/sources per role (managers only; folders only
under import_roots), the SDK's import_source, the Data page's form; an item's s3:// image
handed to those who may see the item (a presigned redirect that works and expires, or the
object streamed) and the same 404 for everyone else; the pages' CSP allowing a plain-HTTP
endpoint; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, add_people, csrf_of, fast_passwords, log_in, staff
from tests.sources.conftest import Bucket, png
from tests.sources.worlds import PHOTOS, make, payloads

from labelworks.config import Settings
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.auth import set_password
from labelworks.storage.engine import Database

PEOPLE = staff("photos")
RED = png((255, 0, 0))


@dataclass
class World:
    db: Database
    bucket: Bucket
    tokens: dict[str, str]
    roots: Path
    data: Path

    def client(self, **settings: Any) -> TestClient:
        config = Settings(
            data_dir=self.data,
            s3_endpoint_url=self.bucket.endpoint,
            import_roots=str(self.roots),
            **settings,
        )
        app = create_app(config, database=self.db)
        return TestClient(app, raise_server_exceptions=False, follow_redirects=False)

    def call(self, client: TestClient, who: str, method: str, url: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return client.request(method, url, headers=headers, **kw)


@pytest.fixture
def world(
    db: Database, bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    """Project 'photos' (boxes on images) with its staff; a bucket holding two images under
    set/, and an import root holding a folder of one image."""
    fast_passwords(monkeypatch)
    make(db, PHOTOS)
    make(db, {**PHOTOS, "name": "other"})
    tokens, _ = add_people(db, PEOPLE)
    for email, *_ in PEOPLE.values():
        set_password(db, email, PASSWORD)
    bucket.put("set/a.png", RED)
    bucket.put("set/b.png", png((0, 0, 255)))
    roots = tmp_path / "imports"
    (roots / "shoot").mkdir(parents=True)
    (roots / "shoot" / "c.png").write_bytes(png((0, 255, 0)))
    yield World(db, bucket, tokens, roots, tmp_path / "data")


def test_the_api_route_per_role(world: World) -> None:
    """Admins and managers of the project import; reviewers and annotators are refused,
    outsiders told the project does not exist; nothing is imported by a refusal."""
    client = world.client()
    url = f"s3://{world.bucket.name}/set/"
    answers = {}
    for who in ("reviewer", "ann1", "outsider", "manager", "admin"):
        r = world.call(client, who, "POST", "/api/v1/projects/photos/sources", json={"url": url})
        answers[who] = (r.status_code, r.json().get("inserted", r.json().get("error")))
    assert {k: v[0] for k, v in answers.items()} == {
        "reviewer": 403, "ann1": 403, "outsider": 404, "manager": 200, "admin": 200,
    }  # fmt: skip
    assert (answers["manager"][1], answers["admin"][1]) == (2, 0)
    assert len(payloads(world.db, "photos")) == 2


def test_the_api_route_folders_and_hostile_bodies(world: World) -> None:
    """Folders under import_roots import; any other path, a relative one, file:// and
    bodies with NUL, unknown keys or oversized fields are refused with nothing done."""
    client = world.client()

    def post(body: Any) -> tuple[int, Any]:
        r = world.call(client, "manager", "POST", "/api/v1/projects/photos/sources", json=body)
        return r.status_code, r.json()

    status, out = post({"url": str(world.roots / "shoot"), "glob": "*.png"})
    assert (status, out["kind"], out["inserted"]) == (200, "media", 1)
    assert payloads(world.db, "photos") == [{"image": "shoot/c.png"}]
    refused = [
        {"url": "/etc"},
        {"url": str(world.roots / ".." / "data")},
        {"url": "imports/shoot"},
        {"url": "file:///etc/passwd"},
        {"url": "s3://../"},
        {"url": "s3://bucket/\u0000"},
        {"url": "x" * 5000},
        {"url": "s3://b/", "endpoint_url": "http://evil.example"},
        {"url": "s3://b/", "glob": "a" * 300},
        {"url": 7},
        {},
    ]
    statuses = [post(body)[0] for body in refused]
    assert statuses == [403, 403, 422, 422, 422, 422, 422, 422, 422, 422, 422]
    assert len(payloads(world.db, "photos")) == 1


def test_the_sdk(world: World) -> None:
    """Client.import_source imports a prefix and returns the summary."""
    app_client = world.client()
    with Client.from_httpx(app_client, token=world.tokens["manager"]) as sdk:
        out = sdk.import_source("photos", f"s3://{world.bucket.name}/set/", glob="a.*")
    assert out == {
        "project": "photos", "source": f"s3://{world.bucket.name}/set/", "kind": "media",
        "files": 1, "rows": 1, "inserted": 1, "skipped_duplicates": 0, "skipped_unsupported": [],
    }  # fmt: skip


def test_the_data_page_form(world: World) -> None:
    """Managers see the form and import through it (the counts shown); a bad URL shows the
    error with nothing imported; reviewers do not get the form."""
    client = world.client()
    log_in(client, PEOPLE["manager"][0])
    page = client.get("/projects/photos/settings/data")
    assert 'data-testid="source-form"' in page.text and str(world.roots) in page.text
    form = {"url": f"s3://{world.bucket.name}/set/", "csrf_token": csrf_of(page.text)}
    done = client.post("/projects/photos/settings/data/source", data=form)
    assert (done.status_code, 'data-testid="source-done"' in done.text) == (200, True)
    assert "<b>Imported 2 new items</b>" in done.text
    form["url"] = "s3://no-such-bucket-x/"
    bad = client.post("/projects/photos/settings/data/source", data=form)
    assert (bad.status_code, "bucket &#39;no-such-bucket-x&#39; does not exist" in bad.text) == (
        404, True,
    )  # fmt: skip
    form["csrf_token"] = "wrong"
    assert client.post("/projects/photos/settings/data/source", data=form).status_code == 403
    reviewer = world.client()
    log_in(reviewer, PEOPLE["reviewer"][0])
    assert 'data-testid="source-form"' not in reviewer.get("/projects/photos/settings/data").text
    assert len(payloads(world.db, "photos")) == 2


def _leased_media(world: World, client: TestClient, who: str) -> str:
    task = world.call(client, who, "POST", "/api/v1/projects/photos/next")
    assert task.status_code == 200
    return str(task.json()["item"]["media"]["image"])


def test_object_media_per_person_presigned(world: World) -> None:
    """An annotator's task names the image through the server; they and the staff get a
    redirect to a presigned URL that serves the object; another annotator, an outsider and
    a made-up item or key get the same 404."""
    client = world.client()
    world.call(client, "manager", "POST", "/api/v1/projects/photos/sources",
               json={"url": f"s3://{world.bucket.name}/set/"})  # fmt: skip
    url = _leased_media(world, client, "ann1")
    item_id = url.split("/")[3]
    assert url == f"/media-objects/photos/{item_id}/image"
    seen = {}
    for who in ("ann1", "reviewer", "manager", "admin", "ann2", "outsider"):
        r = world.call(client, who, "GET", url)
        seen[who] = (r.status_code, r.headers.get("location", "")[: len(world.bucket.endpoint)])
    ok = (307, world.bucket.endpoint)
    assert seen == {"ann1": ok, "reviewer": ok, "manager": ok, "admin": ok,
                    "ann2": (404, ""), "outsider": (404, "")}  # fmt: skip
    refused = world.call(client, "ann2", "GET", url)
    for wrong in (f"/media-objects/photos/{item_id}/quality", "/media-objects/photos/999/image",
                  f"/media-objects/other/{item_id}/image"):  # fmt: skip
        r = world.call(client, "admin", "GET", wrong)
        assert (r.status_code, r.text) == (404, refused.text)
    assert "s3://" not in refused.text and "no such media file" in refused.text
    presigned = world.call(client, "ann1", "GET", url).headers["location"]
    fetched = httpx.get(presigned)
    assert (fetched.status_code, fetched.content) == (200, RED)
    # What the pages' scripts fetch (series, audio bytes) comes through this origin.
    streamed = world.call(client, "ann1", "GET", f"{url}?stream=1")
    outsider = world.call(client, "ann2", "GET", f"{url}?stream=1")
    assert (streamed.status_code, streamed.content, outsider.status_code) == (200, RED, 404)


def test_presigned_urls_are_short_lived(world: World) -> None:
    """The presigned URL is signed (SigV4) to live s3_presign_seconds from now; the
    redirect is cached for half that. moto does not enforce the expiry itself, so the
    signed lifetime is what is checked."""
    client = world.client(s3_presign_seconds=90)
    world.call(client, "manager", "POST", "/api/v1/projects/photos/sources",
               json={"url": f"s3://{world.bucket.name}/set/a.png"})  # fmt: skip
    url = _leased_media(world, client, "ann1")
    answer = world.call(client, "ann1", "GET", url)
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert (query["X-Amz-Expires"], query["X-Amz-SignedHeaders"]) == (["90"], ["host"])
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 60
    assert answer.headers["cache-control"] == "private, max-age=45"
    assert httpx.get(answer.headers["location"]).content == RED


def test_object_media_streamed(world: World) -> None:
    """With s3_presign_seconds=0 the server streams the object itself, under the media
    sandbox policy."""
    client = world.client(s3_presign_seconds=0)
    world.call(client, "manager", "POST", "/api/v1/projects/photos/sources",
               json={"url": f"s3://{world.bucket.name}/set/"})  # fmt: skip
    url = _leased_media(world, client, "ann1")
    r = world.call(client, "ann1", "GET", url)
    assert (r.status_code, r.headers["content-type"], r.content) == (200, "image/png", RED)
    assert r.headers["content-security-policy"].startswith("sandbox;")
    assert world.call(client, "ann2", "GET", url).status_code == 404


def test_pages_allow_the_endpoint_origin(world: World) -> None:
    """A plain-HTTP endpoint joins img-src and media-src while presigning, not when the
    server streams; the item page shows the object through the media route."""
    client = world.client()
    log_in(client, PEOPLE["manager"][0])
    policy = client.get("/projects/photos/settings/data").headers["content-security-policy"]
    origin = world.bucket.endpoint
    assert f"img-src 'self' data: blob: https: {origin};" in policy
    assert f"media-src 'self' blob: https: {origin};" in policy
    streamed = world.client(s3_presign_seconds=0)
    log_in(streamed, PEOPLE["manager"][0])
    assert origin not in streamed.get("/").headers["content-security-policy"]
    world.call(client, "manager", "POST", "/api/v1/projects/photos/sources",
               json={"url": f"s3://{world.bucket.name}/set/a.png"})  # fmt: skip
    items = world.call(client, "manager", "GET", "/api/v1/projects/photos/items").json()
    item_id = items["items"][0]["id"]
    page = client.get(f"/projects/photos/items/{item_id}").text
    assert f'src="/media-objects/photos/{item_id}/image"' in page


def test_a_background_import_runs_as_a_job_within_the_same_limits(world: World) -> None:
    """background=true answers 202 with a source job that the app's consumer runs with the
    server's endpoint; a folder outside import_roots fails its job as the route would."""
    config = Settings(
        data_dir=world.data, s3_endpoint_url=world.bucket.endpoint, import_roots=str(world.roots)
    )
    app = create_app(config, database=world.db, run_jobs=True)
    url = "/api/v1/projects/photos/sources?background=true"
    with TestClient(app) as client:
        started = [
            world.call(client, "manager", "POST", url, json={"url": source})
            for source in (f"s3://{world.bucket.name}/set/", "/etc")
        ]
        jobs = []
        for answer in started:
            assert answer.status_code == 202, answer.text
            job = answer.json()
            deadline = time.monotonic() + 60
            while job["state"] in ("queued", "running"):
                assert time.monotonic() < deadline, job
                time.sleep(0.05)
                job = world.call(client, "manager", "GET", f"/api/v1/jobs/{job['id']}").json()
            jobs.append(job)
    assert [(j["kind"], j["state"]) for j in jobs] == [
        ("source", "succeeded"),
        ("source", "failed"),
    ]
    assert (jobs[0]["result"]["kind"], jobs[0]["result"]["inserted"]) == ("media", 2)
    assert "import_roots" in jobs[1]["error"]
    assert len(payloads(world.db, "photos")) == 2
