"""The guidelines part of the client: acknowledging a new version, and re-queueing work
made under older ones."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labelworks.schemas.guidelines import RequeuedOut
from labelworks.sdk.paths import segment


class GuidelinesApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def acknowledge_guidelines(self, project: str, version: int) -> None:
        """Say the caller has read guideline ``version`` (the current one); until they do,
        ``next_task`` answers ``GuidelinesChanged`` with the changelog and a short diff."""
        self._request("POST", f"/projects/{segment(project)}/guidelines/{version}/acknowledge")

    def requeue_outdated(
        self,
        project: str,
        *,
        before_version: int | None = None,
        field: str | None = None,
        label: str | int | None = None,
    ) -> int:
        """Send back the annotations made under guideline versions older than
        ``before_version`` (default: the current one), optionally only those with ``label``
        in ``field``, for their annotators to redo; returns how many."""
        body = {"before_version": before_version, "field": field, "label": label}
        response = self._request(
            "POST", f"/projects/{segment(project)}/guidelines/requeue", json_body=body
        )
        return RequeuedOut.model_validate(response.json()).requeued
