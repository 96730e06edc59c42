"""Guideline acknowledgement and re-queueing work after a breaking guideline change.

A member's first task acknowledges the guideline version they start under. When a new
version is published, their next lease is refused (``GuidelinesChanged``, with the version,
its changelog and a short diff) until they acknowledge it; every annotation records the
version it was made under (as before). A manager can send back the annotations made under
older versions — all of them, or only those with a given label in a field — to be redone.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, select, update

from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import Conflict, GuidelinesChanged, InvalidInput
from labelworks.domain.guidelines import short_diff
from labelworks.services import audit
from labelworks.services.access import project_for
from labelworks.services.specs import stored_spec
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.leases import Standing
from labelworks.storage.projects import ProjectRow
from labelworks.storage.set_aside import move_aside
from labelworks.storage.sql import Sql
from labelworks.storage.tables import annotations_table, memberships

_ACK = Sql(
    "UPDATE memberships SET ack_version = :version WHERE project_id = :project "
    "AND user_id = :annotator"
)


def check_acknowledged(
    conn: Connection, project: ProjectRow, standing: Standing | None, annotator_id: int
) -> None:
    """Inside a lease: a member who has not acknowledged the current guidelines is refused
    with what changed; their first task acknowledges the version they start under."""
    current = project.guideline_version
    if current is None or standing is None:
        return
    if standing.acknowledged is None:
        _ACK.run(conn, {"version": current, "project": project.id, "annotator": annotator_id})
        return
    if standing.acknowledged >= current:
        return
    history = {g.version: g for g in project_store.guideline_history(conn, project.id)}
    old, new = history.get(standing.acknowledged), history[current]
    raise GuidelinesChanged(
        f"the guidelines of project '{project.name}' changed (version {standing.acknowledged} "
        f"to {current}): read what changed and acknowledge version {current} to continue",
        details={
            "version": current,
            "acknowledged": standing.acknowledged,
            "changelog": new.changelog,
            "diff": short_diff(
                old.content if old is not None else "",
                new.content,
                old_label=f"version {standing.acknowledged}",
                new_label=f"version {current}",
            ),
        },
    )


def acknowledge_guidelines(db: Database, project_name: str, version: int, *, actor: Actor) -> None:
    """The caller has read guideline ``version`` (which must be the current one); for an
    admin who is not a member nothing is recorded."""
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.LABEL)
        if project.guideline_version != version:
            raise Conflict(
                f"guideline version {version} is not the current one of project "
                f"'{project_name}' ({project.guideline_version}); reload and read that one"
            )
        # An admin labelling outside any membership has no standing to record.
        conn.execute(
            update(memberships)
            .where(memberships.c.project_id == project.id, memberships.c.user_id == actor.id)
            .values(ack_version=version)
        )


def requeue_outdated(
    db: Database,
    project_name: str,
    *,
    before_version: int | None = None,
    field: str | None = None,
    label: Any = None,
    actor: Actor | None = None,
) -> int:
    """Send back every annotation made under a guideline version older than
    ``before_version`` (default: the current one), optionally only those whose ``field``
    holds ``label`` (for a multi-choice field: includes it); their annotators may redo
    them. Returns how many annotations were sent back."""
    if (field is None) != (label is None):
        raise InvalidInput("give both field and label, or neither")
    with db.write() as conn:
        project = project_for(conn, actor, project_name, Action.MANAGE)
        version = before_version if before_version is not None else project.guideline_version
        if version is None:
            raise InvalidInput(f"project '{project_name}' has no guidelines")
        a = annotations_table
        which = and_(a.c.guideline_version.is_not(None), a.c.guideline_version < version)
        if field is not None:
            spec = stored_spec(project.spec)
            if field not in {f.name for f in spec.fields}:
                raise InvalidInput(f"project '{project_name}' has no field '{field}'")
            ids = [
                i
                for i, value in conn.execute(
                    select(a.c.id, a.c.value).where(a.c.project_id == project.id, which)
                )
                if _holds(json.loads(value).get(field), label)
            ]
            chunks: list[ColumnElement[bool]] = [
                a.c.id.in_(ids[k : k + 500]) for k in range(0, len(ids), 500)
            ]
        else:
            chunks = [which]
        n = sum(
            move_aside(
                conn,
                project_id=project.id,
                which=chunk,
                overlap=project.overlap,
                reason=f"made under guidelines older than version {version}",
                by=None if actor is None else actor.id,
                now=utcnow(),
                same_annotator_again=True,
            )
            for chunk in chunks
        )
        audit.record(
            conn,
            project,
            actor,
            "annotations.requeue_outdated",
            f"before version {version}",
            annotations=n,
            field=field,
            label=label,
        )
        return n


def _holds(value: Any, label: Any) -> bool:
    """Whether a field's value is ``label`` (a list: contains it); compared as text, so a
    rating's 4 matches the CLI's "4"."""
    values = value if isinstance(value, list) else [value]
    return str(label) in {str(v) for v in values if v is not None}
