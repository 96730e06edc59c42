"""The spec history part of the client: a project's spec revisions and the diff between
any two, its guideline versions, and the dry run of an apply (``check_spec``)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from pydantic import TypeAdapter

from labelworks.schemas.spec_history import (
    GuidelineVersionDetailOut,
    GuidelineVersionOut,
    SpecCheckOut,
    SpecDiffOut,
    SpecRevisionDetailOut,
    SpecRevisionOut,
)
from labelworks.sdk.paths import segment
from labelworks.sdk.spec_upload import Spec, spec_upload

_REVISIONS = TypeAdapter(list[SpecRevisionOut])
_VERSIONS = TypeAdapter(list[GuidelineVersionOut])


class SpecHistoryApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def spec_revisions(self, project: str) -> list[SpecRevisionOut]:
        """Every revision of the project's spec, oldest first, with whether it was applied
        with ``force``."""
        return _REVISIONS.validate_python(
            self._request("GET", f"/projects/{segment(project)}/spec/revisions").json()
        )

    def spec_revision(self, project: str, revision: int) -> SpecRevisionDetailOut:
        """One revision of the spec, every default filled in, as data (``spec``) and YAML."""
        response = self._request("GET", f"/projects/{segment(project)}/spec/revisions/{revision}")
        return SpecRevisionDetailOut.model_validate(response.json())

    def spec_diff(self, project: str, a: int, b: int) -> SpecDiffOut:
        """The unified diff of the effective spec from revision ``a`` to revision ``b``."""
        response = self._request(
            "GET", f"/projects/{segment(project)}/spec/diff", params={"a": a, "b": b}
        )
        return SpecDiffOut.model_validate(response.json())

    def check_spec(self, spec: Spec) -> SpecCheckOut:
        """What ``apply_spec(spec)`` would do, nothing applied: ``action``, the diff of the
        effective spec and the ``unsafe_changes`` it would refuse without ``force``. An
        invalid spec raises ``InvalidSpec`` as the apply would, every problem with its
        line in ``details["errors"]``."""
        upload = spec_upload(spec)
        response = self._request(
            "POST",
            f"/projects/{segment(upload.name)}/spec/check",
            content=upload.content,
            content_type=upload.content_type,
        )
        return SpecCheckOut.model_validate(response.json())

    def guideline_versions(self, project: str) -> list[GuidelineVersionOut]:
        """Every guideline version with its changelog line, oldest first."""
        return _VERSIONS.validate_python(
            self._request("GET", f"/projects/{segment(project)}/guidelines").json()
        )

    def guideline_version(self, project: str, version: int) -> GuidelineVersionDetailOut:
        """One guideline version with its Markdown (``content``) and changelog."""
        response = self._request("GET", f"/projects/{segment(project)}/guidelines/{version}")
        return GuidelineVersionDetailOut.model_validate(response.json())
