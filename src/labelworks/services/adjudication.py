"""Adjudication: items whose consensus stayed unsure at the most annotations wait for an
expert, who sees every annotation side by side (annotators anonymised, disagreements
marked) and decides the final label; consensus never overrides that decision.

Adjudicators are reviewers, managers and admins outside any vendor: the queue shows every
vendor's work together, which vendor walls keep from vendors' staff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.annotation import validate_annotation
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.services import audit, webhooks
from labelworks.services.access import project_for
from labelworks.services.privacy import annotation_value_for, restored, rows_for
from labelworks.services.specs import stored_spec
from labelworks.storage import consensus as store
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow

MAX_NOTE = 2_000
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class Case:
    """One item waiting for an expert: its payload, what consensus would pick and how
    sure it is, each annotation under an alias ("A", "B", …) and, per field, whether the
    annotations disagree."""

    item_id: int
    external_id: str | None
    payload: dict[str, Any]
    proposal: dict[str, Any]
    confidence: float
    annotations: list[tuple[str, dict[str, Any]]]
    disagreements: dict[str, bool]


def _adjudicator(conn: Connection, actor: Actor | None, name: str) -> ProjectRow:
    project = project_for(conn, actor, name, Action.REVIEW)
    if wall(actor) is not None:
        raise PermissionDenied("adjudication shows every vendor's work; vendors' staff may not")
    return project


def _alias(k: int) -> str:
    return chr(ord("A") + k) if k < 26 else f"A{k}"


def adjudication_queue(
    db: Database, project_name: str, *, actor: Actor | None = None, after: int = 0, limit: int = 50
) -> list[Case]:
    """A page of the items waiting for adjudication, oldest item first; payloads and values
    as the project's privacy policy lets ``actor`` see them (whether fields disagree is
    told from the values as given)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    with db.read() as conn:
        project = _adjudicator(conn, actor, project_name)
        waiting = store.finals(conn, project.id, status="adjudication", after=after, limit=limit)
        cases = []
        for f in waiting:
            item = item_store.get(conn, f.item_id)
            assert item is not None  # a final label's item exists: foreign key
            votes = store.votes_of(conn, f.item_id)
            values = [v for _, _, v in votes]
            fields = sorted({name for v in values for name in v})
            cases.append(
                Case(
                    item_id=f.item_id,
                    external_id=f.external_id,
                    payload=item.payload,
                    proposal=f.value,
                    confidence=f.confidence,
                    annotations=[(_alias(k), v) for k, v in enumerate(values)],
                    disagreements={
                        name: len({json.dumps(v.get(name), sort_keys=True) for v in values}) > 1
                        for name in fields
                    },
                )
            )
    spec = stored_spec(project.spec)
    return [
        replace(
            c,
            proposal=annotation_value_for(actor, spec, c.proposal),
            annotations=[(a, annotation_value_for(actor, spec, v)) for a, v in c.annotations],
        )
        for c in rows_for(actor, spec, cases)
    ]


def adjudicate(
    db: Database,
    project_name: str,
    item_id: int,
    *,
    value: dict[str, Any],
    note: str = "",
    actor: Actor | None = None,
) -> None:
    """Decide an item's final label as an expert (an item waiting for adjudication, or one
    whose label stands and needs correcting); the decision records who made it. Fields
    that are the proposal's or an answer's as the expert was shown it masked are taken as
    stored (``privacy.restored``)."""
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note must be at most {MAX_NOTE} characters")
    with db.write() as conn:
        project = _adjudicator(conn, actor, project_name)
        item = item_store.get(conn, item_id)
        if item is None or item_store.project_of(conn, item_id) != project.id:
            raise NotFound(f"item {item_id} does not exist in project '{project_name}'")
        final = store.final_of(conn, item_id)
        if final is None:
            raise NotFound(f"item {item_id} has no label to adjudicate yet")
        spec = stored_spec(project.spec)
        votes = store.votes_of(conn, item_id)
        # The expert chose from the proposal and answers as they were shown them.
        value = restored(
            actor, spec, value, [final.value, *(v for _, _, v in votes)], payload=item.payload
        )
        validate_annotation(spec.fields, value, item.payload)
        now = utcnow()
        webhooks.announce_final(
            conn, spec, project.id, item_id, value=value, status="adjudicated",
            method="adjudication", confidence=1.0, decided_at=now,
            decided_by=None if actor is None else actor.email,
        )  # fmt: skip
        store.record_final(
            conn,
            item_id=item_id,
            project_id=project.id,
            value=value,
            method="adjudication",
            confidence=1.0,
            fields={name: 1.0 for name in value},
            annotation_ids=[i for i, _, _ in votes],
            status="adjudicated",
            now=now,
            by=None if actor is None else actor.id,
            note=note,
        )
        audit.record(
            conn, project, actor, "adjudication.decide", f"item {item_id}", value=value, note=note
        )
