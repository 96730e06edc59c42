"""``labelworks jobs`` (list, show, cancel, wait) and ``labelworks worker`` (a consumer)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from labelworks.cli.context import (
    console,
    err_console,
    progress_bar,
    reported,
    state,
)
from labelworks.domain.errors import InvalidInput, LabelworksError, error_class
from labelworks.jobs import records
from labelworks.jobs.kinds import JobCancelled, JobContext, kind_of
from labelworks.jobs.queue import JobQueue
from labelworks.jobs.runner import Recorded, recorded
from labelworks.services import privacy
from labelworks.storage.jobs import FINISHED, JobRow

app = typer.Typer(
    help="Background jobs: imports, exports and other long work, with their progress.",
    invoke_without_command=True,
)

MAX_ID = 2**31 - 1


def job_dict(job: JobRow) -> dict[str, Any]:
    """A job as the CLI's --json and the API write it."""

    def when(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat() + "Z"

    return {
        "id": job.id,
        "kind": job.kind,
        "project": job.project,
        "state": job.state,
        "params": job.params,
        "done": job.done,
        "total": job.total,
        "result": job.result,
        "error": job.error,
        "error_code": job.error_code,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "cancel_requested": job.cancel_requested,
        "started_by": job.started_by,
        "worker": job.worker,
        "created_at": when(job.created_at),
        "started_at": when(job.started_at),
        "finished_at": when(job.finished_at),
    }


def _progress_text(job: JobRow) -> str:
    if job.total:
        return f"{job.done:,}/{job.total:,} ({100 * job.done / job.total:.0f}%)"
    return f"{job.done:,}" if job.done else ""


def _id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(f"job id must be between 1 and {MAX_ID}")
    return value


@app.callback()
def jobs_command(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", help="only this project's jobs"),
    job_state: str | None = typer.Option(
        None, "--state", help="queued, running, succeeded, failed or cancelled"
    ),
    kind: str | None = typer.Option(None, "--kind", help="import, export, …"),
    limit: int = typer.Option(50, "--limit", help="how many, newest first (at most 200)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List jobs, newest first (or run a subcommand: show, cancel, wait)."""
    if ctx.invoked_subcommand is not None:
        return
    with reported():
        db = state(ctx).database()
        rows = records.list_jobs(db, project=project, state=job_state, kind=kind, limit=limit)
        if as_json:
            console.print_json(json.dumps([job_dict(r) for r in rows]))
            return
        if not rows:
            console.print("no jobs")
            return
        table = Table("id", "kind", "project", "state", "progress", "started", "by", "error")
        for r in rows:
            table.add_row(
                str(r.id),
                r.kind,
                escape(r.project or "—"),
                r.state,
                _progress_text(r),
                r.created_at.strftime("%Y-%m-%d %H:%M"),
                escape(r.started_by or "local"),
                escape((r.error or "")[:80]),
            )
        console.print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., help="the job's id"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """One job with its parameters, progress, result or error."""
    with reported():
        job = records.get_job(state(ctx).database(), _id(job_id))
        data = job_dict(job)
        if as_json:
            console.print_json(json.dumps(data))
            return
        for key, value in data.items():
            shown = json.dumps(value) if isinstance(value, dict) else value
            console.print(f"[bold]{key}[/]: {escape(str(shown))}", highlight=False)


@app.command("cancel")
def cancel_command(
    ctx: typer.Context, job_id: int = typer.Argument(..., help="the job's id")
) -> None:
    """Cancel a queued job, or ask a running one to stop."""
    with reported():
        job = records.cancel_job(state(ctx).database(), _id(job_id))
        said = "cancelled" if job.state == "cancelled" else f"{job.state}; asked to stop"
        console.print(f"job {job.id}: {said}")


def follow(ctx: typer.Context, job_id: int, label: str) -> JobRow:
    """Show a queued or running job's progress until it ends; returns its last row."""
    db = state(ctx).database()
    with progress_bar(label) as update:
        while True:
            job = records.get_job(db, job_id)
            update(job.done, job.total)
            if job.state in FINISHED:
                return job
            time.sleep(0.5)


@contextmanager
def recorded_here(
    ctx: typer.Context, kind: str, params: dict[str, Any], project: str | None
) -> Iterator[Recorded]:
    """Record the work this command does itself as a job, listed by ``labelworks jobs`` and
    on the Jobs pages while it runs; ``labelworks jobs cancel`` stops it. The command keeps
    its own output, messages and exit codes."""
    db = state(ctx).database()
    job = records.create_job(db, kind, params, project=project, actor=None, foreground=True)
    try:
        with recorded(db, state(ctx).settings, job.id) as here:
            yield here
    except JobCancelled:
        raise LabelworksError(
            f"job {job.id} ({kind}) was cancelled (labelworks jobs cancel) before it finished"
        ) from None


@contextmanager
def recorded_bar(
    ctx: typer.Context, kind: str, params: dict[str, Any], project: str | None, label: str
) -> Iterator[tuple[Callable[[int, int | None], None], Recorded]]:
    """``recorded_here`` with a Rich bar: the ``progress(done, total)`` it yields feeds both."""
    with recorded_here(ctx, kind, params, project) as job, progress_bar(label) as update:

        def progress(done: int, total: int | None) -> None:
            update(done, total)
            job.progress(done, total)

        yield progress, job


def run_here(
    ctx: typer.Context, kind: str, params: dict[str, Any], project: str, label: str
) -> dict[str, Any]:
    """Run a job of ``kind`` in this process as a terminal job (``recorded_bar``): its
    parameters checked as a queued job's are, its progress drawn as a Rich bar, its
    refusals going on as they are (code, message, exit code); returns its result."""
    job_kind = kind_of(kind)
    with recorded_bar(ctx, kind, job_kind.check(params), project, label) as (progress, here):
        db = state(ctx).database()

        def report(done: int, total: int | None) -> bool:
            progress(done, total)  # raises JobCancelled once someone asked it to stop
            return False

        job = records.get_job(db, here.job_id)
        work = JobContext(job=job, db=db, settings=state(ctx).settings, actor=None, report=report)
        here.result = job_kind.run(work)
    return here.result


def queue_here(ctx: typer.Context, kind: str, params: dict[str, Any], project: str) -> None:
    """Record a job and put it on the queue for a worker (or a running server) to run."""
    settings = state(ctx).settings
    db = state(ctx).database()
    job = records.create_job(db, kind, params, project=project, actor=None)
    JobQueue(settings, db).enqueue(job.id)
    where = "labelworks worker" if settings.redis_url else "labelworks serve or worker"
    console.print(
        f"job {job.id} queued ({kind}); {where} runs it. Follow it: labelworks jobs wait {job.id}",
        highlight=False,
    )


@app.command("wait")
def wait_command(
    ctx: typer.Context,
    job_id: int = typer.Argument(..., help="the job's id"),
    as_json: bool = typer.Option(False, "--json", help="print the finished job as JSON"),
) -> None:
    """Follow a job's progress until it ends; exits non-zero unless it succeeded."""
    with reported():
        job = follow(ctx, _id(job_id), f"job {job_id}")
        if as_json:
            console.print_json(json.dumps(job_dict(job)))
        else:
            console.print(f"job {job.id}: {job.state}" + (f" — {job.error}" if job.error else ""))
            file = (job.result or {}).get("file")
            if job.state == "succeeded" and isinstance(file, str):
                path = state(ctx).settings.data_dir / "jobs" / str(job.id) / file
                console.print(f"file: {escape(str(path))}", highlight=False, soft_wrap=True)
        if job.state == "failed" and job.error_code is not None:
            # The refusal that failed it, raised again: its code and exit code, as if the
            # work had run here.
            raise error_class(job.error_code)(f"job {job.id} failed: {job.error}")
        if job.state != "succeeded":
            raise LabelworksError(f"job {job.id} {job.state}")


def worker_command(
    ctx: typer.Context,
    concurrency: int = typer.Option(2, "--concurrency", help="jobs run at once (threads)"),
) -> None:
    """Run a job consumer until interrupted (Ctrl-C finishes the jobs in hand first)."""
    with reported():
        if not 1 <= concurrency <= 64:
            raise InvalidInput("--concurrency must be between 1 and 64")
        settings = state(ctx).settings
        # Jobs screen and redact with the analyser the server would use (exports for a
        # redacting audience, PII scans).
        privacy.install_setting(settings.pii_analyser)
        queue = JobQueue(settings, state(ctx).database())
        where = (settings.redis_url and "Redis") or str(settings.data_dir / "jobs-queue.db")
        err_console.print(f"labelworks worker: {concurrency} thread(s) on {escape(where)}")
        queue.consumer(concurrency).run()
