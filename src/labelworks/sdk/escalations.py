"""The escalation part of the client: the queue of annotators' flags, an expert's
resolution, and the edge-case library. (Annotators flag with ``flag=`` on ``submit`` and
``skip``.)"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from labelworks.schemas.escalations import (
    MAX_PAGE,
    EdgeCasePageOut,
    EscalationOut,
    EscalationPageOut,
    ResolveIn,
)
from labelworks.sdk.paths import segment


class EscalationsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def escalations(self, project: str, status: str = "open") -> list[dict[str, Any]]:
        """Every flag of the project of ``status`` (``open``, ``resolved``, or ``all``),
        oldest first: ``id``, ``item_id``, ``external_id``, ``payload``, ``kind``,
        ``comment``, ``annotation`` (the annotator's own answer when they flagged with a
        submit), ``flagged_by`` (email), ``flagged_by_name``, ``vendor``, ``created_at``
        (a UTC datetime), ``status``, and the resolution: ``answer``, ``note``,
        ``guideline_section``, ``made_gold``, ``resolved_by``, ``resolved_at``, ``url``;
        fetched a page at a time. Vendors' staff and annotators are refused
        (``PermissionDenied``)."""
        url = f"/projects/{segment(project)}/escalations"
        params: dict[str, Any] = {"status": status, "limit": MAX_PAGE}
        return self._pages(url, params, EscalationPageOut)

    def resolve_escalation(
        self,
        project: str,
        escalation_id: int,
        note: str,
        *,
        answer: Mapping[str, Any] | None = None,
        guideline_section: str | None = None,
        make_gold: bool = False,
    ) -> dict[str, Any]:
        """Resolve an open flag with a note, optionally the answer (checked like an
        annotation) and the guideline section that must change; ``make_gold`` also makes
        the item a gold question with that answer. Returns the resolved case (as
        ``escalations`` gives it); a second resolution raises ``Conflict``."""
        body = ResolveIn(
            note=note,
            answer=None if answer is None else dict(answer),
            guideline_section=guideline_section,
            make_gold=make_gold,
        )
        url = f"/projects/{segment(project)}/escalations/{escalation_id}/resolve"
        response = self._request("POST", url, json_body=body.model_dump(exclude_none=True))
        return EscalationOut.model_validate(response.json()).model_dump()

    def edge_cases(self, project: str, q: str | None = None) -> list[dict[str, Any]]:
        """The project's edge-case library (resolved flags, oldest first), with ``q`` only
        the cases whose comment, note, guideline section or item content holds it
        (ignoring case): ``id``, ``item_id``, ``external_id``, ``payload``, ``kind``,
        ``comment``, ``answer``, ``note``, ``guideline_section``, ``made_gold``,
        ``resolved_by``, ``resolved_at`` and ``url``, the link guidelines cite it by."""
        url = f"/projects/{segment(project)}/edge-cases"
        return self._pages(url, {"q": q, "limit": MAX_PAGE}, EdgeCasePageOut)

    def _pages(
        self,
        url: str,
        params: dict[str, Any],
        model: type[EscalationPageOut] | type[EdgeCasePageOut],
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after = 0
        while True:
            response = self._request("GET", url, params={**params, "after": after})
            page = model.model_validate(response.json())
            rows.extend(row.model_dump() for row in page.items)
            if page.next_after is None:
                return rows
            after = page.next_after
