"""The lots part of the client: lots of annotations judged by acceptance sampling — make
one (its exact plan and drawn sample), list them, read one with its sample, and record an
auditor's verdict on a sampled annotation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx
from pydantic import TypeAdapter

from labelworks.schemas.lots import LotDetailOut, LotOut
from labelworks.sdk.paths import segment

_LOTS = TypeAdapter(list[LotOut])


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


class LotsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def lots(self, project: str) -> list[dict[str, Any]]:
        """The project's lots, oldest first: ``id``, ``name``, ``selector``, ``size``,
        ``plan`` (``sample_size``, ``acceptance_number``, risks, …), ``status``
        (``auditing``, ``accepted``, ``rejected``), ``decision`` (``None`` until decided),
        ``created_at`` and ``decided_at`` (UTC datetimes)."""
        response = self._request("GET", f"/projects/{segment(project)}/lots")
        return [lot.model_dump() for lot in _LOTS.validate_python(response.json())]

    def create_lot(
        self, project: str, name: str, aql: float, ltpd: float, **selector: Any
    ) -> dict[str, Any]:
        """Make a lot of the annotations ``selector`` picks (``import_id``, ``vendor``,
        ``since``, ``until``; at least one) and draw its sample by the exact plan for its
        size, ``aql`` and ``ltpd`` (also ``producer_risk``, ``consumer_risk``, ``seed``).
        Returns the lot, as ``lots`` lists it. Needs the manage right."""
        body = {"name": name, "aql": aql, "ltpd": ltpd}
        body.update({key: _wire(value) for key, value in selector.items()})
        response = self._request("POST", f"/projects/{segment(project)}/lots", json_body=body)
        return LotOut.model_validate(response.json()).model_dump()

    def lot(self, project: str, lot_id: int) -> dict[str, Any]:
        """One lot with ``summary`` (its plan in words), ``audited``, ``defects`` and
        ``samples``: ``annotation_id``, ``item_id``, ``payload``, ``value``, ``verdict``
        (``None``, ``"ok"`` or ``"defect"``) and ``note``."""
        response = self._request("GET", f"/projects/{segment(project)}/lots/{lot_id}")
        return LotDetailOut.model_validate(response.json()).model_dump()

    def audit_lot_sample(
        self, project: str, lot_id: int, annotation_id: int, defect: bool, note: str = ""
    ) -> dict[str, Any]:
        """Mark a sampled annotation ok or defective; the last verdict decides the lot
        (returned, with its ``decision`` once decided). A decided lot raises ``Conflict``."""
        url = f"/projects/{segment(project)}/lots/{lot_id}/samples/{annotation_id}"
        response = self._request("POST", url, json_body={"defect": defect, "note": note})
        return LotOut.model_validate(response.json()).model_dump()
