"""The people analytics part of the client: each annotator's figures, per project and
across projects (``sdk.people`` manages the accounts themselves)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx

from labelworks.schemas.people_analytics import PeopleReportOut
from labelworks.sdk.paths import segment


def _period(
    period: str | None, since: date | str | None, until: date | str | None
) -> dict[str, str | None]:
    return {
        "period": period,
        "since": since.isoformat() if isinstance(since, date) else since,
        "until": until.isoformat() if isinstance(until, date) else until,
    }


class PeopleAnalyticsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def people_report(
        self,
        project: str,
        *,
        period: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        floor_seconds: float | None = None,
    ) -> PeopleReportOut:
        """Each annotator of the project for a period — an ISO week (``"2026-W48"``) or
        first and last days, all time by default: annotations per active hour, median
        seconds per item, gold accuracy, review acceptance, agreement with the final label
        and retest consistency with 95% intervals, percentiles within the team, weeks, the
        Dawid–Skene confusion matrix and the warning signs explained. Reviewers, managers
        and admins; a vendor's staff get their own vendor's people."""
        params = {**_period(period, since, until), "floor_seconds": floor_seconds}
        response = self._request("GET", f"/projects/{segment(project)}/people", params=params)
        return PeopleReportOut.model_validate(response.json())

    def people_overall(
        self,
        *,
        period: str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
    ) -> PeopleReportOut:
        """Everyone across the projects the caller reviews, counts pooled, with each
        project's warning signs named with it (not for annotators)."""
        response = self._request("GET", "/people", params=_period(period, since, until))
        return PeopleReportOut.model_validate(response.json())
