"""Coaching: a person's coaching page (mistakes on gold and in review with the guideline
section, weekly trend against the team's median, notes), the caller's own, and a
manager's new note."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.coaching import CoachingOut, NoteIn, NoteOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import ProjectName, TextKey
from labelworks.services import coaching

router = APIRouter(prefix="/api/v1", tags=["coaching"], responses=ERRORS)


@router.get(
    "/projects/{project}/people/{email}/coaching",
    operation_id="coaching_page",
    response_model=CoachingOut,
)
def coaching_page(project: ProjectName, email: TextKey, db: DB, actor: CurrentActor) -> CoachingOut:
    """A person's coaching page: their newest mistakes on gold and in review (the item,
    their answer, the expert's answer or the reviewer's fix, the guideline section), their
    weekly gold accuracy and median seconds against the team's median, and the notes.
    Managers and admins see anyone behind their wall (someone of another vendor is a
    404); annotators and reviewers only themselves (403 for anyone else)."""
    page = coaching.coaching_page(db, project, email, actor=actor)
    return CoachingOut.model_validate(page.to_dict())


@router.get(
    "/projects/{project}/me/coaching",
    operation_id="my_coaching",
    response_model=CoachingOut,
)
def my_coaching(project: ProjectName, db: DB, actor: CurrentActor) -> CoachingOut:
    """The caller's own coaching page in the project (any member)."""
    page = coaching.coaching_page(db, project, actor.email, actor=actor)
    return CoachingOut.model_validate(page.to_dict())


@router.post(
    "/projects/{project}/people/{email}/notes",
    operation_id="add_coaching_note",
    response_model=NoteOut,
    status_code=201,
    openapi_extra=json_body_doc(NoteIn),
)
def add_coaching_note(
    project: ProjectName, email: TextKey, db: DB, actor: CurrentActor, _may: MayManage, raw: RawBody
) -> NoteOut:
    """Add a note to a person's coaching log (managers and admins, behind their wall):
    ``body`` of 1 to 5,000 characters once trimmed. Notes are never edited or deleted; a
    correction is another note. The person reads the notes on their own page."""
    body = parse_body(NoteIn, raw)
    note = coaching.add_note(db, project, email, body.body, actor=actor)
    return NoteOut(id=note.id, body=note.body, author=note.author, created_at=note.created_at)
