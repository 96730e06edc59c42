"""Account takeover and vendor walls, stated as properties over every person and route:
nobody but an admin (or the owner) ever obtains a working token for someone; creating a
person never joins or re-keys an existing one; membership and every filter obey the vendor
wall; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select
from tests.security.conftest import PEOPLE, World

from labelworks.storage.tables import api_tokens, memberships, users

NON_ADMINS = [who for who in PEOPLE if who != "admin"]


def _state(world: World) -> tuple[Any, ...]:
    """Everything a takeover attempt could change: people, memberships, token counts."""
    with world.db.read() as conn:
        people = conn.execute(select(users).order_by(users.c.id)).all()
        members = conn.execute(select(memberships.c.project_id, memberships.c.user_id)).all()
        tokens = conn.execute(
            select(api_tokens.c.user_id, func.count()).group_by(api_tokens.c.user_id)
        ).all()
    return (sorted(map(tuple, people)), sorted(map(tuple, members)), sorted(map(tuple, tokens)))


def _owner_of(world: World, token: str) -> str | None:
    answer = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return answer.json()["email"] if answer.status_code == 200 else None


def test_no_one_but_an_admin_gets_a_token_for_someone_else(world: World) -> None:
    """Every non-admin, naming every other person through every route that can make a
    token or a person, gets no token and changes nothing; the admin's tokens work."""
    before = _state(world)
    answers = {}
    for who, target in itertools.product(NON_ADMINS, PEOPLE):
        if who == target:
            continue
        email, role, _, _ = PEOPLE[target]
        for name, method, url, body in [
            ("create", "POST", "/api/v1/users", {"email": email, "role": role, "token": True}),
            (
                "create+join",
                "POST",
                "/api/v1/users",
                {"email": email, "role": role, "projects": ["alpha"], "token": True},
            ),
            ("issue", "POST", f"/api/v1/users/{email}/tokens", {"label": "x"}),
        ]:
            answer = world.call(who, method, url, json=body)
            answers[(who, target, name)] = (answer.status_code, answer.json().get("token"))
    assert {k: v for k, v in answers.items() if v[1] is not None or v[0] < 400} == {}
    assert _state(world) == before
    issued = world.call("admin", "POST", "/api/v1/users/ann@acme.example/tokens", json={})
    assert (issued.status_code, _owner_of(world, issued.json()["token"])) == (
        201,
        "ann@acme.example",
    )


def test_an_existing_email_is_a_conflict_not_a_join(world: World) -> None:
    """Creating a person who exists is 409 for every caller allowed to create people,
    whatever the role, projects or vendor named; memberships stay as they were."""
    before = _state(world)
    codes = {
        (who, target): world.call(
            who,
            "POST",
            "/api/v1/users",
            json={"email": PEOPLE[target][0].upper(), "role": "annotator", "projects": ["alpha"]},
        ).status_code
        for who in ("admin", "lead")
        for target in ("acme_ann", "globex_ann", "outsider")
    }
    assert (codes, _state(world) == before) == ({k: 409 for k in codes}, True)


def test_membership_is_its_own_action_behind_the_wall(world: World) -> None:
    """Adding an existing person to a project: managers of it only, people they may
    manage only, and never across a vendor wall (the other vendor's people 'do not exist')."""
    cases = {
        ("lead", "outsider", "alpha"): 200,
        ("acme_lead", "globex_ann", "alpha"): 404,  # behind globex's wall
        ("acme_lead", "outsider", "alpha"): 404,  # in-house people are not acme's
        ("acme_lead", "admin", "alpha"): 404,
        ("lead", "admin", "alpha"): 403,  # managers add reviewers and annotators only
        ("lead", "globex_lead", "beta"): 403,
        ("acme_lead", "acme_ann", "beta"): 404,  # not a member of beta
        ("acme_rev", "acme_ann", "alpha"): 403,  # reviewers do not manage
        ("acme_ann", "acme_ann", "alpha"): 403,
        ("admin", "globex_ann", "beta"): 200,
    }
    seen = {
        (who, target, project): world.call(
            who, "POST", f"/api/v1/projects/{project}/members", json={"email": world.email(target)}
        ).status_code
        for who, target, project in cases
    }
    removed = world.call("acme_lead", "DELETE", "/api/v1/projects/alpha/members/ann@globex.example")
    assert (seen, removed.status_code) == (cases, 404)


def test_a_walled_manager_creates_only_their_own_vendors_people(world: World) -> None:
    """An acme manager cannot create a globex person; one created without a vendor is acme's."""
    other = world.call(
        "acme_lead",
        "POST",
        "/api/v1/users",
        json={"email": "new1@example.org", "vendor": "globex", "projects": ["alpha"]},
    )
    mine = world.call(
        "acme_lead",
        "POST",
        "/api/v1/users",
        json={"email": "new2@example.org", "projects": ["alpha"]},
    )
    assert (other.status_code, mine.status_code, mine.json()["user"]["vendor"]) == (
        403,
        201,
        "acme",
    )


def _item_ids(world: World, who: str, query: str) -> list[int]:
    answer = world.call(who, "GET", f"/api/v1/projects/alpha/items?{query}")
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()["items"]]


def test_filters_and_counts_obey_the_vendor_wall(world: World) -> None:
    """Behind acme's wall, filtering by a globex person or a label only globex used finds
    nothing, and per-item counts include acme's work only; in-house staff see it all."""
    acme, globex = world.items[:2], world.items[2:]
    queries = {
        "globex person": "annotator=ann@globex.example",
        "globex label": "label=neg",
        "acme label": "label=pos",
        "acme person": "annotator=ANN@acme.example ",
    }
    seen = {
        who: {name: _item_ids(world, who, q) for name, q in queries.items()}
        for who in ("acme_lead", "acme_rev", "lead")
    }
    walled = {"globex person": [], "globex label": [], "acme label": acme, "acme person": acme}
    assert seen == {
        "acme_lead": walled,
        "acme_rev": walled,
        "lead": {**walled, "globex person": globex, "globex label": globex},
    }
    counts = {
        who: {
            row["id"]: row["n_submitted"]
            for row in world.call(who, "GET", "/api/v1/projects/alpha/items").json()["items"]
            if row["id"] in world.items
        }
        for who in ("acme_lead", "lead")
    }
    assert counts == {
        "acme_lead": {**dict.fromkeys(acme, 1), **dict.fromkeys(globex, 0)},
        "lead": dict.fromkeys(world.items, 1),
    }


def test_deactivation_reaches_only_people_one_may_manage(world: World) -> None:
    """Managers deactivate the people they manage in their projects; the wall hides the
    rest; nobody deactivates themself; admins reach everyone."""
    seen = {
        (who, target): world.call(
            who, "POST", f"/api/v1/users/{world.email(target)}/deactivate"
        ).status_code
        for who, target in [
            ("acme_lead", "globex_ann"),
            ("acme_lead", "outsider"),
            ("lead", "outsider"),
            ("lead", "lead"),
            ("acme_rev", "acme_ann"),
            ("acme_lead", "acme_ann"),
            ("admin", "globex_lead"),
        ]
    }
    assert seen == {
        ("acme_lead", "globex_ann"): 404,
        ("acme_lead", "outsider"): 404,
        ("lead", "outsider"): 200,
        ("lead", "lead"): 403,
        ("acme_rev", "acme_ann"): 403,
        ("acme_lead", "acme_ann"): 200,
        ("admin", "globex_lead"): 200,
    }
