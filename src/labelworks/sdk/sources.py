"""The sources part of the client: import a project's items from an S3 prefix or a folder
on the server (under its import roots), one item per media file or the rows of row files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.sources import SourceOut
from labelworks.sdk.paths import segment


class SourcesApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def import_source(
        self,
        project: str,
        url: str,
        *,
        glob: str | None = None,
        skip_unsupported: bool = False,
    ) -> dict[str, Any]:
        """Import from ``url``, ``s3://bucket/prefix/`` (the server's endpoint and
        credentials) or a folder's absolute path under the server's ``import_roots``: all
        files or none. Returns ``kind`` (``media`` or ``rows``), ``files``, ``rows``,
        ``inserted``, ``skipped_duplicates`` and ``skipped_unsupported`` (file names).
        Needs the manage right."""
        body: dict[str, Any] = {"url": url, "skip_unsupported": skip_unsupported}
        if glob is not None:
            body["glob"] = glob
        response = self._request("POST", f"/projects/{segment(project)}/sources", json_body=body)
        return SourceOut.model_validate(response.json()).model_dump()
