"""The job routes in-process, with the app's own consumer running real jobs: background
imports and exports, their progress and results, downloads for the starter only,
cancelling, and who sees which job; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import REVIEWS, Bearer, add_people, staff, two_projects

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.storage.engine import Database

PEOPLE = staff()
ITEMS = 40


@dataclass
class Env(Bearer):
    db: Database

    def ok(self, who: str, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(who, method, url, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    def finished(self, who: str, job_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.ok(who, "GET", f"/api/v1/jobs/{job_id}")
            if job["state"] not in ("queued", "running"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish")


def _rows(n: int, start: int = 0) -> bytes:
    return "".join(json.dumps({"text": f"new review {i}"}) + "\n" for i in range(start, n)).encode()


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Env]:
    """Project 'reviews' with 2 items and 'other', their staff, and an app whose consumer
    runs jobs; imports above 4 kB run as jobs."""
    two_projects(db, REVIEWS, [{"text": "a"}, {"text": "b"}])
    tokens, _ = add_people(db, PEOPLE)
    settings = Settings(data_dir=tmp_path / "data", import_job_bytes=4096)
    app = create_app(settings, database=db, run_jobs=True)
    with TestClient(app) as client:
        yield Env(client, tokens, db)


def test_a_large_import_runs_as_a_job_and_reports_its_counts(env: Env) -> None:
    """A body above the limit answers 202 with a queued job, which imports every row and
    ends with the importer's counts and its progress complete."""
    body = _rows(400)
    assert len(body) > 4096
    url = "/api/v1/projects/reviews/items"
    job = env.ok("manager", "POST", url, 202, content=body)
    assert (job["kind"], job["project"], job["state"], job["started_by"]) == (
        "import",
        "reviews",
        "queued",
        "boss@example.com",
    )
    done = env.finished("manager", job["id"])
    assert (done["state"], done["done"], done["total"], done["unit"], done["error"]) == (
        "succeeded",
        len(body),
        len(body),
        "bytes",
        None,
    )
    assert {k: done["result"][k] for k in ("rows", "inserted", "skipped_duplicates")} == {
        "rows": 400,
        "inserted": 400,
        "skipped_duplicates": 0,
    }
    status = env.ok("manager", "GET", "/api/v1/projects/reviews/status")
    assert status["items"] == 402
    # A small body is imported in the request, as before.
    small = env.ok("manager", "POST", url, content=_rows(1003, 1000))
    assert small["inserted"] == 3


def test_a_refused_background_import_fails_its_job_with_the_line(env: Env) -> None:
    """A bad row in a background import fails the job naming the line; nothing is kept."""
    body = _rows(200) + b'{"txet": "wrong"}\n'
    url = "/api/v1/projects/reviews/items?background=true"
    job = env.ok("manager", "POST", url, 202, content=body)
    done = env.finished("manager", job["id"])
    assert done["state"] == "failed"
    assert "line 201" in done["error"]
    assert env.ok("manager", "GET", "/api/v1/projects/reviews/status")["items"] == 2


def test_an_export_job_is_downloaded_by_its_starter_only(env: Env) -> None:
    """An export job's file is the project's export; its starter and admins download it,
    another manager of the project sees the job but not the file."""
    job = env.ok(
        "reviewer", "POST", "/api/v1/projects/reviews/jobs/export", 202, json={"format": "jsonl"}
    )
    done = env.finished("reviewer", job["id"])
    assert (done["state"], done["result"]["items"], done["result"]["file"]) == (
        "succeeded",
        2,
        "reviews.jsonl",
    )
    url = f"/api/v1/jobs/{job['id']}/download"
    got = env.call("reviewer", "GET", url)
    assert got.status_code == 200
    texts = [json.loads(line)["payload"]["text"] for line in got.text.splitlines()]
    assert texts == ["a", "b"]
    assert env.call("admin", "GET", url).status_code == 200
    assert env.ok("manager", "GET", f"/api/v1/jobs/{job['id']}")["id"] == job["id"]
    assert env.call("manager", "GET", url).status_code == 404


def test_who_sees_which_jobs(env: Env) -> None:
    """The starter and the project's managers see a job (a vendor's manager only their
    vendor's); annotators and other projects' managers get 404, as for a job that is not."""
    job = env.ok(
        "manager", "POST", "/api/v1/projects/reviews/jobs/export", 202, json={"format": "csv"}
    )
    env.finished("manager", job["id"])
    url = f"/api/v1/jobs/{job['id']}"
    seen = {who: env.call(who, "GET", url).status_code for who in PEOPLE}
    assert seen == {
        "admin": 200,
        "manager": 200,
        "acme_lead": 404,
        "reviewer": 404,
        "ann1": 404,
        "ann2": 404,
        "outsider": 404,
    }
    listed = {who: [j["id"] for j in env.ok(who, "GET", "/api/v1/jobs")] for who in PEOPLE}
    assert listed == {
        "admin": [job["id"]],
        "manager": [job["id"]],
        "acme_lead": [],
        "reviewer": [],
        "ann1": [],
        "ann2": [],
        "outsider": [],
    }
    assert (
        env.call(
            "ann1", "POST", "/api/v1/projects/reviews/jobs/export", json={"format": "csv"}
        ).status_code
        == 403
    )
    assert (
        env.call(
            "outsider", "POST", "/api/v1/projects/reviews/jobs/export", json={"format": "csv"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "xls"}, "format"),
        ({"format": "csv", "labels": "some"}, "labels"),
        ({"format": "csv", "extra": 1}, "extra"),
        ({"format": "csv", "aggregate": "mean"}, "aggregate"),
    ],
)
def test_bad_export_jobs_are_refused_and_start_nothing(
    env: Env, body: dict[str, Any], field: str
) -> None:
    """An unknown format, labels, key or aggregate is a 422 naming it; no job is made."""
    response = env.call("manager", "POST", "/api/v1/projects/reviews/jobs/export", json=body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert env.ok("manager", "GET", "/api/v1/jobs") == []


def test_cancelling_a_queued_job(db: Database, tmp_path: Path) -> None:
    """With no consumer running, a queued job cancelled stays cancelled; cancelling again
    or a finished job changes nothing."""
    two_projects(db, REVIEWS, [{"text": "a"}])
    tokens, _ = add_people(db, PEOPLE)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        env = Env(client, tokens, db)
        job = env.ok(
            "manager", "POST", "/api/v1/projects/reviews/jobs/export", 202, json={"format": "jsonl"}
        )
        first = env.ok("manager", "POST", f"/api/v1/jobs/{job['id']}/cancel")
        again = env.ok("manager", "POST", f"/api/v1/jobs/{job['id']}/cancel")
        assert (first["state"], first["finished_at"] is not None) == ("cancelled", True)
        assert again == first
        assert env.call("ann1", "POST", f"/api/v1/jobs/{job['id']}/cancel").status_code == 404
        listed = env.ok("manager", "GET", "/api/v1/jobs?state=cancelled")
        assert [j["id"] for j in listed] == [job["id"]]
        assert env.call("manager", "GET", "/api/v1/jobs?state=lost").status_code == 422
