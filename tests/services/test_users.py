"""People through the service: roles, vendors, teams, memberships and API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.services.builders import make_project

from labelworks.domain.errors import AlreadyExists, InvalidInput, NotFound
from labelworks.services.users import (
    NewUser,
    add_user,
    hash_token,
    list_users,
    user_by_email,
    user_for_token,
)
from labelworks.storage.engine import Database
from labelworks.storage.tables import api_tokens
from labelworks.storage.users import UserRow


def test_add_user_with_role_vendor_team_and_projects(db: Database) -> None:
    """A new user gets the role, vendor, team and memberships given; the email is normalised."""
    make_project(db)
    make_project(db, name="topics")
    added = add_user(
        db,
        "  Ada@Example.COM ",
        role="reviewer",
        name="Ada",
        projects=["topics", "sentiment"],
        vendor="Acme",
        team="Night shift",
    )
    ada = UserRow(1, "ada@example.com", "Ada", "reviewer", "Acme", "Night shift", True)
    assert added == NewUser(ada, ["sentiment", "topics"], None)
    assert user_by_email(db, "ADA@example.com") == ada
    assert list_users(db) == [(ada, ["sentiment", "topics"])]


def test_vendors_and_teams_are_shared_by_name(db: Database) -> None:
    """Two users of one vendor and team point at the same vendor and team."""
    add_user(db, "a@example.com", role="annotator", vendor="Acme", team="t1")
    add_user(db, "b@example.com", role="annotator", vendor="Acme", team="t1")
    add_user(db, "c@example.com", role="admin")
    assert [(u.email, u.vendor, u.team, p) for u, p in list_users(db)] == [
        ("a@example.com", "Acme", "t1", []),
        ("b@example.com", "Acme", "t1", []),
        ("c@example.com", None, None, []),
    ]


def test_token_resolves_to_its_user_and_is_stored_hashed(db: Database) -> None:
    """A minted token finds its user, only its hash is stored, and other tokens find nobody."""
    added = add_user(db, "bot@example.com", role="manager", with_token=True)
    token = added.token
    assert token is not None and token.startswith("lw_") and len(token) > 40
    assert user_for_token(db, token) == added.user
    assert user_for_token(db, token + "x") is None
    assert user_for_token(db, "") is None
    with db.read() as conn:
        stored = [
            tuple(r) for r in conn.execute(select(api_tokens.c.user_id, api_tokens.c.token_hash))
        ]
    assert stored == [(added.user.id, hash_token(token))]


_SHAPE = (
    " is not an email address (name@example.org: letters, digits and _ ' + - . before the @, "
    "a domain with a dot after it)"
)
_NOT_EMAIL = {"code": "invalid_input", "location": {"file": None, "line": None, "field": "email"}}


def _not_email(email: str) -> dict[str, object]:
    return {**_NOT_EMAIL, "message": f"field 'email': {email!r}" + _SHAPE}


@pytest.mark.parametrize(
    ("email", "role", "error"),
    [
        *[
            (email, "annotator", _not_email(email))
            for email in (
                "not-an-email",
                "two@@example.com",
                "a b@example.com",
                "",
                'x"><script>alert(1)</script>@e.org',
                "root@localhost",
            )
        ],
        (
            "ok@example.com",
            "owner",
            {
                "code": "invalid_input",
                "message": "role must be one of admin, manager, reviewer, annotator, not 'owner'",
            },
        ),
    ],
)
def test_bad_email_or_role_is_refused(
    db: Database, email: str, role: str, error: dict[str, object]
) -> None:
    """A malformed email or unknown role is an InvalidInput naming the field; nobody is made."""
    with pytest.raises(InvalidInput) as caught:
        add_user(db, email, role=role)
    assert caught.value.to_dict() == error
    assert list_users(db) == []


def test_existing_user_joins_another_project(db: Database) -> None:
    """Adding an existing user with the same role to another project adds the membership."""
    make_project(db)
    make_project(db, name="topics")
    first = add_user(db, "ann@example.com", role="annotator", projects=["sentiment"])
    again = add_user(db, "ann@example.com", role="annotator", projects=["topics"], with_token=True)
    assert again.user == first.user
    assert again.projects == ["sentiment", "topics"]
    assert again.token is not None and user_for_token(db, again.token) == first.user
    # Joining a project twice is harmless.
    assert add_user(db, "ann@example.com", role="annotator", projects=["topics"]) == NewUser(
        first.user, ["sentiment", "topics"], None
    )
    assert len(list_users(db)) == 1


def test_existing_user_with_another_role_or_no_project_is_a_conflict(db: Database) -> None:
    """Re-adding a user under another role, or with nothing to add, raises AlreadyExists."""
    make_project(db)
    add_user(db, "ann@example.com", role="annotator")
    with pytest.raises(AlreadyExists) as caught:
        add_user(db, "ann@example.com", role="admin", projects=["sentiment"])
    assert str(caught.value) == "user ann@example.com already exists"
    with pytest.raises(AlreadyExists):
        add_user(db, "ANN@example.com", role="annotator")
    assert list_users(db) == [
        (UserRow(1, "ann@example.com", "", "annotator", None, None, True), [])
    ]


def test_unknown_project_creates_nobody(db: Database) -> None:
    """Naming a missing project raises NotFound and rolls the new user back."""
    make_project(db)
    with pytest.raises(NotFound) as caught:
        add_user(db, "x@example.com", role="annotator", projects=["sentiment", "nope"])
    assert str(caught.value) == "project 'nope' does not exist"
    assert list_users(db) == []
    with pytest.raises(NotFound) as missing:
        user_by_email(db, "x@example.com")
    assert str(missing.value) == "user x@example.com does not exist"
