"""Stored evaluations of model versions (``eval_runs``): each keeps its whole report, so it
reads back as it was computed even after more labels or predictions arrive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from labelworks.storage.model_tables import eval_runs
from labelworks.storage.sql import read_time


@dataclass(frozen=True, slots=True)
class EvalRunRow:
    id: int
    model: str
    version: str
    field: str
    against: str
    slice_key: str | None
    items: int
    headline: float | None
    created_at: datetime
    created_by: str | None
    report: dict[str, Any]


def add(conn: Connection, project_id: int, values: dict[str, Any]) -> int:
    """Record a run; ``values`` holds every column but ``id`` and ``project_id``, with
    ``report`` as a dict."""
    record = {**values, "project_id": project_id, "report": json.dumps(values["report"])}
    key = conn.execute(insert(eval_runs).values(**record)).inserted_primary_key
    assert key is not None
    return int(key[0])


def runs(
    conn: Connection, project_id: int, *, limit: int = 50, before: int | None = None
) -> list[EvalRunRow]:
    """The project's runs, newest first (``before``: older than that run id)."""
    query = select(eval_runs).where(eval_runs.c.project_id == project_id)
    if before is not None:
        query = query.where(eval_runs.c.id < before)
    rows = conn.execute(query.order_by(eval_runs.c.id.desc()).limit(limit))
    return [_row(r) for r in rows]


def count(conn: Connection, project_id: int) -> int:
    query = select(func.count()).select_from(eval_runs).where(eval_runs.c.project_id == project_id)
    return int(conn.execute(query).scalar_one())


def run(conn: Connection, project_id: int, run_id: int) -> EvalRunRow | None:
    found = conn.execute(
        select(eval_runs).where(eval_runs.c.project_id == project_id, eval_runs.c.id == run_id)
    ).first()
    return None if found is None else _row(found)


def _row(r: Any) -> EvalRunRow:
    return EvalRunRow(
        id=int(r.id),
        model=r.model,
        version=r.version,
        field=r.field,
        against=r.against,
        slice_key=r.slice_key,
        items=int(r.items),
        headline=r.headline,
        created_at=read_time(r.created_at),
        created_by=r.created_by,
        report=json.loads(r.report),
    )
