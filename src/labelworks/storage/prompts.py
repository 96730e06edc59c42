"""The prompt registry's rows: each version of each prompt, written once and never changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from labelworks.domain.prompts import PromptContent
from labelworks.storage.model_tables import prompts


@dataclass(frozen=True, slots=True)
class PromptRow:
    """One version of a prompt with its content."""

    name: str
    version: int
    content: PromptContent
    content_hash: str
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class PromptSummary:
    """A prompt in the list: its latest version (with that version's description), how
    many versions it has, and when the latest was pushed."""

    name: str
    latest: int
    versions: int
    description: str
    updated_at: datetime


def _row(row: Row[Any]) -> PromptRow:
    content = PromptContent(
        template=str(row.template),
        variables=json.loads(row.variables),
        parameters=json.loads(row.parameters),
        description=str(row.description),
    )
    return PromptRow(
        str(row.name),
        int(row.version),
        content,
        str(row.content_hash),
        row.created_at,
        row.created_by,
    )


def version_of(conn: Connection, name: str, version: int | None) -> PromptRow | None:
    """Version ``version`` of the prompt (``None``: its latest); ``None`` if there is none."""
    p = prompts.c
    query = select(prompts).where(p.name == name)
    query = query.where(p.version == version) if version is not None else query
    row = conn.execute(query.order_by(p.version.desc()).limit(1)).first()
    return None if row is None else _row(row)


def versions_of(conn: Connection, name: str) -> list[PromptRow]:
    """Every version of the prompt, oldest first (none: no such prompt)."""
    p = prompts.c
    return [
        _row(r) for r in conn.execute(select(prompts).where(p.name == name).order_by(p.version))
    ]


def summaries(conn: Connection) -> list[PromptSummary]:
    """Every prompt by name, with its latest version."""
    p = prompts.c
    latest = (
        select(p.name, func.max(p.version).label("latest"), func.count().label("versions"))
        .group_by(p.name)
        .subquery()
    )
    rows = conn.execute(
        select(latest.c.name, latest.c.latest, latest.c.versions, p.description, p.created_at)
        .join(prompts, (p.name == latest.c.name) & (p.version == latest.c.latest))
        .order_by(latest.c.name)
    )
    return [
        PromptSummary(str(r.name), int(r.latest), int(r.versions), str(r.description), r.created_at)
        for r in rows
    ]


def add_version(
    conn: Connection,
    name: str,
    version: int,
    content: PromptContent,
    *,
    now: datetime,
    created_by: str | None,
) -> PromptRow:
    """Insert version ``version``; a version of that number already there (a concurrent
    push) raises ``IntegrityError``."""
    conn.execute(
        insert(prompts).values(
            name=name,
            version=version,
            template=content.template,
            variables=json.dumps(content.variables, ensure_ascii=False),
            parameters=json.dumps(content.parameters, ensure_ascii=False),
            description=content.description,
            content_hash=content.content_hash,
            created_at=now,
            created_by=created_by,
        )
    )
    return PromptRow(name, version, content, content.content_hash, now, created_by)
