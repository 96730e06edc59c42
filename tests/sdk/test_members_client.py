"""A project's members, a password reset by their manager and an admin's view of someone's
tokens, over the API and the SDK in-process on every database: what the Members page does,
with the same rules (vendor walls, managers manage reviewers and annotators, admins
anyone, tokens of others for admins only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from tests.sdk.test_quality_client import World

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.server.app import create_app
from labelworks.services import auth, passwords
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Project 'reviews': an in-house and an acme manager, an acme and a globex annotator
    who labelled three items each; an admin outside it."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http)


def _refused(call: object) -> type[E.LabelworksError]:
    with pytest.raises(E.LabelworksError) as caught:
        call()  # type: ignore[operator]
    return type(caught.value)


def test_members_within_the_wall(world: World) -> None:
    """The manager lists every member with role, vendor and last annotation; the acme
    manager acme's only; an annotator is refused."""
    listed = world.manager.members("reviews")
    assert [(m.email, m.role, m.vendor, m.active) for m in listed] == [
        ("ann1@acme.example", "annotator", "acme", True),
        ("ann2@globex.example", "annotator", "globex", True),
        ("boss@example.com", "manager", None, True),
        ("lead@acme.example", "manager", "acme", True),
    ]
    assert [m.last_annotation_at is not None for m in listed] == [True, True, False, False]
    assert listed[0].joined_at.utcoffset() is not None
    assert [m.email for m in world.vendor_lead.members("reviews")] == [
        "ann1@acme.example",
        "lead@acme.example",
    ]
    assert _refused(lambda: world.ann1.members("reviews")) is E.PermissionDenied


def test_a_manager_resets_a_members_password(world: World, db: Database) -> None:
    """A generated password comes back once and logs in; a chosen one is set as given;
    another vendor's person, a manager, oneself and a non-member are refused."""
    generated = world.manager.reset_password("reviews", "ann1@acme.example")
    chosen = world.manager.reset_password("reviews", "ann2@globex.example", "chosen one")
    logged = [
        auth.log_in(db, "ann1@acme.example", generated, client="t").actor.email,
        auth.log_in(db, "ann2@globex.example", chosen, client="t").actor.email,
    ]
    refused = {
        "other vendor": lambda: world.vendor_lead.reset_password("reviews", "ann2@globex.example"),
        "a manager": lambda: world.manager.reset_password("reviews", "lead@acme.example"),
        "oneself": lambda: world.admin.reset_password("reviews", "root@example.com"),
        "not a member": lambda: world.admin.reset_password("plain", "nobody@example.com"),
        "too short": lambda: world.manager.reset_password("reviews", "ann1@acme.example", "short"),
        "annotator": lambda: world.ann1.reset_password("reviews", "ann2@globex.example"),
    }
    assert (len(generated), chosen, logged) == (
        16,
        "chosen one",
        ["ann1@acme.example", "ann2@globex.example"],
    )
    assert {what: _refused(call) for what, call in refused.items()} == {
        "other vendor": E.NotFound,
        "a manager": E.PermissionDenied,
        "oneself": E.Conflict,
        "not a member": E.NotFound,
        "too short": E.InvalidInput,
        "annotator": E.PermissionDenied,
    }


def test_an_admin_lists_and_revokes_someones_tokens(world: World) -> None:
    """An admin sees a person's tokens and revokes one (it stops working at once); a
    manager may do neither; a token id that is not the person's is not found."""
    world.admin.issue_token("ann1@acme.example", "laptop")
    tokens = world.admin.user_tokens("ann1@acme.example")
    assert [t.label for t in tokens] == ["cli", "laptop"]
    refused = {
        "manager lists": lambda: world.manager.user_tokens("ann1@acme.example"),
        "manager revokes": lambda: world.manager.revoke_user_token("ann1@acme.example", 1),
        "not theirs": lambda: world.admin.revoke_user_token("ann2@globex.example", tokens[0].id),
        "nobody": lambda: world.admin.user_tokens("nobody@example.com"),
    }
    assert {what: _refused(call) for what, call in refused.items()} == {
        "manager lists": E.PermissionDenied,
        "manager revokes": E.PermissionDenied,
        "not theirs": E.NotFound,
        "nobody": E.NotFound,
    }
    assert world.ann1.me().email == "ann1@acme.example"
    world.admin.revoke_user_token("ann1@acme.example", tokens[0].id)
    assert _refused(world.ann1.me) is E.Unauthenticated
    assert [t.label for t in world.admin.user_tokens("ann1@acme.example")] == ["laptop"]
