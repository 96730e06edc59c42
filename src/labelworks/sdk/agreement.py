"""The agreement part of the client: inter-annotator agreement of a project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.agreement import AgreementOut
from labelworks.sdk.paths import segment


class AgreementApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def agreement(self, project: str, field: str | None = None) -> dict[str, Any]:
        """Agreement per categorical field (or the one ``field``), as ``{"project",
        "fields": {FIELD: {"items", "ratings", "annotators", "krippendorff_alpha",
        "fleiss_kappa", "gwet_ac1", "labels", "pairwise", …}}}``, each coefficient
        ``{"value", "low", "high"}`` with its 95% bootstrap interval (``None`` where
        undefined); reviewers, managers and admins outside any vendor."""
        response = self._request(
            "GET", f"/projects/{segment(project)}/agreement", params={"field": field}
        )
        return AgreementOut.model_validate(response.json()).model_dump()
