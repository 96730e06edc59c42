"""The spec's ``assist:`` section: a baseline model that learns a text ``choice`` or
``multi_choice`` field from the project's final labels and suggests it on the items still
to label (docs/project-spec.md, "assist").

The model is retrained in the background each time ``every`` more items have a final
label, once at least ``min_labels`` have one.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, StrictInt

__all__ = ["AssistSpec", "field_problem"]


class AssistSpec(BaseModel):
    """``assist``: ``field`` (a choice or multi_choice field read from a text payload key),
    ``every`` (final labels between retrainings) and ``min_labels`` (before the first
    model). Its suggestions are pre-annotations: annotators see them as suggestions."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200)
    every: StrictInt = Field(default=50, ge=1, le=1_000_000)
    min_labels: StrictInt = Field(default=20, ge=2, le=1_000_000)

    @property
    def model_name(self) -> str:
        """The name its suggestions carry (pre-annotations' ``model``)."""
        return f"labelworks-baseline:{self.field}"


def field_problem(kinds: Mapping[str, tuple[str, object]], name: str) -> str | None:
    """Why ``name`` cannot be assisted, given each field's (kind, source), or None."""
    if name not in kinds:
        known = ", ".join(repr(k) for k in kinds)
        return f"{name!r} is not a field of this project (fields: {known})"
    kind, source = kinds[name]
    if kind not in ("choice", "multi_choice"):
        return (
            f"{name!r} is a {kind} field; the baseline model learns choice and multi_choice fields"
        )
    if not source:
        return f"{name!r} has no source: the model reads the text its source names"
    return None
