"""The report part of the client: a project's weekly stakeholder report."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labelworks.schemas.report import ReportOut
from labelworks.sdk.paths import segment


class ReportApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def report(self, project: str, *, period: str | None = None) -> ReportOut:
        """The weekly stakeholder report of ISO week ``period`` (``2026-W48``; default this
        week) as data: progress and forecast, quality with intervals, vendors, risks."""
        response = self._request(
            "GET", f"/projects/{segment(project)}/report", params={"period": period}
        )
        return ReportOut.model_validate(response.json())

    def report_file(self, project: str, *, period: str | None = None, format: str = "html") -> str:
        """The same report as ``html`` (one file, charts as inline SVG) or ``md`` text."""
        response = self._request(
            "GET",
            f"/projects/{segment(project)}/report",
            params={"period": period, "format": format},
        )
        return response.text
