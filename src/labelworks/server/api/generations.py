"""A project's prompt generations (``labelworks generations``): each model version a
registry prompt's replies were stored as, with its replies so far. Starting one is
``POST …/generations`` (``server.api.judges``)."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.schemas.generations import GenerationSummaryOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import ProjectName
from labelworks.services.generations import list_generations

router = APIRouter(prefix="/api/v1", tags=["evaluation"], responses=ERRORS)


@router.get(
    "/projects/{project}/generations",
    operation_id="generations",
    response_model=list[GenerationSummaryOut],
)
def generations(project: ProjectName, db: DB, actor: CurrentActor) -> list[GenerationSummaryOut]:
    """The project's generations, newest first: the field each fills, the model version
    its predictions are stored as (``PROMPT-vN``), the prompt, the items predicted, and its
    ok, malformed and failed replies with their tokens. Needs the review right, outside
    vendors."""
    found = list_generations(db, project, actor=actor)
    return [GenerationSummaryOut.model_validate(g, from_attributes=True) for g in found]
