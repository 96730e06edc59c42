"""The preview part of the client: items as annotators get them, without a lease."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from labelworks.schemas.preview import PreviewOut
from labelworks.sdk.paths import segment


class PreviewApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def preview(self, project: str, *, after: int = 0) -> PreviewOut | None:
        """The first item after id ``after`` exactly as an annotator would receive it, or
        ``None`` past the last; nothing is leased (managers)."""
        response = self._request(
            "GET", f"/projects/{segment(project)}/preview", params={"after": after}
        )
        if response.status_code == 204:
            return None
        return PreviewOut.model_validate(response.json())

    def check_answer(self, project: str, item_id: int, value: dict[str, Any]) -> None:
        """Check ``value`` on an item as a submit would (``ValidationFailed``-style errors
        name the wrong field); nothing is stored."""
        self._request(
            "POST",
            f"/projects/{segment(project)}/preview/check",
            json_body={"item_id": item_id, "value": value},
        )
