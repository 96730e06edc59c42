"""The jobs part of the client: background jobs (imports, exports and other long work) —
list and read them, wait for one, cancel it, start an export and download its file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter

from labelworks.domain.errors import LabelworksError
from labelworks.schemas.jobs import JobOut
from labelworks.sdk.paths import segment

_JOBS = TypeAdapter(list[JobOut])
FINISHED = ("succeeded", "failed", "cancelled")


class JobFailed(LabelworksError):
    """A job the caller waited for ended failed or cancelled; ``job`` is its last state."""

    code = "job_failed"

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        super().__init__(f"job {job['id']} {job['state']}: {job.get('error') or 'no error given'}")


class JobsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def jobs(
        self,
        *,
        project: str | None = None,
        state: str | None = None,
        kind: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """The jobs the caller may see, newest first: ``id``, ``kind``, ``project``,
        ``state`` (queued, running, succeeded, failed, cancelled), ``done``/``total``,
        ``result``, ``error``, ``attempts``, ``started_by``, times."""
        params = {
            "project": project,
            "state": state,
            "kind": kind,
            "before": before,
            "limit": limit,
        }
        response = self._request("GET", "/jobs", params=params)
        return [job.model_dump() for job in _JOBS.validate_python(response.json())]

    def job(self, job_id: int) -> dict[str, Any]:
        """One job as ``jobs`` lists it."""
        return JobOut.model_validate(self._request("GET", f"/jobs/{job_id}").json()).model_dump()

    def cancel_job(self, job_id: int) -> dict[str, Any]:
        """Cancel a queued job, or ask a running one to stop; returns the job."""
        response = self._request("POST", f"/jobs/{job_id}/cancel")
        return JobOut.model_validate(response.json()).model_dump()

    def wait_job(
        self, job_id: int, *, timeout: float = 3600.0, poll: float = 0.5
    ) -> dict[str, Any]:
        """Wait until the job ends; returns it when it succeeded, else raises ``JobFailed``
        (``TimeoutError`` after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["state"] in FINISHED:
                if job["state"] != "succeeded":
                    raise JobFailed(job)
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout:g} s")
            time.sleep(poll)

    def start_export_job(
        self,
        project: str,
        format: str = "jsonl",
        *,
        labels: str = "final",
        aggregate: str | None = None,
    ) -> dict[str, Any]:
        """Export in the background (any row or dataset format); returns the queued job.
        Needs the review right."""
        body: dict[str, Any] = {"format": format, "labels": labels}
        if aggregate is not None:
            body["aggregate"] = aggregate
        response = self._request(
            "POST", f"/projects/{segment(project)}/jobs/export", json_body=body
        )
        return JobOut.model_validate(response.json()).model_dump()

    def start_job(
        self, project: str, kind: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Start a job of ``kind`` (export, media, duplicates, pii, sample, train) on the
        project with its parameters (as the CLI's options: ``{"text_key": "text",
        "keep_one": True}``); returns the queued job. Follow it with ``wait_job``."""
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/jobs",
            json_body={"kind": kind, "params": params or {}},
        )
        return JobOut.model_validate(response.json()).model_dump()

    def download_job_result(self, job_id: int, path: str | Path) -> Path:
        """Save a finished export job's file to ``path``; returns it."""
        response = self._request("GET", f"/jobs/{job_id}/download")
        target = Path(path)
        target.write_bytes(response.content)
        return target
