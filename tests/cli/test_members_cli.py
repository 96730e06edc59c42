"""``labelworks member`` on an embedded SQLite data directory: a project's members with
their role, vendor, team and last annotation (a table or JSON), and a new password for one
of them, generated and printed once or read from stdin, which logs in and ends their
sessions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.cli.test_people_cli import flat, lw

from labelworks.config import Settings
from labelworks.domain.errors import Unauthenticated
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import Credential, actor_for, log_in, set_password
from labelworks.storage.engine import Database

SPEC = """\
name: sentiment
fields:
  - {name: sentiment, kind: choice, labels: [positive, negative]}
overlap: 1
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Project 'sentiment' with two items; an acme annotator of the night team who labelled
    one, a manager, and someone in no project."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text('{"text": "a"}\n{"text": "b"}\n')
    steps = [
        ("project", "apply", str(tmp_path / "spec.yaml")),
        ("import", "sentiment", str(tmp_path / "items.jsonl")),
        ("user", "add", "ann@example.com", "--project", "sentiment", "--vendor", "acme",
         "--team", "night", "--name", "Ann"),
        ("user", "add", "lead@example.com", "--role", "manager", "--project", "sentiment"),
        ("user", "add", "out@example.com"),
    ]  # fmt: skip
    for step in steps:
        done = lw(folder, *step)
        assert done.exit_code == 0, done.output
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = Database(Settings(data_dir=data_dir).effective_database_url)
    yield database
    database.dispose()


def test_member_list_shows_role_vendor_team_and_last_annotation(
    data_dir: Path, db: Database
) -> None:
    """The annotator's last annotation shows once they labelled; people of no project are
    not listed; --json carries the same with UTC times."""
    set_password(db, "ann@example.com", "correct horse")
    ann = Credential(session=log_in(db, "ann@example.com", "correct horse", client="t").session)
    task = next_task_for(db, "sentiment", ann)
    assert task is not None
    submit_annotation(
        db, task.assignment_id, ann, value={"sentiment": "positive"}, seconds=1.0,
        idempotency_key="k",
    )  # fmt: skip
    table = lw(data_dir, "member", "list", "sentiment")
    listed = lw(data_dir, "member", "list", "sentiment", "--json")
    assert (table.exit_code, listed.exit_code) == (0, 0), table.output + listed.output
    rows = json.loads(listed.stdout)
    for row in rows:
        assert datetime.fromisoformat(row.pop("joined_at")).utcoffset() is not None
    last = rows[0].pop("last_annotation_at")
    assert datetime.fromisoformat(last).utcoffset() is not None
    assert rows == [
        {"email": "ann@example.com", "name": "Ann", "role": "annotator", "vendor": "acme",
         "team": "night", "active": True},
        {"email": "lead@example.com", "name": "", "role": "manager", "vendor": None,
         "team": None, "active": True, "last_annotation_at": None},
    ]  # fmt: skip
    lines = [flat(line) for line in table.stdout.splitlines() if "@example.com" in line]
    assert [line.split("│")[1:7] for line in lines] == [
        [" ann@example.com ", " Ann ", " annotator ", " acme ", " night ", " yes "],
        [" lead@example.com ", " ", " manager ", " - ", " - ", " yes "],
    ]
    assert lines[0].split("│")[7].strip() == last[:16].replace("T", " ")
    assert lines[1].split("│")[7].strip() == "-"


def test_member_password_generates_one_or_reads_stdin(data_dir: Path, db: Database) -> None:
    """A generated password is printed once, on the last line, and logs in; one read from
    stdin is set without being printed; either ends the member's sessions; someone who is
    not a member, or no project, exits with the reason."""
    set_password(db, "ann@example.com", "correct horse")
    session = Credential(session=log_in(db, "ann@example.com", "correct horse", client="t").session)
    made = lw(data_dir, "member", "password", "sentiment", "ann@example.com")
    generated = made.stdout.splitlines()[-1]
    with pytest.raises(Unauthenticated):
        actor_for(db, session)
    given = lw(
        data_dir,
        "member",
        "password",
        "sentiment",
        "ann@example.com",
        "--password-stdin",
        stdin="chosen one\n",
    )
    outsider = lw(data_dir, "member", "password", "sentiment", "out@example.com")
    nowhere = lw(data_dir, "member", "password", "nowhere", "ann@example.com")
    assert (made.exit_code, len(generated), flat(made.stdout.splitlines()[0])) == (
        0,
        16,
        "new password for ann@example.com (shown once; every session has ended):",
    )
    assert (given.exit_code, flat(given.stdout)) == (
        0,
        "password set for ann@example.com; every session of theirs has ended",
    )
    assert "chosen one" not in given.stdout
    assert log_in(db, "ann@example.com", "chosen one", client="t").actor.email == (
        "ann@example.com"
    )
    assert [(r.exit_code, flat(r.output)) for r in (outsider, nowhere)] == [
        (3, "error [not_found] user out@example.com is not a member of project 'sentiment'"),
        (3, "error [not_found] project 'nowhere' does not exist"),
    ]
