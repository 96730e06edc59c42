"""Lots: a lot of annotations (an import, a vendor's people, a date range) judged by an
acceptance-sampling plan; auditors mark each sampled annotation ok or defective, and the
last verdict accepts or rejects the lot."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.lots import LotDetailOut, LotIn, LotOut, SampleOut, SampleVerdictIn
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage, MayReview
from labelworks.server.params import ProjectName, RowId
from labelworks.services import lots
from labelworks.services.lots import LotRow, LotView

router = APIRouter(prefix="/api/v1", tags=["lots"], responses=ERRORS)


def lot_out(row: LotRow) -> LotOut:
    return LotOut.model_validate(row, from_attributes=True)


def lot_detail(view: LotView) -> LotDetailOut:
    return LotDetailOut(
        **lot_out(view.lot).model_dump(),
        summary=view.summary,
        audited=view.audited,
        defects=view.defects,
        samples=[SampleOut.model_validate(s, from_attributes=True) for s in view.samples],
    )


@router.get("/projects/{project}/lots", operation_id="list_lots", response_model=list[LotOut])
def list_lots(project: ProjectName, db: DB, actor: CurrentActor) -> list[LotOut]:
    """The project's lots, oldest first. Needs the review right; vendors' staff may not
    see lots (they mix every vendor's work)."""
    return [lot_out(r) for r in lots.project_lots(db, project, actor=actor)]


@router.post(
    "/projects/{project}/lots",
    operation_id="create_lot",
    response_model=LotOut,
    status_code=201,
    openapi_extra=json_body_doc(LotIn),
)
def create_lot(
    project: ProjectName, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> LotOut:
    """Make a lot of the annotations selected (``import_id``, ``vendor``, ``since``,
    ``until``; at least one), compute its exact hypergeometric plan for its size, AQL and
    LTPD, and draw its sample (``seed`` makes the draw repeatable). Needs the manage right;
    no matching annotations, or rates and risks no plan can meet, are a 422."""
    body = parse_body(LotIn, raw)
    row = lots.create_lot(
        db,
        project,
        name=body.name,
        aql=body.aql,
        ltpd=body.ltpd,
        import_id=body.import_id,
        vendor=body.vendor,
        since=body.since,
        until=body.until,
        producer_risk=body.producer_risk,
        consumer_risk=body.consumer_risk,
        seed=body.seed,
        actor=actor,
    )
    return lot_out(row)


@router.get(
    "/projects/{project}/lots/{lot_id}", operation_id="get_lot", response_model=LotDetailOut
)
def get_lot(project: ProjectName, lot_id: RowId, db: DB, actor: CurrentActor) -> LotDetailOut:
    """A lot with its plan in words, its progress (``audited`` of the sample, ``defects``
    found) and each sampled annotation with its item's content and verdict."""
    return lot_detail(lots.lot_view(db, project, lot_id, actor=actor))


@router.post(
    "/projects/{project}/lots/{lot_id}/samples/{annotation_id}",
    operation_id="audit_lot_sample",
    response_model=LotOut,
    openapi_extra=json_body_doc(SampleVerdictIn),
)
def audit_lot_sample(
    project: ProjectName,
    lot_id: RowId,
    annotation_id: RowId,
    db: DB,
    actor: CurrentActor,
    _may: MayReview,
    raw: RawBody,
) -> LotOut:
    """Mark one sampled annotation ok (``defect: false``) or defective, with an optional
    note; a verdict may be changed until the lot is decided. The last verdict decides the
    lot: accepted with at most ``acceptance_number`` defects, else rejected and its
    annotations set aside for their annotators to redo. A decided lot is a 409."""
    body = parse_body(SampleVerdictIn, raw)
    row = lots.audit_sample(
        db, project, lot_id, annotation_id, defect=body.defect, note=body.note, actor=actor
    )
    return lot_out(row)
