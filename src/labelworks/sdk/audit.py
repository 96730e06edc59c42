"""The audit part of the client: browse and export a project's audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.audit import AuditPageOut
from labelworks.sdk.paths import segment

_PAGE = 500


class AuditApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def audit_trail(self, project: str, action: str | None = None) -> list[dict[str, Any]]:
        """Every audit event of the project (optionally one ``action``), oldest first:
        ``id``, ``at`` (UTC datetime), ``actor`` (email or None for the system), ``action``,
        ``subject``, ``details``, ``guideline_version``; managers outside vendors."""
        url = f"/projects/{segment(project)}/audit"
        params: dict[str, Any] = {"limit": _PAGE, "after": 0}
        if action is not None:
            params["action"] = action
        rows: list[dict[str, Any]] = []
        while True:
            page = AuditPageOut.model_validate(self._request("GET", url, params=params).json())
            rows.extend(e.model_dump() for e in page.events)
            if page.next_after is None:
                return rows
            params["after"] = page.next_after

    def export_audit(self, project: str, format: str = "jsonl") -> bytes:
        """The whole trail as JSONL or CSV bytes."""
        url = f"/projects/{segment(project)}/audit/export"
        return self._request("GET", url, params={"format": format}).content
