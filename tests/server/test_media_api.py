"""The media routes in-process with Bearer tokens: a manager starts processing as a job the
app's consumer runs, the report lists counts and failures, bodies are checked strictly, and
who may do what; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.worlds import Bearer, add_people, api_client, staff
from tests.services.media_world import make_media_world

from labelworks.storage.engine import Database

URL = "/api/v1/projects/media/media"


@pytest.fixture
def env(db: Database, tmp_path: Path) -> Iterator[Bearer]:
    """The media world (projects 'media' and 'other') in the app's data dir, and the usual
    staff of project 'media'."""
    make_media_world(db, tmp_path / "data")
    make_media_world(db, tmp_path / "data", name="other")
    tokens, _ = add_people(db, staff("media"))
    with api_client(db, tmp_path, run_jobs=True) as client:
        yield Bearer(client, tokens)


def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _processed(env: Bearer, body: dict[str, Any]) -> Any:
    """Start a media job and wait for it; its result."""
    job = _json(env.call("manager", "POST", f"{URL}/process", json=body), 202)
    assert (job["kind"], job["state"], job["unit"]) == ("media", "queued", "files")
    deadline = time.monotonic() + 60
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
        job = _json(env.call("manager", "GET", f"/api/v1/jobs/{job['id']}"))
    assert (job["state"], job["done"], job["total"]) == ("succeeded", job["total"], job["total"])
    return job["result"]


def test_a_manager_processes_and_the_report_shows_it(env: Bearer) -> None:
    """A job probes eight files (four fail), a second finds nothing left; GET reports counts
    and the failures."""
    run = _processed(env, {})
    again = _processed(env, {"workers": 1})
    report = _json(env.call("reviewer", "GET", URL))
    assert (run, again) == (
        {"probed": 8, "failed": 4, "already_done": 0, "remote": 1},
        {"probed": 0, "failed": 0, "already_done": 8, "remote": 1},
    )
    assert (
        report["processed"],
        (report["failed"], report["pending"], report["remote"], report["truncated"]),
        sorted(f["external_id"] for f in report["failures"]),
    ) == (
        {"image": 2, "audio": 1, "timeseries": 1},
        (4, 0, 1, False),
        ["cut", "escape", "gone", "liar"],
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workers": 0}, "workers"),
        ({"workers": 33}, "workers"),
        ({"workers": "2x"}, "workers"),
        ({"force": "yes please"}, "force"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(env: Bearer, body: dict[str, Any], field: str) -> None:
    """Out-of-range workers, wrong types and unknown keys are refused before any work."""
    response = env.call("manager", "POST", f"{URL}/process", json=body)
    report = _json(env.call("manager", "GET", URL))
    assert (response.status_code, response.json()["location"]["field"], report["pending"]) == (
        422,
        field,
        8,
    )


def test_nan_and_bad_utf8_bodies_are_refused(env: Bearer) -> None:
    """A NaN literal and undecodable bytes are 422 like any bad JSON."""
    nan = env.call("manager", "POST", f"{URL}/process", content=b'{"workers": NaN}')
    utf = env.call("manager", "POST", f"{URL}/process", content=b'{"force": "\xff"}')
    assert (nan.status_code, utf.status_code) == (422, 422)


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("reviewer", "POST", "/process", 403),
        ("ann1", "POST", "/process", 403),
        ("ann1", "GET", "", 403),
        ("outsider", "GET", "", 404),
        ("outsider", "POST", "/process", 404),
    ],
)
def test_who_may_process_and_read(
    env: Bearer, who: str, method: str, path: str, status: int
) -> None:
    """Processing needs manage, the report review; strangers are told it does not exist."""
    kwargs: dict[str, Any] = {"json": {}} if method == "POST" else {}
    assert env.call(who, method, f"{URL}{path}", **kwargs).status_code == status
