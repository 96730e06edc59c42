"""A project's recent activity through the service layer, on every database: imports, spec
and guideline changes and audited quality actions, newest first, each said in a sentence;
audit events only for those who may read the audit trail."""

from __future__ import annotations

from tests.services.builders import SENTIMENT, load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.spec import spec_from_dict
from labelworks.services import gold
from labelworks.services.projects import apply_spec
from labelworks.services.recent import recent_activity
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


def _actor(db: Database, email: str, role: str, vendor: str | None = None) -> Actor:
    made = add_user(db, email, role=role, projects=["sentiment"], vendor=vendor)
    return Actor(id=made.user.id, email=email, role=Role(role), vendor=vendor)


def test_events_newest_first_with_audit_events_for_managers_only(db: Database) -> None:
    """An import, a second spec revision with new guidelines, and a gold answer read back
    newest first; a reviewer and a vendor's manager get the same without the gold event."""
    make_project(db)
    load_texts(db, "sentiment", ["one", "two", "two"])
    apply_spec(db, spec_from_dict({**SENTIMENT, "overlap": 3}), guidelines="# Rules\nBe fair.")
    gold.mark_gold(db, "sentiment", 1, value={"sentiment": "positive"})
    manager = _actor(db, "boss@example.com", "manager")
    reviewer = _actor(db, "rev@example.com", "reviewer")
    walled = _actor(db, "lead@acme.example", "manager", vendor="acme")
    seen = {
        who: [(e.kind, e.who, e.text) for e in recent_activity(db, "sentiment", actor=actor)]
        for who, actor in (("manager", manager), ("reviewer", reviewer), ("walled", walled))
    }
    # A spec and its guidelines are stored at the same instant: the spec is said first.
    unaudited = [
        ("spec", None, "applied spec revision 2"),
        ("guidelines", None, "published guidelines v2: guidelines updated"),
        ("import", None, "imported 2 new items of 3 from items.jsonl"),
        ("spec", None, "applied spec revision 1"),
        ("guidelines", None, "published guidelines v1: initial guidelines"),
    ]
    assert seen == {
        "manager": [("gold.mark", None, "made gold item 1"), *unaudited],
        "reviewer": unaudited,
        "walled": unaudited,
    }
