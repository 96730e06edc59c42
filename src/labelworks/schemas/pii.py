"""Wire models of the PII screening report (``GET /projects/{p}/pii``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AffectedItemOut(BaseModel):
    """An item where personal data was found: kinds, keys and masked samples."""

    item_id: int
    external_id: str | None
    kinds: list[str]
    keys: list[str]
    samples: list[str] = Field(description="found values, masked but for their ends")


class PiiReportOut(BaseModel):
    """What the project's privacy policy finds: counts by kind and payload key, items
    affected, and the first affected items. ``configured`` is false when the project has no
    ``privacy`` section (the scan used the default policy)."""

    project: str
    configured: bool
    detect: list[str]
    keys: list[str] | None
    analyser: bool
    audiences: dict[str, str]
    items: int
    affected: int
    findings: int
    by_kind: dict[str, int]
    items_by_kind: dict[str, int]
    by_key: dict[str, int]
    listed: list[AffectedItemOut]
