"""Near-duplicates and sampling: clusters of near-duplicate items, keeping one per
cluster, and sampling items of a project into another."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query

from labelworks.schemas.duplicates import DuplicateReportOut, KeepOneIn, KeptOneOut
from labelworks.schemas.sampling import SampleIn, SampleOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.params import ProjectName
from labelworks.services import duplicates, sampling

router = APIRouter(prefix="/api/v1", tags=["duplicates"], responses=ERRORS)


Key = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get(
    "/projects/{project}/duplicates",
    operation_id="find_duplicates",
    response_model=DuplicateReportOut,
)
def find_duplicates(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    text_key: Key = None,
    image_key: Key = None,
    threshold: Annotated[float, Query(gt=0, le=1, allow_inf_nan=False)] = 0.85,
) -> DuplicateReportOut:
    """Clusters of near-duplicate items by ``text_key`` (MinHash: estimated Jaccard of
    5-character shingles ≥ ``threshold``) or ``image_key`` (perceptual hashes at most
    ``floor((1 - threshold) * 64)`` bits apart), each with its earliest item as
    representative. Needs the manage right outside vendor walls."""
    report = duplicates.find_duplicates(
        db,
        project,
        text_key=text_key,
        image_key=image_key,
        threshold=threshold,
        media_root=Path(settings.data_dir) / "media",
        actor=actor,
    )
    return DuplicateReportOut.model_validate(duplicates.report_dict(report))


@router.post(
    "/projects/{project}/duplicates/keep-one",
    operation_id="keep_one_per_cluster",
    response_model=KeptOneOut,
    openapi_extra=json_body_doc(KeepOneIn),
)
def keep_one(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    raw: RawBody,
) -> KeptOneOut:
    """Delete every member of each cluster but its earliest item: all or nothing, a 409
    naming the items if any has annotations, a lease, gold or kept work; recorded in the
    audit trail as ``items.delete``."""
    body = parse_body(KeepOneIn, raw)
    kept = duplicates.keep_one(
        db,
        project,
        text_key=body.text_key,
        image_key=body.image_key,
        threshold=body.threshold,
        media_root=Path(settings.data_dir) / "media",
        actor=actor,
    )
    return KeptOneOut.model_validate(
        {**duplicates.report_dict(kept.report), "removed": kept.removed}
    )


@router.post(
    "/projects/{project}/sample",
    operation_id="sample_items",
    response_model=SampleOut,
    openapi_extra=json_body_doc(SampleIn),
)
def sample_items(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    raw: RawBody,
) -> SampleOut:
    """Draw ``n`` items by ``strategy`` (random, stratified ``by`` a key, diverse over the
    TF-IDF of the text ``by`` or the embeddings under ``vectors``, uncertain by ``measure``
    of pre-annotation scores) and copy them into ``into`` (unless ``preview``), each with
    ``sampled_from`` in its metadata; audited as ``items.sample``. Needs the manage right
    on both projects."""
    body = parse_body(SampleIn, raw)
    result = sampling.sample_items(
        db,
        project,
        strategy=body.strategy,
        n=body.n,
        into=body.into,
        by=body.by,
        vectors=body.vectors,
        measure=body.measure,
        equal=body.equal,
        seed=body.seed,
        preview=body.preview,
        actor=actor,
        data_dir=settings.data_dir,
    )
    return SampleOut.model_validate(sampling.result_dict(result))
