"""The near-duplicates and sampling part of the client: clusters of near-duplicate items,
keeping one item per cluster, and sampling items of a project into another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.duplicates import DuplicateReportOut, KeptOneOut
from labelworks.schemas.sampling import SampleOut
from labelworks.sdk.paths import segment


class DuplicatesApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def find_duplicates(
        self,
        project: str,
        *,
        text_key: str | None = None,
        image_key: str | None = None,
        threshold: float = 0.85,
    ) -> dict[str, Any]:
        """Clusters of near-duplicate items by ``text_key`` (MinHash) or ``image_key``
        (perceptual hash): ``clusters`` (``size``, ``representative``, ``members`` with
        ``id``, ``external_id``, ``preview``), ``scanned``, ``duplicates``, ``skipped``."""
        params: dict[str, Any] = {"threshold": threshold}
        if text_key is not None:
            params["text_key"] = text_key
        if image_key is not None:
            params["image_key"] = image_key
        response = self._request("GET", f"/projects/{segment(project)}/duplicates", params=params)
        return DuplicateReportOut.model_validate(response.json()).model_dump()

    def keep_one_per_cluster(
        self,
        project: str,
        *,
        text_key: str | None = None,
        image_key: str | None = None,
        threshold: float = 0.85,
    ) -> dict[str, Any]:
        """Delete every member of each cluster but its earliest item (all or nothing;
        ``Conflict`` naming the items if anyone has worked on them). Returns the report
        with ``removed``, the ids deleted."""
        body = {"text_key": text_key, "image_key": image_key, "threshold": threshold}
        response = self._request(
            "POST", f"/projects/{segment(project)}/duplicates/keep-one", json_body=body
        )
        return KeptOneOut.model_validate(response.json()).model_dump()

    def sample_items(
        self, project: str, *, strategy: str, n: int, into: str, **options: Any
    ) -> dict[str, Any]:
        """Sample ``n`` items by ``strategy`` (random, stratified, diverse, uncertain) and
        copy them into ``into``; ``options``: ``by``, ``vectors``, ``measure``, ``equal``,
        ``seed``, ``preview``. Returns ``picks`` (``item``, ``reason``), ``allocation``
        per stratum, ``seed``, ``inserted`` and ``skipped_duplicates``."""
        body = {"strategy": strategy, "n": n, "into": into, **options}
        response = self._request("POST", f"/projects/{segment(project)}/sample", json_body=body)
        return SampleOut.model_validate(response.json()).model_dump()
