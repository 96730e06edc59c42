"""Archiving and deleting a project through the client."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labelworks.schemas.api import ArchivedOut, DeletedOut
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

    def archive_project(self, project: str, *, force: bool = False) -> ArchivedOut:
        """Archive the project: off the project list, no leases or imports, everything kept.
        ``Conflict`` while work is open (items waiting, live leases), unless ``force``."""
        response = self._request(
            "POST", f"/projects/{segment(project)}/archive", params={"force": str(force).lower()}
        )
        return ArchivedOut.model_validate(response.json())

    def unarchive_project(self, project: str) -> ArchivedOut:
        """Bring an archived project back into use."""
        response = self._request("POST", f"/projects/{segment(project)}/unarchive")
        return ArchivedOut.model_validate(response.json())
