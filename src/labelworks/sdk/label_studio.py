"""The Label Studio part of the client: a Label Studio JSON export into a project, or into a
new project made from its labeling config."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from labelworks.schemas.label_studio import LabelStudioOut
from labelworks.sdk.paths import segment

Tasks = list[dict[str, Any]] | str | os.PathLike[str]


def _tasks(tasks: Tasks) -> bytes:
    if isinstance(tasks, str | os.PathLike):
        return Path(tasks).read_bytes()
    return orjson.dumps(tasks)


class LabelStudioApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def import_label_studio(
        self, project: str, tasks: Tasks, *, create_annotators: bool = False
    ) -> LabelStudioOut:
        """Import a Label Studio export (its tasks, or the path of its JSON file) into the
        project, all or nothing; ``InvalidImport`` names the task (``location.line``, from
        1) and the result at fault."""
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/label-studio",
            params={"create_annotators": "true"} if create_annotators else None,
            content=_tasks(tasks),
            content_type="application/json",
        )
        return LabelStudioOut.model_validate(response.json())

    def migrate_label_studio(
        self,
        project: str,
        tasks: Tasks,
        *,
        config: str | os.PathLike[str] | None = None,
        overlap: int | None = None,
        create_annotators: bool = False,
    ) -> LabelStudioOut:
        """Create ``project`` from a Label Studio export and its labeling config (XML text,
        or the path of the file; without it, fields are guessed from the results)."""
        if isinstance(config, os.PathLike):
            config = Path(config).read_text(encoding="utf-8")
        body = _tasks(tasks)
        if config is not None:
            body = b'{"config":' + orjson.dumps(config) + b',"tasks":' + body + b"}"
        response = self._request(
            "POST",
            f"/projects/{segment(project)}/label-studio/migration",
            params={
                "create_annotators": "true" if create_annotators else None,
                "overlap": overlap,
            },
            content=body,
            content_type="application/json",
        )
        return LabelStudioOut.model_validate(response.json())
