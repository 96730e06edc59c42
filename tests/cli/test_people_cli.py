"""``labelworks user`` for operators on an embedded SQLite data directory: deactivation ends
a person's tokens at once and keeps their work, and a password can be set from a script."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from labelworks.cli.app import app
from labelworks.config import Settings
from labelworks.domain.errors import Unauthenticated
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import Credential, actor_for, log_in, set_password
from labelworks.storage.engine import Database

SPEC = """\
name: sentiment
description: Sentiment of product reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
overlap: 1
"""
ITEMS = "".join(f'{{"external_id": "r{i}", "text": "review {i}"}}\n' for i in range(3))


def lw(data_dir: Path, *args: str, stdin: str | None = None) -> Result:
    """Run ``labelworks --data-dir DATA_DIR ARGS`` with a wide terminal and no env overrides."""
    return CliRunner().invoke(
        app,
        ["--data-dir", str(data_dir), *args],
        input=stdin,
        env={"COLUMNS": "200", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with project 'sentiment' (three items) and annotator ann@example.com."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    assert lw(folder, "user", "add", "ann@example.com", "--project", "sentiment").exit_code == 0
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    """The data directory's database, for working as the annotator."""
    database = Database(Settings(data_dir=data_dir).effective_database_url)
    yield database
    database.dispose()


def _token(data_dir: Path) -> str:
    made = lw(data_dir, "user", "token", "ann@example.com", "--label", "laptop")
    assert made.exit_code == 0, made.output
    return made.stdout.splitlines()[-1]


def _annotations(data_dir: Path) -> int:
    shown = lw(data_dir, "status", "sentiment", "--json")
    assert shown.exit_code == 0, shown.output
    count: int = json.loads(shown.stdout)["annotations"]
    return count


def test_deactivate_refuses_the_token_at_once_and_keeps_the_work(
    data_dir: Path, db: Database
) -> None:
    """After deactivate the user's token is refused on its next use while their submitted
    annotation stays counted; reactivate makes the same token work again."""
    token = Credential(token=_token(data_dir))
    task = next_task_for(db, "sentiment", token)
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        token,
        value={"sentiment": "positive"},
        seconds=3.0,
        idempotency_key="k1",
    )
    off = lw(data_dir, "user", "deactivate", "ann@example.com")
    with pytest.raises(Unauthenticated) as refused:
        next_task_for(db, "sentiment", token)
    kept = _annotations(data_dir)
    on = lw(data_dir, "user", "reactivate", "ann@example.com")
    assert [(r.exit_code, flat(r.stdout)) for r in (off, on)] == [
        (0, "ann@example.com is deactivated; every session and token of theirs has ended"),
        (0, "ann@example.com is active again"),
    ]
    assert (str(refused.value), kept, actor_for(db, token).email) == (
        "invalid API token",
        1,
        "ann@example.com",
    )


def test_deactivate_ends_web_sessions_and_an_unknown_user_exits_3(
    data_dir: Path, db: Database
) -> None:
    """A logged-in session ends with deactivation, and naming nobody exits 3 with one line."""
    set_password(db, "ann@example.com", "correct horse")
    session = Credential(
        session=log_in(db, "ann@example.com", "correct horse", client="test").session
    )
    assert actor_for(db, session).email == "ann@example.com"
    assert lw(data_dir, "user", "deactivate", "ann@example.com").exit_code == 0
    with pytest.raises(Unauthenticated) as refused:
        actor_for(db, session)
    unknown = lw(data_dir, "user", "deactivate", "nobody@example.com")
    assert (str(refused.value), unknown.exit_code, flat(unknown.stderr)) == (
        "your session has ended; log in again",
        3,
        "error [not_found] user nobody@example.com does not exist",
    )


def test_password_stdin_sets_the_password_from_one_line(data_dir: Path, db: Database) -> None:
    """--password-stdin takes the first line without its newline, so the user can log in
    with exactly that password and the rest of the input is ignored."""
    set_by = lw(
        data_dir,
        "user",
        "password",
        "ann@example.com",
        "--password-stdin",
        stdin="a long pass phrase\r\nignored\n",
    )
    logged = log_in(db, "ann@example.com", "a long pass phrase", client="test")
    assert (set_by.exit_code, set_by.stdout, logged.actor.email) == (
        0,
        "password set for ann@example.com\n",
        "ann@example.com",
    )


@pytest.mark.parametrize("given", ["", "\n", "short\n"])
def test_password_stdin_refuses_empty_or_short_passwords(
    data_dir: Path, db: Database, given: str
) -> None:
    """No input, an empty line or a too-short password exits 2 with the service's message
    and leaves the user without a password."""
    result = lw(data_dir, "user", "password", "ann@example.com", "--password-stdin", stdin=given)
    with pytest.raises(Unauthenticated):
        log_in(db, "ann@example.com", given.strip(), client="test")
    assert (result.exit_code, result.stdout, flat(result.stderr)) == (
        2,
        "",
        "error [invalid_input] a password needs at least 8 characters",
    )


def test_password_stdin_for_an_unknown_user_changes_nothing(data_dir: Path) -> None:
    """A password for nobody is refused with one line (exit 2, as the service reports it)."""
    result = lw(
        data_dir,
        "user",
        "password",
        "nobody@example.com",
        "--password-stdin",
        stdin="long enough\n",
    )
    assert (result.exit_code, flat(result.stderr)) == (
        2,
        "error [invalid_input] no active user nobody@example.com",
    )
