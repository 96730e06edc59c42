"""The privacy part of the client: the PII screening report of a project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.pii import PiiReportOut
from labelworks.sdk.paths import segment


class PiiApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def pii_report(self, project: str) -> dict[str, Any]:
        """What the project's privacy policy finds in its items: ``items`` screened,
        ``affected``, ``findings``, ``by_kind``, ``items_by_kind``, ``by_key``, the policy
        (``configured``, ``detect``, ``keys``, ``analyser``, ``audiences``) and ``listed``:
        the first affected items with ``kinds``, ``keys`` and masked ``samples``. Needs
        the manage right."""
        response = self._request("GET", f"/projects/{segment(project)}/pii")
        return PiiReportOut.model_validate(response.json()).model_dump()
