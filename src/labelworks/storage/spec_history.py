"""A project's spec revisions and guideline versions, read back: the lists without their
(possibly large) texts, and one revision's spec or one version's guidelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from labelworks.storage.projects import GuidelineRow, to_guideline
from labelworks.storage.tables import guideline_versions, spec_revisions


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """One spec revision: its number, whether it was applied with ``force``, and when."""

    revision: int
    forced: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One guideline version without its text: its number, changelog line, and when."""

    version: int
    changelog: str
    created_at: datetime


def revisions(conn: Connection, project_id: int) -> list[RevisionRow]:
    """The project's spec revisions, oldest first."""
    r = spec_revisions.c
    rows = conn.execute(
        select(r.revision, r.forced, r.created_at)
        .where(r.project_id == project_id)
        .order_by(r.revision)
    )
    return [RevisionRow(int(n), bool(forced), at) for n, forced, at in rows]


def spec_at(conn: Connection, project_id: int, revision: int) -> tuple[RevisionRow, str] | None:
    """Revision ``revision`` and the spec JSON it stored; ``None`` if there is none."""
    r = spec_revisions.c
    row = conn.execute(
        select(r.revision, r.forced, r.created_at, r.spec).where(
            r.project_id == project_id, r.revision == revision
        )
    ).first()
    if row is None:
        return None
    return RevisionRow(int(row.revision), bool(row.forced), row.created_at), str(row.spec)


def versions(conn: Connection, project_id: int) -> list[VersionRow]:
    """The project's guideline versions, oldest first, without their texts."""
    g = guideline_versions.c
    rows = conn.execute(
        select(g.version, g.changelog, g.created_at)
        .where(g.project_id == project_id)
        .order_by(g.version)
    )
    return [VersionRow(int(v), str(log), at) for v, log, at in rows]


def guidelines_at(conn: Connection, project_id: int, version: int) -> GuidelineRow | None:
    """Guideline version ``version`` with its text; ``None`` if there is none."""
    g = guideline_versions.c
    row = conn.execute(
        select(guideline_versions).where(g.project_id == project_id, g.version == version)
    ).first()
    return None if row is None else to_guideline(row)
