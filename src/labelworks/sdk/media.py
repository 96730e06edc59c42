"""The media part of the client: probe a project's media files and read the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.jobs import JobOut
from labelworks.schemas.media import MediaReportOut, MediaRunOut
from labelworks.sdk.paths import segment


class MediaApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]
    wait_job: Callable[..., dict[str, Any]]  # JobsApi's, mixed in beside this one

    def process_media(
        self,
        project: str,
        *,
        force: bool = False,
        workers: int = 1,
        wait: bool = True,
        timeout: float = 3600.0,
    ) -> dict[str, Any]:
        """Probe the project's media files that have no result yet (all with ``force``), as
        a background job. With ``wait`` (the default) returns the job's result: ``probed``,
        ``failed``, ``already_done`` and ``remote`` counts (``JobFailed`` if it failed);
        without, the queued job (follow it with ``wait_job``). Needs the manage right."""
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/media/process",
            json_body={"force": force, "workers": workers},
        )
        job = JobOut.model_validate(response.json()).model_dump()
        if not wait:
            return job
        finished = self.wait_job(job["id"], timeout=timeout)
        return MediaRunOut.model_validate(finished["result"]).model_dump()

    def media_report(self, project: str) -> dict[str, Any]:
        """Counts of probed media per kind, ``failed``, ``pending`` and ``remote``, and
        ``failures`` (``item_id``, ``external_id``, ``key``, ``reason``)."""
        response = self._request("GET", f"/projects/{segment(project)}/media")
        return MediaReportOut.model_validate(response.json()).model_dump()
