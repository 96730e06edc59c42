"""The generations part of the client: a project's prompt generations so far (starting
one is ``generate``, in ``sdk.judges``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.generations import GenerationSummaryOut
from labelworks.sdk.paths import segment


class GenerationsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def generations(self, project: str) -> list[dict[str, Any]]:
        """The project's generations, newest first: ``field``, ``predicted`` (the model
        version, ``model@PROMPT-vN``), ``prompt``, ``items`` predicted, and the ``ok``,
        ``malformed`` and ``failed`` replies with their tokens and ``last`` time."""
        response = self._request("GET", f"/projects/{segment(project)}/generations")
        return [GenerationSummaryOut.model_validate(g).model_dump() for g in response.json()]
