"""Deleting a project and an operator's token list, through the service layer on every
database: refused while annotations exist unless forced, everything attached goes, people
stay, the name is free again; tokens listed without their secret and revoked by id."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.services.builders import add_annotators, load_texts, make_project

from labelworks.domain.errors import Conflict, NotFound
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.project_removal import delete_project
from labelworks.services.users import add_user, list_tokens, revoke_any_token
from labelworks.storage.engine import Database
from labelworks.storage.tables import annotations_table, assignments, items, projects, users


def _counts(db: Database) -> tuple[int, ...]:
    with db.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (projects, items, assignments, annotations_table, users)
        )


def test_a_project_with_work_needs_force_and_then_goes_whole(db: Database) -> None:
    """With an annotation the delete is refused and nothing changes; forced, the project,
    its items, assignments and annotations go, its people stay, and the name is free."""
    project = make_project(db, overlap=1)
    load_texts(db, project, ["a", "b"])
    (a,) = add_annotators(db, project, 1)
    task = next_task_for(db, project, a)
    assert task is not None
    submit_annotation(
        db, task.assignment_id, a, value={"sentiment": "positive"}, seconds=1, idempotency_key="k"
    )
    before = _counts(db)
    with pytest.raises(Conflict) as refused:
        delete_project(db, project)
    unchanged = _counts(db)
    done = delete_project(db, project, force=True)
    after = _counts(db)
    again = make_project(db, overlap=1)
    assert (str(refused.value), unchanged, (done.project, done.annotations), after, again) == (
        f"project '{project}' has 1 annotation; export them first, then delete with force to "
        "delete them too",
        before,
        (project, 1),
        (0, 0, 0, 0, before[4]),
        project,
    )


def test_tokens_are_listed_without_their_secret_and_revoked_by_id(db: Database) -> None:
    """Each token shows its owner and label, never the secret; revoking one by id leaves
    the other, and an unknown id is not found."""
    first = add_user(db, "a@example.com", role="annotator", with_token=True)
    second = add_user(db, "b@example.com", role="manager", with_token=True)
    assert first.token is not None and second.token is not None
    listed = list_tokens(db)
    owner = revoke_any_token(db, listed[0].id)
    with pytest.raises(NotFound):
        revoke_any_token(db, 10_000)
    left = [t.email for t in list_tokens(db)]
    secrets = [s for s in (first.token, second.token) if s in repr(listed)]
    assert (sorted(t.email for t in listed), owner, left, secrets) == (
        ["a@example.com", "b@example.com"],
        listed[0].email,
        [t.email for t in listed[1:]],
        [],
    )
