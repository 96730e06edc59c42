"""The labeling page as a manager previews it: items in import order, exactly as annotators
receive them, with answers checked by the same rules as a submit. Nothing is leased, counted
or stored, so a manager looking at the work never shows up as someone doing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labelworks.domain.access import Action, Actor
from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import NotFound
from labelworks.domain.fields import FieldSpec
from labelworks.services.access import project_for
from labelworks.services.privacy import payload_for, suggestions_for
from labelworks.services.specs import stored_spec
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database


@dataclass(frozen=True, slots=True)
class PreviewItem:
    item_id: int
    payload: dict[str, Any]
    pre_annotations: list[dict[str, Any]]
    fields: list[FieldSpec]
    allow_remote_media: bool
    guideline_version: int | None
    # Items of the project, for "item 3 of 120".
    total: int
    # What the privacy policy found, for the caller (services/privacy.py).
    pii: Sequence[str] = ()
    pii_note: str | None = None


def preview_next(
    db: Database, project_name: str, *, actor: Actor | None, after: int = 0
) -> PreviewItem | None:
    """The project's first item after id ``after`` as an annotator would see it; ``None``
    past the last. Managers only: the preview shows every item, gold included."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        found = item_store.page(conn, project.id, after_id=after, limit=1)
        if not found:
            return None
        item = found[0]
        spec = stored_spec(project.spec)
        shown = payload_for(actor, spec, item.payload)
        return PreviewItem(
            item_id=item.id,
            payload=shown.payload,
            pre_annotations=suggestions_for(
                actor, spec, item_store.pre_annotations_of(conn, item.id)
            ),
            fields=list(spec.fields),
            allow_remote_media=spec.allow_remote_media,
            guideline_version=project.guideline_version,
            total=item_store.count_items(conn, project.id),
            pii=shown.kinds,
            pii_note=shown.warning,
        )


def check_answer(
    db: Database, project_name: str, item_id: int, value: dict[str, Any], *, actor: Actor | None
) -> None:
    """Raise ``InvalidAnnotation`` as a submit of ``value`` on the item would; store nothing."""
    with db.read() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        item = item_store.get(conn, item_id)
        if item is None or item_store.project_of(conn, item_id) != project.id:
            raise NotFound(f"item {item_id} does not exist in project '{project_name}'")
        validate_annotation(stored_spec(project.spec).fields, value, item.payload)
