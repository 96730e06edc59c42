"""Wire models of the audit trail."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from labelworks.schemas.api import UtcDatetime


class AuditEventOut(BaseModel):
    id: int
    at: UtcDatetime
    actor: str | None
    action: str
    subject: str
    details: dict[str, Any]
    guideline_version: int | None


class AuditPageOut(BaseModel):
    events: list[AuditEventOut]
    next_after: int | None
