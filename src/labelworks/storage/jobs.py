"""Job rows: created queued, claimed once, advanced by progress reports, finished once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from labelworks.storage.tables import jobs, projects, users, vendors

STATES = ("queued", "running", "succeeded", "failed", "cancelled")
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kind: str
    project_id: int | None
    project: str | None
    state: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    error_code: str | None
    done: int
    total: int | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    started_by: str | None
    started_by_id: int | None
    started_by_vendor: str | None
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None


def _query() -> Any:
    return (
        select(
            jobs,
            projects.c.name.label("project_name"),
            users.c.email.label("started_by_email"),
            vendors.c.name.label("started_by_vendor"),
        )
        .outerjoin(projects, projects.c.id == jobs.c.project_id)
        .outerjoin(users, users.c.id == jobs.c.started_by)
        .outerjoin(vendors, vendors.c.id == users.c.vendor_id)
    )


def _row(r: Any) -> JobRow:
    return JobRow(
        id=r.id,
        kind=r.kind,
        project_id=r.project_id,
        project=r.project_name,
        state=r.state,
        params=json.loads(r.params),
        result=None if r.result is None else json.loads(r.result),
        error=r.error,
        error_code=r.error_code,
        done=int(r.done),
        total=None if r.total is None else int(r.total),
        attempts=r.attempts,
        max_attempts=r.max_attempts,
        cancel_requested=bool(r.cancel_requested),
        started_by=r.started_by_email,
        started_by_id=r.started_by,
        started_by_vendor=r.started_by_vendor,
        worker=r.worker,
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        heartbeat_at=r.heartbeat_at,
    )


def create(
    conn: Connection,
    *,
    kind: str,
    project_id: int | None,
    params: dict[str, Any],
    started_by: int | None,
    max_attempts: int,
    total: int | None,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(jobs)
            .values(
                kind=kind,
                project_id=project_id,
                state="queued",
                params=json.dumps(params, sort_keys=True),
                started_by=started_by,
                max_attempts=max_attempts,
                total=total,
                created_at=now,
            )
            .returning(jobs.c.id)
        ).scalar_one()
    )


def get(conn: Connection, job_id: int) -> JobRow | None:
    row = conn.execute(_query().where(jobs.c.id == job_id)).first()
    return None if row is None else _row(row)


def listing(
    conn: Connection,
    *,
    project_ids: list[int] | None,
    project_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    mine: int | None = None,
    vendor: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[JobRow]:
    """Newest first. ``project_ids`` limits to jobs of those projects started by someone
    of ``vendor`` (when given), plus the jobs ``mine`` started (``None``: every job)."""
    query = _query().order_by(jobs.c.id.desc()).limit(limit)
    if project_ids is not None:
        theirs: Any = jobs.c.project_id.in_(project_ids)
        if vendor is not None:
            theirs = theirs & (vendors.c.name == vendor)
        query = query.where(theirs | (jobs.c.started_by == mine))
    if project_id is not None:
        query = query.where(jobs.c.project_id == project_id)
    if state is not None:
        query = query.where(jobs.c.state == state)
    if kind is not None:
        query = query.where(jobs.c.kind == kind)
    if before is not None:
        query = query.where(jobs.c.id < before)
    return [_row(r) for r in conn.execute(query)]


def claim(conn: Connection, job_id: int, worker: str, now: datetime) -> bool:
    """Move a queued job to running for ``worker``; False when it is not queued (another
    consumer claimed it, or it was cancelled): the guard that runs each job once."""
    result = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == "queued")
        .values(
            state="running",
            attempts=jobs.c.attempts + 1,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            error=None,
        )
    )
    return bool(result.rowcount)


def report(conn: Connection, job_id: int, done: int, total: int | None, now: datetime) -> bool:
    """Record progress; returns whether cancelling was asked for."""
    values: dict[str, Any] = {"done": done, "heartbeat_at": now}
    if total is not None:
        values["total"] = total
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
    asked = conn.execute(select(jobs.c.cancel_requested).where(jobs.c.id == job_id)).scalar()
    return bool(asked)


def finish(
    conn: Connection,
    job_id: int,
    *,
    state: str,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    error_code: str | None = None,
    done: int | None = None,
    total: int | None = None,
) -> None:
    figures: dict[str, Any] = {}
    if done is not None:
        figures["done"] = done
    if total is not None:
        figures["total"] = total
    if state == "cancelled":
        figures["cancel_requested"] = True
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == "running")
        .values(
            **figures,
            state=state,
            result=None if result is None else json.dumps(result, sort_keys=True, default=str),
            error=error,
            error_code=error_code,
            finished_at=now,
            heartbeat_at=now,
        )
    )


def requeue(conn: Connection, job_id: int, error: str, now: datetime) -> None:
    """Put a failed attempt back in the queue (it keeps its attempt count and error)."""
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == "running")
        .values(state="queued", error=error, heartbeat_at=now, done=0)
    )


def request_cancel(conn: Connection, job_id: int, now: datetime) -> str:
    """Cancel a queued job at once, ask a running one to stop; returns the state after."""
    queued = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == "queued")
        .values(state="cancelled", cancel_requested=True, finished_at=now)
    )
    if queued.rowcount:
        return "cancelled"
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == "running")
        .values(cancel_requested=True)
    )
    return str(conn.execute(select(jobs.c.state).where(jobs.c.id == job_id)).scalar_one())


def stale_running(conn: Connection, older_than: datetime) -> list[int]:
    """Running jobs whose consumer has not reported since ``older_than`` (it died)."""
    query = select(jobs.c.id).where(jobs.c.state == "running", jobs.c.heartbeat_at < older_than)
    return [int(i) for i in conn.execute(query).scalars()]


def abandon(conn: Connection, job_id: int, now: datetime) -> bool:
    """Give a dead consumer's job back: queued again if it has attempts left, cancelled if
    someone had asked it to stop, failed otherwise. Returns whether it was queued again."""
    row = conn.execute(
        select(jobs.c.attempts, jobs.c.max_attempts, jobs.c.cancel_requested).where(
            jobs.c.id == job_id, jobs.c.state == "running"
        )
    ).first()
    if row is None:
        return False
    if row.cancel_requested:
        state = "cancelled"
    else:
        state = "queued" if row.attempts < row.max_attempts else "failed"
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state == "running")
        .values(
            state=state,
            error="its worker stopped reporting (the process died or was killed)",
            finished_at=None if state == "queued" else now,
            done=0 if state == "queued" else jobs.c.done,
        )
    )
    return state == "queued"
