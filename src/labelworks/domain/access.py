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


def wall(actor: Actor | None) -> str | None:
    """The vendor whose people and work alone ``actor`` may see or touch (``None``: no wall).

    The one vendor-wall rule: reads, filters and writes all ask it. ``actor=None`` is a
    trusted local operator.
    """
    if actor is None or actor.is_admin:
        return None
    return actor.vendor


def sees_person(actor: Actor | None, vendor: str | None) -> bool:
    """Vendor walls: a vendor's staff see only their own vendor's people and work."""
    walled_to = wall(actor)
    return walled_to is None or walled_to == vendor


def may_manage_person(actor: Actor | None, role: Role, vendor: str | None) -> bool:
    """Whether ``actor`` may add a person of ``role`` and ``vendor`` to a project they
    manage, take them off it, or (de)activate them: the people they may create."""
    return actor is None or (may_grant(actor, role) and sees_person(actor, vendor))
