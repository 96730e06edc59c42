"""Parsed project specs, cached by their stored JSON (submits validate against them)."""

from __future__ import annotations

from functools import lru_cache

from labelworks.domain.spec import ProjectSpec


@lru_cache(maxsize=256)
def stored_spec(spec_json: str) -> ProjectSpec:
    """The spec a project row stores; parsed once per distinct revision."""
    return ProjectSpec.model_validate_json(spec_json)
