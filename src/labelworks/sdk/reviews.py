"""The review part of the client: the review queue, a reviewer's decision and each
annotator's review outcomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from labelworks.schemas.reviews import MAX_REVIEWS_PAGE, ReviewPageOut, ReviewReportOut
from labelworks.sdk.paths import segment


class ReviewsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def reviews(self, project: str, status: str | None = "pending") -> list[dict[str, Any]]:
        """Every review of the project of ``status`` (``pending``, ``accepted``,
        ``rejected``, ``fixed``; ``None`` for all), oldest first: ``id``,
        ``annotation_id``, ``item_id``, ``external_id``, ``payload``, ``value`` (the
        annotation as submitted; ``None`` once a rejection set it aside), ``annotator``,
        ``vendor``, ``why`` (``first_n`` or ``sample``), ``status``, ``reason``,
        ``comment``, ``fixed_value``, ``created_at`` and ``decided_at`` (UTC datetimes);
        fetched a page at a time. Behind a vendor wall, that vendor's people's work only."""
        url = f"/projects/{segment(project)}/reviews"
        rows: list[dict[str, Any]] = []
        after = 0
        while True:
            params = {"status": status or "all", "after": after, "limit": MAX_REVIEWS_PAGE}
            page = ReviewPageOut.model_validate(self._request("GET", url, params=params).json())
            rows.extend(row.model_dump() for row in page.items)
            if page.next_after is None:
                return rows
            after = page.next_after

    def decide_review(
        self,
        project: str,
        review_id: int,
        decision: str,
        reason: str | None = None,
        comment: str = "",
        value: Mapping[str, Any] | None = None,
    ) -> None:
        """Decide a pending review: ``"accept"``; ``"reject"`` with ``reason``, one of the
        spec's reason codes (the item goes back for rework); or ``"fix"`` with ``value``,
        the corrected annotation (checked like one, kept beside the original). Your own
        work raises ``PermissionDenied``, a review decided already ``Conflict``."""
        body: dict[str, Any] = {"decision": decision, "reason": reason, "comment": comment}
        if value is not None:
            body["value"] = dict(value)
        url = f"/projects/{segment(project)}/reviews/{review_id}"
        self._request("POST", url, json_body=body)

    def review_report(self, project: str) -> dict[str, Any]:
        """Each reviewed annotator's outcomes, the lowest acceptance first: ``{"project",
        "annotators": [{"annotator", "vendor", "pending", "accepted", "rejected", "fixed",
        "decided", "acceptance", "low", "high"}]}``, acceptance being accepted of decided
        with its 95% Wilson interval (``None`` while nothing is decided)."""
        response = self._request("GET", f"/projects/{segment(project)}/reviews/report")
        return ReviewReportOut.model_validate(response.json()).model_dump()
