"""The audit trail of quality operations: who did what, when, under which guideline version.

Services call ``record`` inside the transaction of the change they make, so an event exists
exactly when its change does. Managers (outside any vendor: events name every vendor's
people) browse the trail and export it as JSONL or CSV; what people decided or wrote about
an item (``SCREENED_*``: an adjudication's value and note) comes as the project's privacy
policy lets them see it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, wall
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.domain.spec import ProjectSpec
from labelworks.services.access import project_for
from labelworks.services.privacy import annotation_value_for, text_for
from labelworks.services.specs import stored_spec
from labelworks.storage import audit as store
from labelworks.storage.audit import AuditEvent
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import ProjectRow

MAX_PAGE = 500
ACTIONS = (
    "gold.mark",
    "gold.unmark",
    "annotator.auto_pause",
    "annotator.pause",
    "annotator.reinstate",
    "annotations.requeue",
    "annotations.requeue_outdated",
    "adjudication.decide",
    "consensus.refit",
    "review.decide",
    "qualification.passed",
    "qualification.failed",
    "qualification.retry",
    "escalation.flag",
    "escalation.resolve",
    "delivery.write",
    "lot.create",
    "lot.accepted",
    "lot.rejected",
    "items.requeue",
    "items.priority",
    "items.delete",
    "experiment.create",
    "experiment.stop",
)

# Details that hold what a person decided or typed about an item, screened on the way out:
# values as annotations are, texts as notes are. People's emails and the spec's reason
# codes elsewhere in the details are not item content.
SCREENED_VALUES = ("value", "answer")
SCREENED_TEXTS = ("note", "explanation", "comment")

__all__ = ["ACTIONS", "AuditEvent", "audit_export", "audit_trail", "record"]


def record(
    conn: Connection,
    project: ProjectRow | tuple[int, int | None],
    actor: Actor | int | None,
    action: str,
    subject: str = "",
    **details: Any,
) -> None:
    """Append an event (inside the caller's transaction). ``project`` is the row, or its
    (id, guideline version) where a hot path has no row at hand; ``actor`` an Actor, a
    user id, or None for the system."""
    assert action in ACTIONS, action
    project_id, version = (
        (project.id, project.guideline_version) if isinstance(project, ProjectRow) else project
    )
    actor_id = actor.id if isinstance(actor, Actor) else actor
    store.record(
        conn,
        project_id=project_id,
        actor_id=actor_id,
        action=action,
        subject=subject,
        details=details,
        guideline_version=version,
        now=utcnow(),
    )


def _auditor(conn: Connection, actor: Actor | None, name: str) -> ProjectRow:
    project = project_for(conn, actor, name, Action.MANAGE)
    if wall(actor) is not None:
        raise PermissionDenied(
            "the audit trail names every vendor's people; vendors' staff may not read it"
        )
    return project


def audit_trail(
    db: Database,
    project_name: str,
    *,
    actor: Actor | None = None,
    action: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[AuditEvent]:
    """A page of the project's audit events, oldest first."""
    if action is not None and action not in ACTIONS:
        raise InvalidInput(f"unknown action '{action}' (actions: {', '.join(ACTIONS)})")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    with db.read() as conn:
        project = _auditor(conn, actor, project_name)
        events = list(store.events(conn, project.id, action=action, after=after, limit=limit))
    spec = stored_spec(project.spec)
    return [_screened(actor, spec, e) for e in events]


def _screened(actor: Actor | None, spec: ProjectSpec, event: AuditEvent) -> AuditEvent:
    """``event`` with its ``SCREENED_*`` details as ``actor`` may see them."""
    if spec.privacy is None:
        return event
    details = dict(event.details)
    for key, value in event.details.items():
        if key in SCREENED_VALUES and isinstance(value, dict):
            details[key] = annotation_value_for(actor, spec, value)
        elif key in SCREENED_TEXTS and isinstance(value, str):
            details[key] = text_for(actor, spec, value)
    return replace(event, details=details)


def audit_export(
    db: Database, project_name: str, fmt: str, *, actor: Actor | None = None
) -> Iterator[str]:
    """The whole trail as JSONL lines or CSV rows (text chunks, streamed)."""
    if fmt not in ("jsonl", "csv"):
        raise InvalidInput("format must be jsonl or csv")
    with db.read() as conn:
        project = _auditor(conn, actor, project_name)
    spec = stored_spec(project.spec)
    columns = ["id", "at", "actor", "action", "subject", "guideline_version", "details"]
    with db.read(snapshot=True) as conn:
        if fmt == "csv":
            yield ",".join(columns) + "\r\n"
        for e in (_screened(actor, spec, event) for event in store.events(conn, project.id)):
            row = {
                "id": e.id,
                "at": e.at.isoformat() + "Z",
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "guideline_version": e.guideline_version,
                "details": e.details,
            }
            if fmt == "jsonl":
                yield json.dumps(row, ensure_ascii=False) + "\n"
            else:
                buffer = io.StringIO()
                cells = [*list(row.values())[:-1], json.dumps(e.details, ensure_ascii=False)]
                csv.writer(buffer).writerow(["" if c is None else _safe(str(c)) for c in cells])
                yield buffer.getvalue()


def _safe(cell: str) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula: quote it."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
