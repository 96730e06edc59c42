"""The agreement part of the client: inter-annotator agreement of a project."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from labelworks.schemas.agreement import AgreementOut
from labelworks.sdk.paths import segment


class AgreementApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def agreement(
        self,
        project: str,
        field: str | None = None,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        vendor: str | None = None,
    ) -> dict[str, Any]:
        """Agreement per field (or the one ``field``) over the annotations submitted in
        ``[since, until)`` (a datetime, naive meaning UTC, or ISO text) by ``vendor``'s
        people, as ``{"project", "filters", "fields": {FIELD: {"items", "ratings",
        "annotators", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "labels",
        "pairwise", "confusion", "contested", "annotator_agreement", "structured", …}}}``,
        each coefficient ``{"value", "low", "high"}`` with its 95% bootstrap interval
        (``None`` where undefined); reviewers, managers and admins (a vendor's staff: their
        own vendor's annotations only)."""
        params = {
            "field": field,
            "since": since.isoformat() if isinstance(since, datetime) else since,
            "until": until.isoformat() if isinstance(until, datetime) else until,
            "vendor": vendor,
        }
        response = self._request("GET", f"/projects/{segment(project)}/agreement", params=params)
        return AgreementOut.model_validate(response.json()).model_dump()
