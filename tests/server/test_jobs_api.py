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


def test_pipeline_jobs_start_by_kind_and_end_with_their_reports(env: Env) -> None:
    """Near-duplicates, PII screening and a sample started through POST /projects/{p}/jobs
    run on the app's consumer and end with the services' own reports."""
    rows = [
        {"text": "Great blender, crushes ice in seconds and is easy to clean afterwards!"},
        {"text": "Great blender, crushes ice in seconds and is easy to clean afterwards!!"},
        {"text": "Write to me at jane.doe@example.com about the refund"},
    ]
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    env.ok("manager", "POST", "/api/v1/projects/reviews/items", content=body)
    url = "/api/v1/projects/reviews/jobs"
    started = {
        kind: env.ok(who, "POST", url, 202, json={"kind": kind, "params": params})
        for kind, who, params in (
            ("duplicates", "manager", {"text_key": "text", "threshold": 0.8}),
            ("pii", "manager", {}),
            ("sample", "admin", {"strategy": "random", "n": 2, "into": "other", "seed": 1}),
        )
    }
    done = {kind: env.finished("admin", job["id"]) for kind, job in started.items()}
    assert {k: (j["kind"], j["state"], j["error"]) for k, j in done.items()} == {
        "duplicates": ("duplicates", "succeeded", None),
        "pii": ("pii", "succeeded", None),
        "sample": ("sample", "succeeded", None),
    }
    clusters = done["duplicates"]["result"]["clusters"]
    assert [len(c["members"]) for c in clusters] == [2]
    assert (done["pii"]["result"]["affected"], done["pii"]["result"]["by_kind"]) == (
        1,
        {"email": 1},
    )
    sample = done["sample"]["result"]
    copied = sample["inserted"] + sample["skipped_duplicates"]  # 'other' has rows alike
    assert (sample["into"], len(sample["picks"]), copied) == ("other", 2, 2)


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("manager", {"kind": "import", "params": {"path": "/etc/passwd"}}, 422, "invalid_input"),
        ("manager", {"kind": "duplicates", "params": {}}, 422, "invalid_input"),
        (
            "manager",
            {"kind": "duplicates", "params": {"text_key": "text", "threshold": 2}},
            422,
            "invalid_input",
        ),
        ("manager", {"kind": "pii", "params": {"deep": {"er": 1}}}, 422, "invalid_input"),
        (
            "manager",
            {"kind": "sample", "params": {"strategy": "random", "n": True}},
            422,
            "invalid_input",
        ),
        ("manager", {"kind": "media", "extra": 1}, 422, "invalid_input"),
        (
            "reviewer",
            {"kind": "duplicates", "params": {"text_key": "text"}},
            403,
            "permission_denied",
        ),
        ("ann1", {"kind": "export", "params": {"format": "jsonl"}}, 403, "permission_denied"),
    ],
    ids=["import", "no key", "threshold", "pii params", "n", "extra", "reviewer", "annotator"],
)
def test_a_job_that_cannot_start_is_refused_before_it_is_queued(
    env: Env, who: str, body: dict[str, Any], status: int, code: str
) -> None:
    """Kinds people may not start, bad parameters and missing rights: an error, no job."""
    answer = env.call(who, "POST", "/api/v1/projects/reviews/jobs", json=body)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert env.ok("admin", "GET", "/api/v1/jobs") == []
