"""Qualification tests and training: each member's standing, and letting a blocked member
take the test again."""

from __future__ import annotations

from fastapi import APIRouter, Response

from labelworks.schemas.qualification import (
    MemberQualificationOut,
    QualificationOut,
    QualificationRuleOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName, TextKey
from labelworks.services import qualification, qualification_report

router = APIRouter(prefix="/api/v1", tags=["qualification"], responses=ERRORS)


@router.get(
    "/projects/{project}/qualification",
    operation_id="qualification_report",
    response_model=QualificationOut,
    response_model_by_alias=True,
)
def report(project: ProjectName, db: DB, actor: CurrentActor) -> QualificationOut:
    """Each member's standing in the qualification test (state, when they passed, failed
    attempts, the current attempt's answers, gold questions not yet served), blocked people
    first; in a training project each trainee's progress and score. Behind a vendor wall,
    that vendor's people only; expert answers are never part of it."""
    found = qualification_report.qualification_report(db, project, actor=actor)
    rule = found.rule
    return QualificationOut(
        project=found.project,
        rule=None
        if rule is None
        else QualificationRuleOut(items=rule.items, pass_=rule.pass_share, retries=rule.retries),
        training=found.training,
        gold_items=found.gold_items,
        members=[
            MemberQualificationOut(
                email=m.email,
                name=m.name,
                role=m.role,
                vendor=m.vendor,
                state=m.state.value,
                qualified_at=m.qualified_at,
                failed_attempts=m.failed_attempts,
                attempt=m.attempt,
                answered=m.answered,
                correct=m.correct,
                questions_left=m.questions_left,
                gold_answered=m.gold_answered,
                gold_correct=m.gold_correct,
            )
            for m in found.members
        ],
    )


@router.post(
    "/projects/{project}/members/{email}/qualification/retry",
    operation_id="allow_qualification_retry",
    status_code=204,
    response_class=Response,
)
def retry(project: ProjectName, email: TextKey, db: DB, actor: CurrentActor) -> Response:
    """Let a member who has not passed take the qualification test again, from a fresh
    attempt on gold items they have not seen (managers; 404 if they already passed)."""
    qualification.allow_retry(db, project, email, actor=actor)
    return Response(status_code=204)
