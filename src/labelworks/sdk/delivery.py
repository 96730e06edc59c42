"""The acceptance part of the client: a project measured against its acceptance criteria.

Delivering writes files on the server's disk, so it is the CLI's ``labelworks deliver``,
not a client method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.delivery import AcceptanceOut
from labelworks.sdk.paths import segment


class DeliveryApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def acceptance(self, project: str) -> dict[str, Any]:
        """The project's acceptance criteria, each ``{name, met, value, low, high, target,
        detail}`` (``None`` where it cannot be measured), with ``accepted``, agreement per
        categorical field with its 95% bootstrap interval, pooled gold accuracy with its
        Wilson interval, and the items by final-label status; reviewers, managers and
        admins outside any vendor."""
        response = self._request("GET", f"/projects/{segment(project)}/acceptance")
        return AcceptanceOut.model_validate(response.json()).model_dump()
