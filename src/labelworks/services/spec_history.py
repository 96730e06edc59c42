"""A project's spec history: its revisions and the diff between any two, its guideline
versions each readable, the spec as the editor shows it, and the dry run of an apply (what
applying a spec would change, and which of those changes are unsafe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, allowed
from labelworks.domain.errors import NotFound
from labelworks.domain.spec import ProjectSpec, spec_to_yaml
from labelworks.domain.spec_diff import unified_diff
from labelworks.services.access import project_for
from labelworks.services.projects import ProjectView, get_project, plan_spec
from labelworks.services.specs import stored_spec
from labelworks.storage import spec_history as history_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database
from labelworks.storage.projects import GuidelineRow, ProjectRow
from labelworks.storage.spec_history import RevisionRow, VersionRow

__all__ = [
    "RevisionRow",
    "SpecCheck",
    "SpecDiff",
    "SpecEditor",
    "VersionRow",
    "check_spec",
    "guideline_version",
    "guideline_versions_of",
    "spec_diff",
    "spec_editor",
    "spec_revision",
    "spec_revisions_of",
]


def spec_revisions_of(
    db: Database, project: str, *, actor: Actor | None = None
) -> list[RevisionRow]:
    """The project's spec revisions, oldest first (whoever may see the project)."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.VIEW)
        return history_store.revisions(conn, row.id)


def spec_revision(
    db: Database, project: str, revision: int, *, actor: Actor | None = None
) -> tuple[RevisionRow, ProjectSpec]:
    """Revision ``revision`` of the project's spec; ``NotFound`` if it has none such."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.VIEW)
        return _spec_at(conn, row, revision)


def _spec_at(
    conn: Connection, project: ProjectRow, revision: int
) -> tuple[RevisionRow, ProjectSpec]:
    found = history_store.spec_at(conn, project.id, revision)
    if found is None:
        raise NotFound(f"project '{project.name}' has no spec revision {revision}")
    return found[0], stored_spec(found[1])


@dataclass(frozen=True, slots=True)
class SpecDiff:
    """Revision ``a`` against revision ``b`` of a project's spec: the unified diff of
    their effective YAML (empty when they are the same)."""

    project: str
    a: RevisionRow
    b: RevisionRow
    diff: str


def spec_diff(
    db: Database, project: str, a: int, b: int, *, actor: Actor | None = None
) -> SpecDiff:
    """The diff from revision ``a`` to revision ``b`` (either order, or the same one)."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.VIEW)
        (old, old_spec), (new, new_spec) = _spec_at(conn, row, a), _spec_at(conn, row, b)
    diff = unified_diff(
        spec_to_yaml(old_spec),
        spec_to_yaml(new_spec),
        old_label=f"revision {a}",
        new_label=f"revision {b}",
    )
    return SpecDiff(project, old, new, diff)


def guideline_versions_of(
    db: Database, project: str, *, actor: Actor | None = None
) -> list[VersionRow]:
    """The project's guideline versions with their changelogs, oldest first."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.VIEW)
        return history_store.versions(conn, row.id)


def guideline_version(
    db: Database, project: str, version: int, *, actor: Actor | None = None
) -> GuidelineRow:
    """Guideline version ``version`` with its text; ``NotFound`` if it has none such."""
    with db.read() as conn:
        row = project_for(conn, actor, project, Action.VIEW)
        found = history_store.guidelines_at(conn, row.id, version)
    if found is None:
        raise NotFound(f"project '{project}' has no guideline version {version}")
    return found


@dataclass(frozen=True, slots=True)
class SpecEditor:
    """The project's spec as its editor starts: the effective YAML with the current
    guidelines written inline (what a web apply sends back), and whether the caller may
    apply a change."""

    view: ProjectView
    yaml: str
    may_apply: bool


def spec_editor(db: Database, project: str, *, actor: Actor | None = None) -> SpecEditor:
    """The spec to edit. The stored spec may name a guidelines file, or leave the
    guidelines out when they were given beside it: the editor holds their text instead,
    so applying what it shows keeps them."""
    view = get_project(db, project, actor=actor)
    content = view.guidelines.content if view.guidelines else None
    editable = view.spec.model_copy(update={"guidelines": content or None})
    may_apply = actor is None
    if actor is not None:
        with db.read() as conn:
            member = user_store.is_member(conn, view.row.id, actor.id)
        may_apply = allowed(actor, Action.MANAGE, member=member)
    return SpecEditor(view, spec_to_yaml(editable), may_apply)


@dataclass(frozen=True, slots=True)
class SpecCheck:
    """What applying a spec would do: ``action``; the current revision (``None``: the
    project would be created); the unified diff of the effective spec YAML, current
    against proposed; the changes that would invalidate existing annotations (refused
    without ``force``); and whether the guidelines would get a new version."""

    project: str
    action: Literal["created", "updated", "unchanged"]
    spec_revision: int | None
    diff: str
    unsafe: list[str]
    guidelines_changed: bool


def check_spec(
    db: Database, spec: ProjectSpec, *, guidelines: str | None, actor: Actor | None = None
) -> SpecCheck:
    """The dry run of ``apply_spec``: the same permission check and the same rules,
    nothing written."""
    plan = plan_spec(db, spec, guidelines=guidelines, actor=actor)
    current = plan.current
    old = "" if current is None else spec_to_yaml(stored_spec(current.spec))
    diff = unified_diff(
        old,
        spec_to_yaml(spec),
        old_label="(no project)" if current is None else f"revision {current.spec_revision}",
        new_label="proposed",
    )
    return SpecCheck(
        spec.name,
        plan.action,
        None if current is None else current.spec_revision,
        diff,
        plan.unsafe,
        plan.guidelines_changed,
    )
