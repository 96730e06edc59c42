"""Job kinds for the data pipelines that outgrow a request: media processing."""

from __future__ import annotations

from typing import Any

from labelworks.domain.access import Action
from labelworks.domain.errors import InvalidInput
from labelworks.jobs.kinds import JobContext, JobKind, register
from labelworks.services.media_processing import MAX_WORKERS, process_media


def _check_media(params: dict[str, Any]) -> dict[str, Any]:
    force = params.get("force", False)
    workers = params.get("workers", 1)
    if not isinstance(force, bool):
        raise InvalidInput("job parameter 'force' must be true or false")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(
            f"job parameter 'workers' must be a whole number from 1 to {MAX_WORKERS}"
        )
    return {"force": force, "workers": workers}


def _run_media(ctx: JobContext) -> dict[str, Any]:
    data_dir = ctx.settings.data_dir
    run = process_media(
        ctx.db,
        ctx.project,
        media_dir=data_dir / "media",
        thumbnails_dir=data_dir / "thumbnails",
        only_missing=not ctx.params["force"],
        progress=ctx.progress,
        workers=ctx.params["workers"],
        actor=ctx.actor,
    )
    return {
        "probed": run.processed,
        "failed": run.failed,
        "already_done": run.skipped,
        "remote": run.remote,
    }


MEDIA = register(
    JobKind(
        name="media",
        title="Process media",
        action=Action.MANAGE,
        # Each batch is committed as it is probed; a run again probes only what is missing
        # (with force, again from the start), so a retry finishes the work and harms nothing.
        max_attempts=2,
        check=_check_media,
        run=_run_media,
        unit="files",
    )
)
