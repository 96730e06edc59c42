"""Projects, their spec revisions and guideline versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from labelworks.storage.sql import Sql, read_time
from labelworks.storage.tables import guideline_versions, projects, spec_revisions


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    name: str
    description: str
    spec: str
    overlap: int
    lease_minutes: int
    priority: int
    spec_revision: int
    guideline_version: int | None
    created_at: datetime
    updated_at: datetime
    # When the project was archived (migration 0016): read-only, nothing leased or imported.
    archived_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GuidelineRow:
    version: int
    content: str
    changelog: str
    created_at: datetime


def _to_project(row: Any) -> ProjectRow:
    return ProjectRow(**{f: getattr(row, f) for f in ProjectRow.__slots__})


def by_name(conn: Connection, name: str, *, for_update: bool = False) -> ProjectRow | None:
    query = select(projects).where(projects.c.name == name)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _to_project(row)


# A project row as fixed SQL selects it (``project_from`` reads it back), table alias ``p``;
# the columns after it in a row start at ``PROJECT_WIDTH``.
PROJECT_COLUMNS = ", ".join(f"p.{name}" for name in ProjectRow.__slots__)
PROJECT_WIDTH = len(ProjectRow.__slots__)
_WITH_MEMBERSHIP = (
    f"SELECT {PROJECT_COLUMNS}, m.user_id FROM projects p LEFT JOIN memberships m "
    "ON m.project_id = p.id AND m.user_id = :user WHERE p.name = :name"
)
# Every request that names a project asks this first: fixed SQL (see ``storage.sql``).
_BY_NAME_WITH_MEMBERSHIP = Sql(_WITH_MEMBERSHIP)
_BY_NAME_WITH_MEMBERSHIP_LOCKED = Sql(
    _WITH_MEMBERSHIP, postgresql=_WITH_MEMBERSHIP + " FOR UPDATE OF p"
)


def by_name_with_membership(
    conn: Connection, name: str, user_id: int, *, for_update: bool = False
) -> tuple[ProjectRow | None, bool]:
    """The project and whether ``user_id`` is a member, in one query."""
    query = _BY_NAME_WITH_MEMBERSHIP_LOCKED if for_update else _BY_NAME_WITH_MEMBERSHIP
    row = query.one(conn, {"user": user_id, "name": name})
    if row is None:
        return None, False
    return project_from(row), row[PROJECT_WIDTH] is not None


def project_from(row: Sequence[Any]) -> ProjectRow:
    """The ``PROJECT_COLUMNS`` at the start of ``row`` as a ``ProjectRow``."""
    return ProjectRow(
        id=row[0],
        name=row[1],
        description=row[2],
        spec=row[3],
        overlap=row[4],
        lease_minutes=row[5],
        priority=row[6],
        spec_revision=row[7],
        guideline_version=row[8],
        created_at=read_time(row[9]),
        updated_at=read_time(row[10]),
        archived_at=None if row[11] is None else read_time(row[11]),
    )


def by_id(conn: Connection, project_id: int) -> ProjectRow | None:
    row = conn.execute(select(projects).where(projects.c.id == project_id)).first()
    return None if row is None else _to_project(row)


def all_projects(conn: Connection) -> list[ProjectRow]:
    return [_to_project(r) for r in conn.execute(select(projects).order_by(projects.c.name))]


def create(
    conn: Connection,
    *,
    name: str,
    description: str,
    spec: str,
    overlap: int,
    lease_minutes: int,
    priority: int,
    now: datetime,
) -> int:
    project_id = conn.execute(
        insert(projects)
        .values(
            name=name,
            description=description,
            spec=spec,
            overlap=overlap,
            lease_minutes=lease_minutes,
            priority=priority,
            spec_revision=1,
            created_at=now,
            updated_at=now,
        )
        .returning(projects.c.id)
    ).scalar_one()
    conn.execute(
        insert(spec_revisions).values(
            project_id=project_id, revision=1, spec=spec, forced=False, created_at=now
        )
    )
    return int(project_id)


def update_spec(
    conn: Connection,
    project: ProjectRow,
    *,
    description: str,
    spec: str,
    overlap: int,
    lease_minutes: int,
    priority: int,
    forced: bool,
    now: datetime,
) -> int:
    """Store a new spec revision; returns its number."""
    revision = project.spec_revision + 1
    conn.execute(
        update(projects)
        .where(projects.c.id == project.id)
        .values(
            description=description,
            spec=spec,
            overlap=overlap,
            lease_minutes=lease_minutes,
            priority=priority,
            spec_revision=revision,
            updated_at=now,
        )
    )
    conn.execute(
        insert(spec_revisions).values(
            project_id=project.id, revision=revision, spec=spec, forced=forced, created_at=now
        )
    )
    return revision


def add_guideline_version(
    conn: Connection, project_id: int, *, content: str, changelog: str, now: datetime
) -> int:
    current = conn.execute(
        select(func.max(guideline_versions.c.version)).where(
            guideline_versions.c.project_id == project_id
        )
    ).scalar()
    version = int(current or 0) + 1
    conn.execute(
        insert(guideline_versions).values(
            project_id=project_id,
            version=version,
            content=content,
            changelog=changelog,
            created_at=now,
        )
    )
    conn.execute(
        update(projects).where(projects.c.id == project_id).values(guideline_version=version)
    )
    return version


def current_guidelines(conn: Connection, project: ProjectRow) -> GuidelineRow | None:
    if project.guideline_version is None:
        return None
    row = conn.execute(
        select(guideline_versions).where(
            guideline_versions.c.project_id == project.id,
            guideline_versions.c.version == project.guideline_version,
        )
    ).first()
    return None if row is None else to_guideline(row)


def guideline_history(conn: Connection, project_id: int) -> list[GuidelineRow]:
    rows = conn.execute(
        select(guideline_versions)
        .where(guideline_versions.c.project_id == project_id)
        .order_by(guideline_versions.c.version)
    )
    return [to_guideline(r) for r in rows]


def to_guideline(row: Any) -> GuidelineRow:
    return GuidelineRow(
        version=int(row.version),
        content=str(row.content),
        changelog=str(row.changelog),
        created_at=row.created_at,
    )
