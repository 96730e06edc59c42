"""Starting, reading and cancelling jobs, with who may see what.

A job of a project is visible to admins, to whoever started it, and to the project's
managers — behind a vendor wall only the jobs their own vendor's people started. A job's
result file (an export) is for the one who started it and for admins: it was written with
the starter's permissions.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from labelworks.domain.access import Action, Actor, allowed, wall
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.jobs import live
from labelworks.jobs.kinds import kind_of
from labelworks.services.access import project_for
from labelworks.storage import jobs as job_store
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.jobs import STATES, JobRow

MAX_LIST = 200


def create_job(
    db: Database,
    kind: str,
    params: dict[str, Any],
    *,
    project: str | None,
    actor: Actor | None,
    total: int | None = None,
    foreground: bool = False,
) -> JobRow:
    """Record a queued job after checking the actor may start it; the caller enqueues it.
    A ``foreground`` job is one a command runs itself (``runner.recorded``): its parameters
    describe the command and are recorded as given, marked ``foreground``, with one
    attempt."""
    job_kind = kind_of(kind)
    cleaned = {**params, "foreground": True} if foreground else job_kind.check(params)

    def work(conn: Any) -> int:
        project_id = None
        if project is not None:
            project_id = project_for(conn, actor, project, job_kind.action).id
        elif actor is not None and not actor.is_admin and job_kind.action is Action.MANAGE:
            raise InvalidInput(f"a {kind} job needs a project")
        return job_store.create(
            conn,
            kind=kind,
            project_id=project_id,
            params=cleaned,
            started_by=None if actor is None else actor.id,
            max_attempts=1 if foreground else job_kind.max_attempts,
            total=total,
            now=utcnow(),
        )

    job_id = db.run_write(work)
    with db.read() as conn:
        row = job_store.get(conn, job_id)
    assert row is not None
    return row


def _may_see(conn: Any, actor: Actor | None, job: JobRow) -> bool:
    if actor is None or actor.is_admin or job.started_by_id == actor.id:
        return True
    if job.project_id is None:
        return False
    member = user_store.is_member(conn, job.project_id, actor.id)
    if not allowed(actor, Action.MANAGE, member=member):
        return False
    walled = wall(actor)
    return walled is None or job.started_by_vendor == walled


def _with_live(job: JobRow, data_dir: Path | None) -> JobRow:
    """A running job as it is now: on SQLite its progress is in its live file."""
    if data_dir is None or job.state != "running":
        return job
    state = live.read(data_dir, job.id)
    if state is None:
        return job
    return replace(
        job,
        done=int(state.get("done") or 0),
        total=state.get("total") if state.get("total") is not None else job.total,
        cancel_requested=job.cancel_requested or live.stop_asked(data_dir, job.id),
    )


def get_job(
    db: Database, job_id: int, *, actor: Actor | None = None, data_dir: Path | None = None
) -> JobRow:
    """The job, or ``NotFound`` for one the actor may not see (ids are not an oracle).
    ``data_dir`` reads a running job's live progress on SQLite."""
    with db.read() as conn:
        job = job_store.get(conn, job_id)
        if job is None or not _may_see(conn, actor, job):
            raise NotFound(f"job {job_id} does not exist")
    return _with_live(job, data_dir if db.is_sqlite else None)


def list_jobs(
    db: Database,
    *,
    actor: Actor | None = None,
    project: str | None = None,
    state: str | None = None,
    kind: str | None = None,
    before: int | None = None,
    limit: int = 50,
    data_dir: Path | None = None,
) -> list[JobRow]:
    """The jobs the actor may see, newest first (keyset paging with ``before``)."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}, not '{state}'")
    if not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIST}")
    if kind is not None:
        kind_of(kind)
    with db.read() as conn:
        project_id = None
        if project is not None:
            project_id = project_for(conn, actor, project, Action.VIEW).id
        scope: list[int] | None = None
        if actor is not None and not actor.is_admin:
            manages = allowed(actor, Action.MANAGE, member=True)
            scope = user_store.project_ids_of(conn, actor.id) if manages else []
        rows = job_store.listing(
            conn,
            project_ids=scope,
            project_id=project_id,
            state=state,
            kind=kind,
            mine=None if actor is None else actor.id,
            vendor=wall(actor),
            before=before,
            limit=limit,
        )
    live_dir = data_dir if db.is_sqlite else None
    return [_with_live(r, live_dir) for r in rows]


def cancel_job(
    db: Database, job_id: int, *, actor: Actor | None = None, data_dir: Path | None = None
) -> JobRow:
    """Cancel a queued job, or ask a running one to stop at its next progress report.
    Whoever may see a job may cancel it; a finished job stays as it is. On SQLite a running
    job is asked through its live file (``data_dir``): its import may hold the database's
    one write lock until it ends."""
    job = get_job(db, job_id, actor=actor)
    if job.state == "running" and db.is_sqlite and data_dir is not None:
        live.ask_to_stop(data_dir, job_id)
    else:
        db.run_write(lambda conn: job_store.request_cancel(conn, job_id, utcnow()))
    return get_job(db, job_id, actor=actor, data_dir=data_dir)


def may_download(job: JobRow, actor: Actor | None) -> bool:
    return actor is None or actor.is_admin or job.started_by_id == actor.id


def project_name_of(db: Database, project_id: int) -> str:
    with db.read() as conn:
        row = project_store.by_id(conn, project_id)
    if row is None:
        raise NotFound(f"project {project_id} does not exist")
    return row.name
