"""Who may do what: the role policy, as pure functions over an ``Actor``.

Roles: admins do everything; managers manage the projects they are members of; reviewers
see and review the projects they are members of; annotators label in their projects and see
only their own work. A user who belongs to a vendor sees only that vendor's people and work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


class Action(StrEnum):
    VIEW = "view"  # see the project, its spec and guidelines
    LABEL = "label"  # lease, submit and skip tasks
    REVIEW = "review"  # browse items and everyone's annotations, status, export
    MANAGE = "manage"  # change the spec, import items, add people


_BY_ROLE: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.MANAGER: frozenset(Action),
    Role.REVIEWER: frozenset({Action.VIEW, Action.LABEL, Action.REVIEW}),
    Role.ANNOTATOR: frozenset({Action.VIEW, Action.LABEL}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user a request acts for."""

    id: int
    email: str
    role: Role
    vendor: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def allowed(actor: Actor, action: Action, *, member: bool) -> bool:
    """Whether ``actor`` may do ``action`` in a project they are (or are not) a member of."""
    if actor.is_admin:
        return True
    return member and action in _BY_ROLE[actor.role]


def may_create_projects(actor: Actor) -> bool:
    return actor.role in (Role.ADMIN, Role.MANAGER)


def may_grant(actor: Actor, role: Role) -> bool:
    """Admins create anyone; managers create reviewers and annotators."""
    if actor.is_admin:
        return True
    return actor.role is Role.MANAGER and role in (Role.REVIEWER, Role.ANNOTATOR)


def sees_person(actor: Actor, vendor: str | None) -> bool:
    """Vendor walls: a vendor's staff see only their own vendor's people and work."""
    return actor.is_admin or actor.vendor is None or actor.vendor == vendor
