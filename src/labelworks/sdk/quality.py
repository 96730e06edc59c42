"""The consensus part of the client: final labels, the consensus summary and refit, the
adjudication queue and an expert's decision, the consistency report, and the crowd
simulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from labelworks.schemas.consistency import ConsistencyReportOut
from labelworks.schemas.quality import (
    MAX_CASES_PAGE,
    MAX_FINALS_PAGE,
    CasePageOut,
    ConsensusOut,
    FinalLabelPageOut,
    RefitOut,
    SimulationOut,
)
from labelworks.sdk.paths import segment

# A simulation of the largest size a request takes runs for minutes, not seconds.
SIMULATION_TIMEOUT = 900.0


class QualityApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def final_labels(self, project: str, status: str | None = None) -> list[dict[str, Any]]:
        """Every final label of the project in item order (only those of ``status``:
        ``final``, ``adjudication`` or ``adjudicated``): ``item_id``, ``external_id``,
        ``value``, ``method``, ``confidence``, ``fields`` (confidence per field),
        ``status``, ``annotation_ids``, ``decided_at`` (a UTC datetime), ``decided_by``
        (the adjudicator's email, or ``None``) and ``note``; fetched a page at a time.
        Vendors' staff are refused (``PermissionDenied``)."""
        url = f"/projects/{segment(project)}/final-labels"
        rows: list[dict[str, Any]] = []
        after = 0
        while True:
            params = {"status": status, "after": after, "limit": MAX_FINALS_PAGE}
            page = FinalLabelPageOut.model_validate(self._request("GET", url, params=params).json())
            rows.extend(row.model_dump() for row in page.items)
            if page.next_after is None:
                return rows
            after = page.next_after

    def consensus_summary(self, project: str) -> dict[str, Any]:
        """How the project decides final labels (``method``, ``dynamic_overlap``), its
        final labels per status (``counts``), ``without_final`` (ordinary items with none
        yet) and its fitted ``model`` (``method``, ``fitted_at``, ``n_annotations``) or
        ``None``."""
        response = self._request("GET", f"/projects/{segment(project)}/consensus")
        return ConsensusOut.model_validate(response.json()).model_dump()

    def consistency_report(self, project: str) -> dict[str, Any]:
        """Test–retest agreement from the consistency audits (``quality.retest``):
        ``rate`` and ``after`` (the rule, ``None`` when off), ``retests``, ``same`` (the
        share answered the same both times: ``same``, ``total``, ``share``, ``low``,
        ``high`` — a 95% Wilson interval), ``fields`` (per field ``pairs`` as ``same`` and
        ``kappa``), the same per annotator in ``annotators``, and the latest retests in
        ``recent`` (``email``, ``item_id``, ``first``, ``second``, ``first_at``, ``at``,
        ``same``). Behind a vendor wall: that vendor's people only."""
        response = self._request("GET", f"/projects/{segment(project)}/consistency")
        return ConsistencyReportOut.model_validate(response.json()).model_dump()

    def refit_consensus(self, project: str) -> dict[str, int]:
        """Fit the consensus model now and re-decide every item that reached its overlap;
        returns how many are ``final``, went back for ``more`` annotations, and wait to
        ``adjudicate``. A project that keeps no final labels raises ``Conflict``."""
        response = self._request("POST", f"/projects/{segment(project)}/consensus/refit")
        return RefitOut.model_validate(response.json()).model_dump()

    def adjudication_queue(self, project: str) -> list[dict[str, Any]]:
        """Every item waiting for an expert, oldest first: ``item_id``, ``external_id``,
        ``payload``, ``proposal`` (consensus's pick) and its ``confidence``,
        ``annotations`` as ``{alias, value}`` (annotators anonymised) and
        ``disagreements`` (field -> whether the annotations differ)."""
        url = f"/projects/{segment(project)}/adjudication"
        cases: list[dict[str, Any]] = []
        after = 0
        while True:
            params = {"after": after, "limit": MAX_CASES_PAGE}
            page = CasePageOut.model_validate(self._request("GET", url, params=params).json())
            cases.extend(case.model_dump() for case in page.items)
            if page.next_after is None:
                return cases
            after = page.next_after

    def adjudicate(
        self, project: str, item_id: int, value: Mapping[str, Any], note: str = ""
    ) -> None:
        """Decide an item's final label as an expert, checked like an annotation; the
        decision records who made it and ``note``, and consensus never overrides it."""
        url = f"/projects/{segment(project)}/items/{item_id}/adjudicate"
        self._request("POST", url, json_body={"value": dict(value), "note": note})

    def simulate(
        self, spec: Mapping[str, Any], *, timeout: float = SIMULATION_TIMEOUT, **settings: Any
    ) -> dict[str, Any]:
        """Run ``spec``'s quality settings on a simulated crowd on the server and return the
        report (``labelworks simulate --json``'s). ``settings`` are the crowd: ``items``
        (at most 5,000), ``annotators`` (at most 200), ``spammers``, ``skill`` (low,
        high), ``classes``, ``drift``, ``gold_items``, ``seed``, ``baseline``; managers
        and admins. A simulation already running on the server raises ``Conflict``."""
        body = {"spec": dict(spec), **settings}
        response = self._request("POST", "/simulations", json_body=body, timeout=timeout)
        return SimulationOut.model_validate(response.json()).model_dump()
