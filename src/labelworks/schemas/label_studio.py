"""Wire models of imports from Label Studio (``services.label_studio``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LabelStudioOut(BaseModel):
    """What an import or migration from a Label Studio export did, and what it left out."""

    project: str
    created_project: bool
    tasks: int
    inserted: int
    skipped_duplicates: int
    annotations: int
    cancelled: int
    superseded: int
    predictions: int
    created_annotators: list[str]
    skipped_results: dict[str, int] = Field(default_factory=dict)
    untranslated: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
