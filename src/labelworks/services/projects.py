"""Creating and updating projects from specs; guideline versions; the effective spec."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection

from labelworks.domain.access import Action, Actor, allowed, may_create_projects
from labelworks.domain.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidSpec,
    Location,
    PermissionDenied,
    UnsafeSpecChange,
)
from labelworks.domain.schema import labels_in_use, labels_in_use_check
from labelworks.domain.spec import ProjectSpec, parse_spec, spec_from_dict, spec_to_yaml
from labelworks.formats.json_input import load_json
from labelworks.services import routing
from labelworks.services.access import a_role, project_for, visible_project_ids
from labelworks.services.specs import stored_spec
from labelworks.services.status import ProjectStatus, project_status
from labelworks.storage import items as item_store
from labelworks.storage import predictions as prediction_store
from labelworks.storage import projects as project_store
from labelworks.storage import users as user_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.projects import GuidelineRow, ProjectRow

MAX_GUIDELINES_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ApplyResult:
    project: str
    action: Literal["created", "updated", "unchanged"]
    spec_revision: int
    guideline_version: int | None
    guidelines_changed: bool
    forced_changes: list[str]


@dataclass(frozen=True, slots=True)
class ProjectView:
    row: ProjectRow
    spec: ProjectSpec
    guidelines: GuidelineRow | None


def load_spec_file(path: Path) -> tuple[ProjectSpec, str | None]:
    """Read a YAML spec and the guidelines it points to (a path relative to the spec)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidSpec(f"spec file {path} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise InvalidSpec(f"spec file {path} is not valid UTF-8 ({exc.reason})") from exc
    spec = parse_spec(text, source=str(path))
    relative = spec.guidelines_path()
    if relative is None:
        return spec, spec.guidelines
    target = (path.parent / relative).resolve()
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise InvalidSpec(
            f"guidelines file {target} cannot be read ({exc.strerror})",
            location=Location(file=str(path), field="guidelines"),
        ) from exc
    if len(raw) > MAX_GUIDELINES_BYTES:
        raise InvalidSpec(
            f"guidelines file {target} is {len(raw):,} bytes, over the "
            f"{MAX_GUIDELINES_BYTES:,} byte limit",
            location=Location(file=str(path), field="guidelines"),
        )
    try:
        return spec, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSpec(
            f"guidelines file {target} is not valid UTF-8 (byte {exc.start})",
            location=Location(file=str(path), field="guidelines"),
        ) from exc


def apply_spec(
    db: Database,
    spec: ProjectSpec,
    *,
    guidelines: str | None,
    force: bool = False,
    actor: Actor | None = None,
    new_only: bool = False,
) -> ApplyResult:
    """Create the project or bring it to ``spec``; idempotent.

    A change that would invalidate existing annotations (a field or label in use removed,
    a field's kind changed) raises ``UnsafeSpecChange`` unless ``force``. Guidelines that
    differ from the current version become a new version with the spec's changelog line.
    With ``new_only`` a project of that name must not exist yet (``AlreadyExists``).
    """
    return db.run_write(lambda conn: _apply(conn, spec, guidelines, force, actor, new_only))


@dataclass(frozen=True, slots=True)
class SpecPlan:
    """What applying a spec would do: create the project, or change its spec and/or its
    guidelines (neither: unchanged), and why the change would invalidate existing
    annotations (empty when it is safe)."""

    current: ProjectRow | None
    spec_changed: bool
    guidelines_changed: bool
    unsafe: list[str]

    @property
    def action(self) -> Literal["created", "updated", "unchanged"]:
        if self.current is None:
            return "created"
        return "updated" if self.spec_changed or self.guidelines_changed else "unchanged"


def _plan(
    conn: Connection, project: ProjectRow | None, spec: ProjectSpec, guidelines: str | None
) -> SpecPlan:
    if project is None:
        return SpecPlan(None, True, bool(guidelines and guidelines.strip()), [])
    current = project_store.current_guidelines(conn, project)
    guidelines_changed = (guidelines or "") != (current.content if current else "")
    # Compared as specs, not as stored text (older rows keep field names where aliases are
    # written now, e.g. a condition's "in_").
    old = stored_spec(project.spec)
    if old == spec:
        return SpecPlan(project, False, guidelines_changed, [])
    used = labels_in_use(old.fields, item_store.annotation_values(conn, project.id))
    reasons = labels_in_use_check(old.fields, spec.fields, used, set(used))
    return SpecPlan(project, True, guidelines_changed, reasons)


def plan_spec(
    db: Database, spec: ProjectSpec, *, guidelines: str | None, actor: Actor | None = None
) -> SpecPlan:
    """What ``apply_spec`` would do with ``spec``, without doing it (the same permission
    check first)."""
    with db.read() as conn:
        return _plan(conn, _applicable(conn, actor, spec.name), spec, guidelines)


def _apply(
    conn: Connection,
    spec: ProjectSpec,
    guidelines: str | None,
    force: bool,
    actor: Actor | None,
    new_only: bool,
) -> ApplyResult:
    now = utcnow()
    spec_json = spec.model_dump_json(by_alias=True)
    project = _applicable(conn, actor, spec.name, for_update=True, new_only=new_only)
    plan = _plan(conn, project, spec, guidelines)
    if project is None:
        project_id = project_store.create(
            conn,
            name=spec.name,
            description=spec.description,
            spec=spec_json,
            overlap=spec.overlap,
            lease_minutes=spec.lease_minutes,
            priority=spec.priority,
            now=now,
        )
        if actor is not None and not actor.is_admin:
            user_store.add_membership(conn, project_id, actor.id, now)
        version = None
        if guidelines is not None and guidelines.strip():
            version = project_store.add_guideline_version(
                conn,
                project_id,
                content=guidelines,
                changelog=spec.guidelines_changelog or "initial guidelines",
                now=now,
            )
        return ApplyResult(spec.name, "created", 1, version, version is not None, [])

    if plan.action == "unchanged":
        return ApplyResult(
            spec.name, "unchanged", project.spec_revision, project.guideline_version, False, []
        )
    if plan.unsafe and not force:
        raise UnsafeSpecChange(
            "this change would invalidate existing annotations: "
            + "; ".join(plan.unsafe)
            + " (apply with --force to do it anyway)",
            details={"reasons": plan.unsafe},
        )
    forced = plan.unsafe
    revision = project.spec_revision
    if plan.spec_changed:
        revision = project_store.update_spec(
            conn,
            project,
            description=spec.description,
            spec=spec_json,
            overlap=spec.overlap,
            lease_minutes=spec.lease_minutes,
            priority=spec.priority,
            forced=bool(forced),
            now=now,
        )
        if spec.overlap != project.overlap:
            item_store.refresh_pools(conn, project.id, spec.overlap)
        if spec.predictions != stored_spec(project.spec).predictions:
            prediction_store.resync_suggestions(conn, project.id, spec.predictions)
        if spec.routing != stored_spec(project.spec).routing:
            routing.reroute(conn, project.id, spec)
    version = project.guideline_version
    if plan.guidelines_changed:
        version = project_store.add_guideline_version(
            conn,
            project.id,
            content=guidelines or "",
            changelog=spec.guidelines_changelog or "guidelines updated",
            now=now,
        )
    return ApplyResult(spec.name, "updated", revision, version, plan.guidelines_changed, forced)


def _applicable(
    conn: Connection,
    actor: Actor | None,
    name: str,
    *,
    for_update: bool = False,
    new_only: bool = False,
) -> ProjectRow | None:
    """The project a spec named ``name`` updates (``None``: it would create one), once the
    actor is known to be allowed: to manage it if it exists, else to create projects
    (with ``new_only``: to create projects, and it must not exist)."""
    project = project_store.by_name(conn, name, for_update=for_update)
    if project is not None and not new_only:
        project_for(conn, actor, name, Action.MANAGE)
        return project
    if actor is not None and not may_create_projects(actor):
        raise PermissionDenied(f"{a_role(actor.role)} may not create projects")
    if project is not None:
        raise AlreadyExists(f"a project named '{name}' already exists")
    return project


def check_may_apply(db: Database, name: str, *, actor: Actor | None = None) -> None:
    """``apply_spec``'s permission check alone (interfaces ask before reading the spec)."""
    with db.read() as conn:
        _applicable(conn, actor, name)


def get_project(db: Database, name: str, *, actor: Actor | None = None) -> ProjectView:
    with db.read() as conn:
        row = project_for(conn, actor, name, Action.VIEW)
        return ProjectView(row, stored_spec(row.spec), project_store.current_guidelines(conn, row))


def list_projects(
    db: Database, *, actor: Actor | None = None, archived: bool = False
) -> list[ProjectRow]:
    """Projects the actor may see, by name: those in use, or with ``archived`` the
    archived ones."""
    with db.read() as conn:
        visible = visible_project_ids(conn, actor)
        rows = project_store.all_projects(conn)
    return [
        p
        for p in rows
        if (visible is None or p.id in visible) and (p.archived_at is not None) == archived
    ]


def guideline_history(db: Database, name: str, *, actor: Actor | None = None) -> list[GuidelineRow]:
    with db.read() as conn:
        project = project_for(conn, actor, name, Action.VIEW)
        return project_store.guideline_history(conn, project.id)


def effective_spec_yaml(db: Database, name: str, *, actor: Actor | None = None) -> str:
    """The project's spec with every default filled in, as YAML."""
    return spec_to_yaml(get_project(db, name, actor=actor).spec)


def spec_from_text(text: str, *, source: str) -> ProjectSpec:
    """Parse a YAML spec given as text (HTTP uploads): inline guidelines only."""
    return _inline_only(parse_spec(text, source=source), source)


def spec_from_upload(body: bytes, *, json: bool, source: str) -> ProjectSpec:
    """Parse an uploaded spec: a JSON object when ``json``, else YAML text; inline
    guidelines only. Bytes that are not UTF-8, and JSON or YAML nested or expanding past
    the loaders' bounds, are ``InvalidSpec`` like any other mistake in a spec."""
    where = Location(file=source)
    if json:
        try:
            data = load_json(body, source=source)
        except InvalidInput as exc:
            raise InvalidSpec(exc.message, location=exc.location or where) from None
        if not isinstance(data, dict):
            raise InvalidSpec("the spec must be a JSON object", location=where)
        return _inline_only(spec_from_dict(data, source=source), source)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSpec(f"{source} is not UTF-8 (byte {exc.start})", location=where) from None
    return spec_from_text(text, source=source)


def spec_for_project(spec: ProjectSpec, project: str, *, source: str) -> ProjectSpec:
    """``spec``, which must name ``project`` (the one the URL is about)."""
    if spec.name != project:
        raise InvalidSpec(
            f"the spec names project '{spec.name}' but the URL names '{project}'",
            location=Location(file=source, field="name"),
        )
    return spec


def _inline_only(spec: ProjectSpec, source: str) -> ProjectSpec:
    # A server never reads files a request names: guidelines must come with the spec.
    if spec.guidelines_path() is not None:
        raise InvalidSpec(
            "guidelines must be inline Markdown here, not a file path",
            location=Location(file=source, field="guidelines"),
        )
    return spec


@dataclass(frozen=True, slots=True)
class ProjectOverview:
    view: ProjectView
    status: ProjectStatus | None  # only for those who may review the project


def project_overview(
    db: Database, name: str, *, actor: Actor | None = None, max_age: float = 0.0
) -> ProjectOverview:
    """The project as the actor may see it: counts and an evaluation campaign's section only
    with the review right (totals up to ``max_age`` seconds old, for dashboards)."""
    view = get_project(db, name, actor=actor)
    with db.read() as conn:
        reviewer = actor is None or allowed(
            actor, Action.REVIEW, member=user_store.is_member(conn, view.row.id, actor.id)
        )
    if not reviewer:
        # A blind campaign's evaluators must not learn which models it compares.
        view = dataclasses.replace(view, spec=view.spec.model_copy(update={"evaluation": None}))
        return ProjectOverview(view, None)
    return ProjectOverview(view, project_status(db, name, actor=actor, max_age=max_age))
