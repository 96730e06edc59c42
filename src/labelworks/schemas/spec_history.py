"""Wire models of a project's spec history: revisions, the diff between two, guideline
versions, and the dry run of an apply (``spec/check``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from labelworks.schemas.api import UtcDatetime


class SpecRevisionOut(BaseModel):
    """One spec revision: its number, whether it was applied with ``force`` (it
    invalidated existing annotations), and when."""

    revision: int
    forced: bool
    created_at: UtcDatetime


class SpecRevisionDetailOut(SpecRevisionOut):
    """One revision with its spec (every default filled in), as data and as YAML."""

    spec: dict[str, Any]
    yaml: str


class SpecDiffOut(BaseModel):
    """Revision ``a`` against revision ``b``: the unified diff of their effective YAML
    (empty when they are the same), and how many lines it adds and removes."""

    project: str
    a: SpecRevisionOut
    b: SpecRevisionOut
    diff: str
    added: int
    removed: int


class SpecCheckOut(BaseModel):
    """What applying the spec would do, nothing applied: ``action`` (created, updated or
    unchanged); the current revision (``None``: the project would be created); the
    unified diff of the effective YAML, current against proposed; ``unsafe_changes``,
    the changes that would invalidate existing annotations (an apply refuses them
    without ``force``); and whether the guidelines would get a new version."""

    project: str
    valid: Literal[True] = True
    action: Literal["created", "updated", "unchanged"]
    spec_revision: int | None
    diff: str
    unsafe_changes: list[str]
    guidelines_changed: bool


class GuidelineVersionOut(BaseModel):
    """One guideline version: its number, its changelog line, and when it was made."""

    version: int
    changelog: str
    created_at: UtcDatetime


class GuidelineVersionDetailOut(GuidelineVersionOut):
    """One guideline version with its Markdown."""

    content: str
