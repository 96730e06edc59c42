"""The gold part of the client: expert answers, the gold report, and pausing, reinstating
and requeueing an annotator's work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from labelworks.schemas.gold import GoldPageOut, GoldReportOut, RequeueOut
from labelworks.sdk.paths import segment

_PAGE = 500  # the server's largest page of gold items


class GoldApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def mark_gold(
        self, project: str, item_id: int, value: Mapping[str, Any], explanation: str = ""
    ) -> None:
        """Make an item gold with the expert's answer (replacing an earlier one), checked
        like an annotation; managers and admins outside any vendor only."""
        body = {"value": dict(value), "explanation": explanation}
        self._request("PUT", f"/projects/{segment(project)}/items/{item_id}/gold", json_body=body)

    def unmark_gold(self, project: str, item_id: int) -> None:
        """Return a gold item to ordinary work (its gold results stay in the record)."""
        self._request("DELETE", f"/projects/{segment(project)}/items/{item_id}/gold")

    def gold_answers(self, project: str) -> list[dict[str, Any]]:
        """Every gold item with its expert answer and how often it was answered (correctly):
        ``item_id``, ``external_id``, ``value``, ``explanation``, ``created_at`` (a UTC
        datetime), ``answered``, ``correct``; fetched a page at a time."""
        url = f"/projects/{segment(project)}/gold"
        rows: list[dict[str, Any]] = []
        after = 0
        while True:
            response = self._request("GET", url, params={"after": after, "limit": _PAGE})
            page = GoldPageOut.model_validate(response.json())
            rows.extend(row.model_dump() for row in page.items)
            if page.next_after is None:
                return rows
            after = page.next_after

    def gold_report(self, project: str) -> dict[str, Any]:
        """Each annotator's gold accuracy, overall and per field, as ``{correct, total,
        accuracy, low, high}`` (the 95% Wilson interval; ``None`` with no answers), and
        who is paused and why; behind a vendor wall, that vendor's people only."""
        response = self._request("GET", f"/projects/{segment(project)}/gold/report")
        return GoldReportOut.model_validate(response.json()).model_dump()

    def pause_annotator(self, project: str, email: str, reason: str) -> None:
        """Pause a member: no tasks until reinstated; ``reason`` is shown to them."""
        url = f"/projects/{segment(project)}/members/{segment(email)}/pause"
        self._request("POST", url, json_body={"reason": reason})

    def reinstate_annotator(self, project: str, email: str) -> None:
        """Lift a pause; the next auto-pause counts only gold answers from now on."""
        self._request("POST", f"/projects/{segment(project)}/members/{segment(email)}/reinstate")

    def requeue_annotations(self, project: str, email: str, reason: str | None = None) -> int:
        """Send every annotation the person made on ordinary items back for others to redo;
        returns how many were sent back."""
        url = f"/projects/{segment(project)}/members/{segment(email)}/requeue"
        body = {} if reason is None else {"reason": reason}
        return RequeueOut.model_validate(self._request("POST", url, json_body=body).json()).requeued
