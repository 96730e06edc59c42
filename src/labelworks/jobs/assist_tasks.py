"""The ``train`` job kind (the baseline model of a project's ``assist`` spec) and the
periodic check that starts it when enough new final labels came in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from labelworks.domain.access import Action
from labelworks.jobs import records
from labelworks.jobs.kinds import JobContext, JobKind, listed, register
from labelworks.services import assist
from labelworks.storage import jobs as job_store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database, utcnow

log = logging.getLogger("labelworks.jobs")

# A project whose last training failed (too few usable labels, one label only) is tried
# again after this long at the earliest, not at every minute's check.
RETRY_AFTER = timedelta(hours=1)


def _check_train(params: dict[str, Any]) -> dict[str, Any]:
    return {"auto": params.get("auto", False) is True}


def _run_train(ctx: JobContext) -> dict[str, Any]:
    model = assist.train(
        ctx.db,
        ctx.project,
        actor=ctx.actor,
        job_id=ctx.job.id,
        progress=ctx.progress,
        auto=ctx.params.get("auto", False),
    )
    result = asdict(model)
    result["trained_at"] = model.trained_at.isoformat() + "Z"
    return result


def _train_what(params: dict[str, Any]) -> str:
    return "started by new final labels" if params.get("auto") else ""


def _train_outcome(r: dict[str, Any]) -> str:
    if "accuracy" not in r:
        return listed(r)
    return (
        f"version {r['version']}: {r['accuracy']:.1%} held-out accuracy "
        f"({r['low']:.0%}–{r['high']:.0%}) from {r['labels']:,} labels; "
        f"{r['suggested']:,} suggestions"
    )


TRAIN = register(
    JobKind(
        name="train",
        title="Train the baseline model",
        action=Action.MANAGE,
        # Replaces its own suggestions and records one more version: a rerun harms nothing.
        max_attempts=2,
        check=_check_train,
        run=_run_train,
        what=_train_what,
        outcome=_train_outcome,
    )
)


def _waiting(db: Database, project: str) -> bool:
    """Whether a training of the project is queued or running, or failed lately."""
    with db.read() as conn:
        row = project_store.by_name(conn, project)
        if row is None:
            return True
        recent = job_store.listing(conn, project_ids=None, project_id=row.id, kind="train", limit=1)
    if not recent:
        return False
    last = recent[0]
    if last.state in ("queued", "running"):
        return True
    return last.state == "failed" and utcnow() - last.created_at < RETRY_AFTER


def start_due_trainings(db: Database, enqueue: Callable[[int], None]) -> list[int]:
    """Queue a training for each project that is due one; returns the new jobs' ids."""
    started = []
    for project in assist.due_projects(db):
        if _waiting(db, project):
            continue
        job = records.create_job(db, "train", {"auto": True}, project=project, actor=None)
        enqueue(job.id)
        started.append(job.id)
        log.info("job %s: training the baseline model of %s", job.id, project)
    return started
