"""The latest things that happened to a project, newest first, one short query per source
(imports, spec revisions, guideline versions, audit events), each on an index by project."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from labelworks.storage.quality_tables import audit_events
from labelworks.storage.tables import guideline_versions, imports, spec_revisions, users


@dataclass(frozen=True, slots=True)
class Happening:
    """One thing that happened: ``kind`` names the source (import, spec, guidelines, or an
    audit action such as ``gold.mark``); ``facts`` what the page needs to say it."""

    at: datetime
    kind: str
    who: str | None
    facts: dict[str, Any]


def latest(conn: Connection, project_id: int, limit: int, *, audited: bool) -> list[Happening]:
    """Up to ``limit`` of the newest happenings; audit events (which name every vendor's
    people) only when ``audited``."""
    found = [
        Happening(
            r.created_at,
            "import",
            None,
            {
                "source": r.source,
                "rows": r.rows,
                "inserted": r.inserted,
                "skipped": r.skipped,
                "id": r.id,
            },
        )
        for r in conn.execute(
            select(imports)
            .where(imports.c.project_id == project_id)
            .order_by(imports.c.id.desc())
            .limit(limit)
        )
    ]
    found += [
        Happening(r.created_at, "spec", None, {"revision": r.revision, "forced": bool(r.forced)})
        for r in conn.execute(
            select(spec_revisions.c.created_at, spec_revisions.c.revision, spec_revisions.c.forced)
            .where(spec_revisions.c.project_id == project_id)
            .order_by(spec_revisions.c.revision.desc())
            .limit(limit)
        )
    ]
    found += [
        Happening(
            r.created_at, "guidelines", None, {"version": r.version, "changelog": r.changelog}
        )
        for r in conn.execute(
            select(
                guideline_versions.c.created_at,
                guideline_versions.c.version,
                guideline_versions.c.changelog,
            )
            .where(guideline_versions.c.project_id == project_id)
            .order_by(guideline_versions.c.version.desc())
            .limit(limit)
        )
    ]
    if audited:
        query = (
            select(audit_events, users.c.email)
            .outerjoin(users, users.c.id == audit_events.c.actor_id)
            .where(audit_events.c.project_id == project_id)
            .order_by(audit_events.c.id.desc())
            .limit(limit)
        )
        found += [
            Happening(
                r.created_at, r.action, r.email, {"subject": r.subject, **json.loads(r.details)}
            )
            for r in conn.execute(query)
        ]
    found.sort(key=lambda h: h.at, reverse=True)
    return found[:limit]
