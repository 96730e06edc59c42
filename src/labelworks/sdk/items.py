"""The item part of the client: one item with its annotations."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from labelworks.schemas.api import ItemDetailOut
from labelworks.sdk.paths import segment


class ItemsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def item(self, project: str, item_id: int) -> ItemDetailOut:
        """One item with its payload, metadata, pre-annotations and the annotations you may
        see (behind a vendor wall: your vendor's); ``NotFound`` for an item of another
        project."""
        response = self._request("GET", f"/projects/{segment(project)}/items/{item_id}")
        return ItemDetailOut.model_validate(response.json())
