"""The item part of the client: the Items table's pages (filtered, sorted, counted), one
item with its annotations, and the bulk actions (re-queue, priority, delete)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

from labelworks.schemas.api import ItemDetailOut, ItemRowOut, ItemsPageOut
from labelworks.schemas.items import ItemFilterIn, ItemsChangedOut
from labelworks.sdk.paths import segment


class ItemsApi:
    """Mixed into ``Client``, which provides ``_request``."""

    _request: Callable[..., httpx.Response]

    def items_page(
        self,
        project: str,
        *,
        status: str | None = None,
        annotator: str | None = None,
        label: str | None = None,
        q: str | None = None,
        meta: Mapping[str, str] | None = None,
        disagreement: str | None = None,
        score_min: float | None = None,
        score_max: float | None = None,
        sort: str = "id",
        after: int = 0,
        before: int | None = None,
        limit: int = 50,
        exact_count: bool = False,
    ) -> ItemsPageOut:
        """One page of the project's items, as the Items table shows it: ``total`` is how
        many match (``total_capped``: at least that many; ``exact_count`` counts them all);
        ``next_after`` and ``prev_before`` lead to the next and previous pages. ``meta``
        maps metadata keys to the values the items must hold; ``disagreement`` is ``any``
        or a field two annotations answer differently; ``sort`` one of ``id``, ``-id``,
        ``-priority``, ``priority``, ``n_submitted``, ``-n_submitted``."""
        params: dict[str, Any] = {
            "status": status,
            "annotator": annotator,
            "label": label,
            "q": q,
            "disagreement": disagreement,
            "score_min": score_min,
            "score_max": score_max,
            "sort": sort,
            "after": after,
            "before": before,
            "limit": limit,
            "count": "exact" if exact_count else None,
            **{f"meta.{k}": v for k, v in (meta or {}).items()},
        }
        response = self._request("GET", f"/projects/{segment(project)}/items", params=params)
        return ItemsPageOut.model_validate(response.json())

    def items(
        self,
        project: str,
        *,
        status: str | None = None,
        annotator: str | None = None,
        label: str | None = None,
        q: str | None = None,
        meta: Mapping[str, str] | None = None,
        disagreement: str | None = None,
        score_min: float | None = None,
        score_max: float | None = None,
        sort: str = "id",
        page_size: int = 100,
    ) -> Iterator[ItemRowOut]:
        """Every matching item in ``sort`` order (import order by default), fetched a page
        at a time as you iterate; the filters are ``items_page``'s."""
        after = 0
        while True:
            page = self.items_page(
                project,
                status=status,
                annotator=annotator,
                label=label,
                q=q,
                meta=meta,
                disagreement=disagreement,
                score_min=score_min,
                score_max=score_max,
                sort=sort,
                after=after,
                limit=page_size,
            )
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def item(self, project: str, item_id: int) -> ItemDetailOut:
        """One item with its payload, metadata, pre-annotations and the annotations you may
        see (behind a vendor wall: your vendor's); ``NotFound`` for an item of another
        project."""
        response = self._request("GET", f"/projects/{segment(project)}/items/{item_id}")
        return ItemDetailOut.model_validate(response.json())

    def requeue_items(
        self,
        project: str,
        ids: Sequence[int] | None = None,
        *,
        where: ItemFilterIn | Mapping[str, Any] | None = None,
    ) -> ItemsChangedOut:
        """Ask for one more annotation of each item (by ``ids``, or all that ``where``
        matches, e.g. ``{"disagreement": "any"}``) that already has all it needs; all or
        nothing (``Conflict`` for gold questions and items an adjudicator decided)."""
        return self._act(project, "requeue", ids, where)

    def set_items_priority(
        self,
        project: str,
        priority: int,
        ids: Sequence[int] | None = None,
        *,
        where: ItemFilterIn | Mapping[str, Any] | None = None,
    ) -> ItemsChangedOut:
        """Give the items (by ``ids``, or all that ``where`` matches) ``priority``."""
        return self._act(project, "priority", ids, where, priority)

    def delete_items(
        self,
        project: str,
        ids: Sequence[int] | None = None,
        *,
        where: ItemFilterIn | Mapping[str, Any] | None = None,
    ) -> ItemsChangedOut:
        """Delete items nobody has worked on (by ``ids``, or all that ``where`` matches);
        all or nothing: ``Conflict`` naming the items with annotations, a live lease, gold
        or other work kept for them."""
        return self._act(project, "delete", ids, where)

    def _act(
        self,
        project: str,
        action: str,
        ids: Sequence[int] | None,
        where: ItemFilterIn | Mapping[str, Any] | None,
        priority: int | None = None,
    ) -> ItemsChangedOut:
        body: dict[str, Any] = {"action": action}
        if ids is not None:
            body["ids"] = list(ids)
        if isinstance(where, ItemFilterIn):
            body["filter"] = where.model_dump(mode="json", exclude_none=True)
        elif where is not None:
            body["filter"] = dict(where)
        if priority is not None:
            body["priority"] = priority
        response = self._request(
            "POST", f"/projects/{segment(project)}/items/actions", json_body=body
        )
        return ItemsChangedOut.model_validate(response.json())
