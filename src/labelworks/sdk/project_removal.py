"""Deleting a project through the client."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labelworks.schemas.api import DeletedOut
from labelworks.sdk.paths import segment


class ProjectRemovalApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def delete_project(self, project: str, *, force: bool = False) -> DeletedOut:
        """Delete the project and everything in it (people stay). ``Conflict`` while it holds
        annotations, unless ``force`` (admins only): export first."""
        response = self._request(
            "DELETE", f"/projects/{segment(project)}", params={"force": str(force).lower()}
        )
        return DeletedOut.model_validate(response.json())
