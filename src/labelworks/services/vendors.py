"""Vendors and their contracts: who may read them, listing them, reading and setting their
terms.

Admins read every vendor and set any vendor's terms; managers outside a vendor read every
vendor; a vendor's manager reads their own vendor only, and is told another vendor does not
exist (names are not an oracle). Reviewers and annotators read no vendor figures.
``actor=None`` is a trusted local operator (the CLI on the server's own database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from labelworks.domain.access import Actor, Role, wall
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.vendor_terms import INTERNAL, VendorTerms, terms_from_dict
from labelworks.storage import vendor_terms as store
from labelworks.storage.engine import Database, utcnow

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class TermsView:
    """A vendor's terms (``None``: none set yet) and when they were last set."""

    vendor: str
    terms: VendorTerms | None
    updated_at: datetime | None


def check_reader(actor: Actor | None) -> None:
    """Refuse people who may not read vendor figures (reviewers and annotators)."""
    if actor is not None and actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("vendor figures are for managers and admins")


def readable_vendors(conn: Connection, actor: Actor | None) -> list[str]:
    """The vendors ``actor`` may read, by name."""
    check_reader(actor)
    names = store.vendor_names(conn)
    walled = wall(actor)
    return names if walled is None else [n for n in names if n == walled]


def known_vendor(
    conn: Connection, actor: Actor | None, name: str, *, internal: bool = False
) -> str | None:
    """``name`` if ``actor`` may read that vendor; with ``internal``, the name ``internal``
    (when no vendor has it) stands for in-house people and gives ``None``."""
    check_reader(actor)
    if len(name) > MAX_NAME or "\x00" in name:
        raise InvalidInput(f"a vendor name has at most {MAX_NAME} characters and no NUL")
    walled = wall(actor)
    missing = NotFound(f"vendor '{name}' does not exist")
    if walled is not None and name != walled:
        raise missing
    if store.vendor_id(conn, name) is not None:
        return name
    if internal and name == INTERNAL and walled is None:
        return None
    raise missing


def stored_terms(conn: Connection, names: list[str]) -> dict[str, VendorTerms]:
    """The terms of the named vendors that have some."""
    return {n: terms_from_dict(t.data) for n, t in store.terms_of(conn, names).items()}


def list_vendors(db: Database, *, actor: Actor | None = None) -> list[TermsView]:
    """The vendors the actor may read, with their terms."""
    with db.read() as conn:
        names = readable_vendors(conn, actor)
        found = store.terms_of(conn, names)
    return [
        TermsView(
            n,
            terms_from_dict(found[n].data) if n in found else None,
            found[n].updated_at if n in found else None,
        )
        for n in names
    ]


def get_terms(db: Database, vendor: str, *, actor: Actor | None = None) -> TermsView:
    """One vendor's terms (``terms`` is ``None`` until someone sets them)."""
    with db.read() as conn:
        name = known_vendor(conn, actor, vendor)
        assert name is not None
        found = store.terms_of(conn, [name]).get(name)
    if found is None:
        return TermsView(name, None, None)
    return TermsView(name, terms_from_dict(found.data), found.updated_at)


def set_terms(
    db: Database, vendor: str, terms: dict[str, Any] | VendorTerms, *, actor: Actor | None = None
) -> TermsView:
    """Replace a vendor's terms (admins only; validated whole before anything is written)."""
    checked = terms if isinstance(terms, VendorTerms) else terms_from_dict(terms)
    with db.write() as conn:
        name = known_vendor(conn, actor, vendor)
        if actor is not None and not actor.is_admin:
            raise PermissionDenied("only admins set a vendor's terms")
        vendor_id = store.vendor_id(conn, vendor)
        assert name is not None and vendor_id is not None
        now = utcnow()
        store.save_terms(conn, vendor_id, checked.model_dump(), now)
    return TermsView(name, checked, now)
