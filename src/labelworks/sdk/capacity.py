"""The capacity part of the client: a project's completion forecast with what-if knobs,
and the suggested allocation of people across projects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx

from labelworks.schemas.capacity import CapacityForecastOut, CapacityOut
from labelworks.sdk.paths import segment


class CapacityApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def forecast(
        self,
        project: str,
        *,
        deadline: date | str | None = None,
        confidence: float | None = None,
        headcount: int | None = None,
        overlap: float | None = None,
        gold_rate: float | None = None,
        review_rate: float | None = None,
        rate: float | None = None,
    ) -> CapacityForecastOut:
        """The work left, the P10/P50/P90 completion days and dates, the deadline at
        ``confidence`` with the headcount it needs, and the cost (reviewers and
        managers). Each knob replaces the spec's or the observed value: ``deadline``
        (after today), ``headcount`` (people planned), ``overlap``, ``gold_rate``,
        ``review_rate``, ``rate`` (price of one annotation)."""
        params = {
            "deadline": deadline.isoformat() if isinstance(deadline, date) else deadline,
            "confidence": confidence,
            "headcount": headcount,
            "overlap": overlap,
            "gold_rate": gold_rate,
            "review_rate": review_rate,
            "rate": rate,
        }
        response = self._request("GET", f"/projects/{segment(project)}/forecast", params=params)
        return CapacityForecastOut.model_validate(response.json())

    def capacity(self) -> CapacityOut:
        """The suggested allocation of people to the projects the caller manages, each
        move with its reason (managers and admins)."""
        return CapacityOut.model_validate(self._request("GET", "/capacity").json())
