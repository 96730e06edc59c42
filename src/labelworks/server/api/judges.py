"""LLM judges of a project's evaluation campaign and prompt generations: list the judges,
run one (a job), read its calibration against people, and start a generation (a job)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query

from labelworks.config import Settings
from labelworks.domain.access import Actor
from labelworks.domain.errors import InvalidInput
from labelworks.jobs import records
from labelworks.jobs.queue import JobQueue
from labelworks.schemas.jobs import JobOut
from labelworks.schemas.judges import CalibrationOut, GenerateIn, JudgeSummaryOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.api.jobs import Queue, job_out
from labelworks.server.bodies import BODY, RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.params import ProjectName
from labelworks.services.campaign_outputs import check_outputs
from labelworks.services.generation import check_generation
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.judges import check_judge, list_judges
from labelworks.storage.engine import Database
from labelworks.storage.jobs import JobRow

router = APIRouter(prefix="/api/v1", tags=["evaluation"], responses=ERRORS)

JudgeName = Annotated[str, Path(min_length=1, max_length=64, description="judge name")]


@router.get(
    "/projects/{project}/judges", operation_id="judges", response_model=list[JudgeSummaryOut]
)
def judges(project: ProjectName, db: DB, actor: CurrentActor) -> list[JudgeSummaryOut]:
    """The campaign's judges (``evaluation.judges``) with their stored verdicts, malformed
    replies and failed requests so far. Needs the review right, outside vendors."""
    found = list_judges(db, project, actor=actor)
    return [JudgeSummaryOut.model_validate(j, from_attributes=True) for j in found]


@router.post(
    "/projects/{project}/judges/{judge}/runs",
    operation_id="run_judge",
    response_model=JobOut,
    status_code=202,
)
def run_judge(
    project: ProjectName, judge: JudgeName, db: DB, actor: CurrentActor, queue: Queue,
    settings: AppSettings, _may: MayManage,
) -> JobOut:  # fmt: skip
    """Queue a run of the judge over the campaign's items (a ``judge`` job: both orders for
    pairwise items, cached per request, so a re-run asks only for what is missing). Follow
    it at ``/api/v1/jobs/{id}``. An unknown judge, a prompt missing from the registry or a
    key variable the server may not send is refused before anything is queued. Needs the
    manage right, outside vendors."""
    check_judge(db, project, judge, settings=settings, actor=actor)
    row = records.create_job(db, "judge", {"judge": judge}, project=project, actor=actor)
    queue.enqueue(row.id)
    return job_out(row)


@router.get(
    "/projects/{project}/judges/{judge}/calibration",
    operation_id="judge_calibration",
    response_model=CalibrationOut,
)
def calibration(
    project: ProjectName,
    judge: JudgeName,
    db: DB,
    actor: CurrentActor,
    by: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> CalibrationOut:
    """How far the judge agrees with the people of the campaign: percent agreement and
    Cohen's κ with the human consensus (95% bootstrap intervals; per value of ``by``), its
    position bias and order inconsistency, its leaderboard beside the people's with
    Kendall's τ, and the items where they disagree most. Needs the review right, outside
    vendors."""
    report = judge_calibration(db, project, judge, by=by, actor=actor)
    return CalibrationOut.model_validate(wire(report))


@router.post(
    "/projects/{project}/generations",
    operation_id="generate",
    response_model=JobOut,
    status_code=202,
    openapi_extra=json_body_doc(GenerateIn, "import"),
)
def generate(
    project: ProjectName, db: DB, actor: CurrentActor, queue: Queue, settings: AppSettings,
    _may: MayManage, raw: RawBody,
) -> JobOut:  # fmt: skip
    """Queue a generation (a ``generate`` job): the registry prompt run over the project's
    items, each reply stored as a prediction of the model, version ``PROMPT-vN``. Needs the
    manage right. What could not start (an unknown prompt or field, a field generation
    cannot fill, a bad endpoint or key variable) is refused before anything is queued.
    With ``rows``, a campaign's outputs: the rows come back with ``as_model``'s output added,
    as the job's file (``/api/v1/jobs/{id}/download``); bad rows fail the job, naming the
    row and key."""
    body = parse_body(GenerateIn, raw)
    params = body.model_dump(exclude_none=True, exclude={"rows"})
    if body.rows is None:
        check_generation(db, project, settings=settings, actor=actor, **params)
        row = records.create_job(db, "generate", params, project=project, actor=actor)
        queue.enqueue(row.id)
        return job_out(row)
    if body.as_model is None or body.field is not None:
        raise InvalidInput("a campaign's outputs need as_model (one of its models), no field")
    rows = b"".join(orjson.dumps(r) + b"\n" for r in body.rows)
    queued = queue_outputs(db, queue, settings, project, actor, params, rows, "jsonl", BODY)
    return job_out(queued)


def queue_outputs(
    db: Database,
    queue: JobQueue,
    settings: Settings,
    project: str,
    actor: Actor,
    params: dict[str, Any],
    rows: bytes,
    fmt: str,
    source: str,
) -> JobRow:
    """Check and queue a campaign-output generation (``params["as_model"]`` names the
    campaign's model) of ``rows``, kept in the data directory until the job removes them."""
    options = {k: v for k, v in params.items() if k not in ("as_model", "field")}
    name = params["as_model"]
    check_outputs(db, project, name=name, settings=settings, actor=actor, **options)
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{fmt}"
    path.write_bytes(rows)
    staged = {"rows": str(path), "rows_format": fmt, "source": source, "staged": True}
    try:
        row = records.create_job(db, "generate", {**params, **staged}, project=project, actor=actor)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    queue.enqueue(row.id)
    return row
