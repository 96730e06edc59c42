"""The vendors part of the client: scorecards, terms, usage statements and comparisons.
Amounts of money come back as ``Decimal`` beside their currency; turnarounds in hours."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from labelworks.schemas.vendors import (
    ComparisonOut,
    ScorecardOut,
    ScorecardsOut,
    StatementOut,
    VendorOut,
)
from labelworks.sdk.paths import segment


class VendorsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def vendors(self, period: str | None = None) -> dict[str, Any]:
        """Every vendor's scorecard for ``period`` (``2026-11``, ``2026-W48``,
        ``2026-11-01..2026-11-30``; all time by default): ``{"period", "cards"}``, each card
        with volume by billing status, ``accuracy`` and ``review_acceptance`` (with 95%
        Wilson ``low``/``high``), ``lease`` and ``final`` turnarounds, ``cost``, ``weeks``,
        ``breaches`` and ``sla``. In-house people appear as ``internal``."""
        response = self._request("GET", "/vendors", params=_period(period))
        return ScorecardsOut.model_validate(response.json()).model_dump()

    def vendor(self, name: str, period: str | None = None) -> dict[str, Any]:
        """One vendor's scorecard (``internal``: the in-house people's)."""
        response = self._request("GET", f"/vendors/{segment(name)}", params=_period(period))
        return ScorecardOut.model_validate(response.json()).model_dump()

    def vendor_terms(self, name: str) -> dict[str, Any]:
        """``{"vendor", "terms", "updated_at"}``; ``terms`` is ``None`` until set."""
        response = self._request("GET", f"/vendors/{segment(name)}/terms")
        return VendorOut.model_validate(response.json()).model_dump()

    def set_vendor_terms(
        self,
        name: str,
        currency: str,
        *,
        per_annotation: Mapping[str, float] | None = None,
        per_hour: float | None = None,
        sla: Mapping[str, Any] | None = None,
        contact: str = "",
    ) -> dict[str, Any]:
        """Replace the vendor's terms (admins): ``per_annotation`` {field kind: price},
        ``per_hour``, ``sla`` (``percentile``, ``lease_to_submit_hours``,
        ``import_to_final_hours``, ``quality_floor``, ``weekly_volume``), ``contact``."""
        body = {
            "currency": currency,
            "per_annotation": dict(per_annotation or {}),
            "per_hour": per_hour,
            "sla": dict(sla or {}),
            "contact": contact,
        }
        response = self._request("PUT", f"/vendors/{segment(name)}/terms", json_body=body)
        return VendorOut.model_validate(response.json()).model_dump()

    def vendor_statement(self, name: str, period: str) -> dict[str, Any]:
        """The vendor's usage statement for ``period``: ``lines`` (one per annotation:
        ``annotation_id``, ``project``, ``item_id``, ``external_id``, ``annotator``,
        ``submitted_at``, ``kinds``, ``status``, ``seconds``, ``rate``, ``amount``),
        ``total`` and the counts behind it."""
        url = f"/vendors/{segment(name)}/statement"
        response = self._request("GET", url, params={"period": period})
        return StatementOut.model_validate(response.json()).model_dump()

    def vendor_statement_csv(self, name: str, period: str) -> str:
        """The statement's lines as CSV text."""
        url = f"/vendors/{segment(name)}/statement"
        return self._request("GET", url, params={"period": period, "format": "csv"}).text

    def compare_vendors(self, a: str, b: str, project: str) -> dict[str, Any]:
        """``a`` against ``b`` on the project's gold: ``difference`` (``design``,
        accuracies, ``estimate`` A − B, 95% ``low``/``high``, ``p_value``, ``significant``)
        and ``reading`` in words."""
        url = f"/vendors/{segment(a)}/compare/{segment(b)}"
        response = self._request("GET", url, params={"project": project})
        return ComparisonOut.model_validate(response.json()).model_dump()


def _period(period: str | None) -> dict[str, str]:
    return {} if period is None else {"period": period}
