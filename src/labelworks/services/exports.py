"""Streaming exports of every item with its annotations and pre-annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, Literal

from labelworks.domain.access import Action, Actor
from labelworks.domain.assignment import item_status
from labelworks.formats import open_writer
from labelworks.services.access import project_for, walled
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

ExportFormat = Literal["jsonl", "csv", "parquet"]
EXPORT_COLUMNS = (
    "id",
    "external_id",
    "status",
    "created_at",
    "payload",
    "metadata",
    "pre_annotations",
    "annotations",
)


def count_for_export(db: Database, project_name: str, *, actor: Actor | None = None) -> int:
    """How many items an export of the project will write (for progress bars)."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        return item_store.count_items(conn, project.id)


def export_project(
    db: Database,
    project_name: str,
    stream: BinaryIO,
    *,
    format: ExportFormat,
    progress: Callable[[int], None] | None = None,
    page_size: int = 2000,
    actor: Actor | None = None,
) -> int:
    """Write every item of the project to ``stream``; returns the number written.

    Reads keyset pages inside one snapshot, so memory stays flat however large the
    project, and the file is consistent even while annotators keep working.
    """
    written = 0
    with db.read(snapshot=True) as conn:
        project = project_for(conn, actor, project_name, Action.REVIEW)
        writer = open_writer(format, stream, EXPORT_COLUMNS)
        after = 0
        while True:
            page = item_store.page(conn, project.id, after_id=after, limit=page_size)
            if not page:
                break
            ids = [it.id for it in page]
            pre = item_store.pre_annotations_for(conn, ids)
            done = item_store.annotations_for(conn, ids, only_vendor=walled(actor))
            for it in page:
                writer.write(
                    {
                        "id": it.id,
                        "external_id": it.external_id,
                        "status": item_status(it.n_submitted, it.n_leased, project.overlap),
                        "created_at": it.created_at.isoformat(),
                        "payload": it.payload,
                        "metadata": it.metadata,
                        "pre_annotations": pre[it.id],
                        "annotations": done[it.id],
                    }
                )
            written += len(page)
            after = page[-1].id
            if progress is not None:
                progress(len(page))
        writer.close()
    return written
