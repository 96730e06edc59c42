"""The activity part of the client: what a project's Overview shows."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labelworks.schemas.activity import ActivityOut
from labelworks.sdk.paths import segment


class ActivityApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def activity(self, project: str) -> ActivityOut:
        """Annotations per day for the last 30 days, done against needed, the first
        categorical field's labels and the newest events (reviewers and managers)."""
        response = self._request("GET", f"/projects/{segment(project)}/activity")
        return ActivityOut.model_validate(response.json())
