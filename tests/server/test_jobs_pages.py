"""The Jobs pages: a project's Jobs tab and /jobs list jobs with state, progress and
result; the export form starts a job that the app's consumer runs and whose file the page
links; the cancel form cancels; annotators see only their own; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, REVIEWS, csrf_of, fast_passwords, log_in, two_projects

from labelworks.config import Settings
from labelworks.jobs import records
from labelworks.server.app import create_app
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PEOPLE = {
    "manager": ("boss@example.com", "manager", None),
    "ann": ("ann@acme.example", "annotator", "acme"),
}


@dataclass
class Site:
    app: Any
    db: Database

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'reviews' with three items (one with markup), a manager and an annotator."""
    fast_passwords(monkeypatch)
    two_projects(db, REVIEWS, [{"text": "a"}, {"text": "<b>bold</b>"}, {"text": "c"}])
    for email, role, vendor in PEOPLE.values():
        add_user(db, email, role=role, vendor=vendor, projects=["reviews"])
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db, run_jobs=True)
    with TestClient(app):
        yield Site(app, db)


def _wait(db: Database, job_id: int) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = records.get_job(db, job_id).state
        if state not in ("queued", "running"):
            return state
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_the_export_form_starts_a_job_whose_file_the_tab_links(site: Site) -> None:
    """Starting an export from the Jobs tab queues a job; once the consumer ran it the tab
    shows it succeeded, its counts, and a link that downloads the file."""
    client, csrf = site.session("manager")
    empty = client.get("/projects/reviews/jobs")
    assert empty.status_code == 200
    assert 'data-testid="no-jobs"' in empty.text
    assert 'aria-current="page" data-testid="tab-jobs"' in empty.text
    form = {"csrf_token": csrf, "format": "csv", "labels": "final"}
    started = client.post("/projects/reviews/jobs/export", data=form)
    assert (started.status_code, started.headers["location"]) == (303, "/projects/reviews/jobs")
    [job] = records.list_jobs(site.db)
    assert _wait(site.db, job.id) == "succeeded"
    page = client.get("/projects/reviews/jobs").text
    assert "Export job" in page and "started" in page  # the notice the form left
    assert re.search(r'data-testid="job-state">succeeded<', page)
    assert "3 items" in page
    link = f'href="/api/v1/jobs/{job.id}/download"'
    assert link in page
    csv = client.get(f"/api/v1/jobs/{job.id}/download")
    assert csv.status_code == 200 and "&lt;b&gt;" not in csv.text and "<b>bold</b>" in csv.text
    everything = client.get("/jobs").text
    assert f'data-job="{job.id}"' in everything and 'href="/projects/reviews/jobs"' in everything


def test_a_queued_job_is_cancelled_from_the_page(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no consumer, a queued job shows a Cancel button; pressing it cancels the job
    and the page says so; a bad format starts nothing and says why."""
    fast_passwords(monkeypatch)
    two_projects(db, REVIEWS, [{"text": "a"}])
    for email, role, vendor in PEOPLE.values():
        add_user(db, email, role=role, vendor=vendor, projects=["reviews"])
        set_password(db, email, PASSWORD)
    site = Site(create_app(Settings(data_dir=tmp_path / "data"), database=db), db)
    client, csrf = site.session("manager")
    client.post("/projects/reviews/jobs/export", data={"csrf_token": csrf, "format": "jsonl"})
    [job] = records.list_jobs(db)
    page = client.get("/projects/reviews/jobs").text
    assert 'data-testid="job-cancel"' in page and "waiting for a worker" in page
    done = client.post(
        f"/jobs/{job.id}/cancel", data={"csrf_token": csrf, "next": "/projects/reviews/jobs"}
    )
    assert (done.status_code, done.headers["location"]) == (303, "/projects/reviews/jobs")
    after = client.get("/projects/reviews/jobs").text
    assert f"Job {job.id} cancelled." in after
    assert records.get_job(db, job.id).state == "cancelled"
    bad = client.post("/projects/reviews/jobs/export", data={"csrf_token": csrf, "format": "xls"})
    assert bad.status_code == 303
    assert "Nothing was started" in client.get("/projects/reviews/jobs").text
    assert len(records.list_jobs(db)) == 1
    forged = client.post(f"/jobs/{job.id}/cancel", data={"csrf_token": "nope"})
    assert forged.status_code == 403
    elsewhere = client.post(
        f"/jobs/{job.id}/cancel", data={"csrf_token": csrf, "next": "//evil.example"}
    )
    assert elsewhere.headers["location"] == "/jobs"


def test_an_annotator_sees_no_one_elses_jobs(site: Site) -> None:
    """An annotator's Jobs pages list nothing of the manager's and offer no export form."""
    manager, csrf = site.session("manager")
    manager.post("/projects/reviews/jobs/export", data={"csrf_token": csrf, "format": "jsonl"})
    ann, _ = site.session("ann")
    for url in ("/jobs", "/projects/reviews/jobs"):
        page = ann.get(url)
        assert page.status_code == 200
        assert 'data-testid="no-jobs"' in page.text
        assert 'data-testid="export-job-form"' not in page.text
