"""The spec's ``routing`` applied to the items' priorities (``domain.routing``), inside the
caller's transaction: when a spec changes the order, after each import into a project that
shuffles, and after each training of the ``assist`` model of one that routes by
uncertainty. The serving query is untouched: it orders by priority already."""

from __future__ import annotations

from sqlalchemy import Connection

from labelworks.domain.routing import Order, shuffle_of
from labelworks.domain.spec import ProjectSpec
from labelworks.storage import routing as store

__all__ = ["order_of", "reroute", "route_import", "route_suggestions"]


def order_of(spec: ProjectSpec) -> Order:
    """The spec's serving order (``sequential`` without a routing section)."""
    return spec.routing.order if spec.routing is not None else "sequential"


def reroute(conn: Connection, project_id: int, spec: ProjectSpec) -> None:
    """Order the waiting items as ``spec`` now says: the priorities routing set are reset,
    then shuffled, or set from the current suggestions' scores."""
    store.clear(conn, project_id)
    order = order_of(spec)
    if order == "random":
        store.shuffle(conn, project_id, shuffle_of(project_id))
    elif order == "uncertainty" and spec.assist is not None:
        store.route_by_suggestions(conn, project_id, spec.assist.model_name)


def route_import(conn: Connection, project_id: int, spec: ProjectSpec, import_id: int) -> None:
    """Give an import's new items their place in a shuffling project (one statement)."""
    if order_of(spec) == "random":
        store.shuffle(conn, project_id, shuffle_of(project_id), import_id=import_id)


def route_suggestions(conn: Connection, project_id: int, spec: ProjectSpec) -> None:
    """After a training of a project routed by uncertainty: the waiting items' priorities
    from the model's new suggestions, the rest routing had set back to 0."""
    if order_of(spec) == "uncertainty" and spec.assist is not None:
        reroute(conn, project_id, spec)
