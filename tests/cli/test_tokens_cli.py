"""``labelworks token`` on an embedded SQLite data directory: the operator's list of every
API token (never the secret) and revoking one by id, which ends it at once."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.cli.runner import lw

from labelworks.config import Settings
from labelworks.services.users import user_for_token
from labelworks.storage.engine import Database


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory where ann has tokens 1 (cli) and 3 (laptop) and bo has token 2 (ci)."""
    folder = tmp_path / "data"
    assert lw(folder, "user", "add", "ann@example.com", "--token").exit_code == 0
    assert lw(folder, "user", "add", "bo@example.com", "--role", "manager").exit_code == 0
    assert lw(folder, "user", "token", "bo@example.com", "--label", "ci").exit_code == 0
    assert lw(folder, "user", "token", "ann@example.com", "--label", "laptop").exit_code == 0
    return folder


def _listed(data_dir: Path, *args: str) -> list[dict[str, Any]]:
    result = lw(data_dir, "token", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    for row in rows:
        assert datetime.fromisoformat(row.pop("created_at")).utcoffset() is not None
    return rows


def test_token_list_shows_every_token_without_its_secret(data_dir: Path) -> None:
    """--json lists id, user, label and last use of every token in order, --user narrows it,
    and the table has one row per token with a dash for a token never seen in use."""
    table = lw(data_dir, "token", "list")
    rows = [line.split("│")[1:-1] for line in table.stdout.splitlines() if "@example" in line]
    assert [[c.strip() for n, c in enumerate(row) if n != 3] for row in rows] == [
        ["1", "ann@example.com", "cli", "-"],
        ["2", "bo@example.com", "ci", "-"],
        ["3", "ann@example.com", "laptop", "-"],
    ]
    assert _listed(data_dir) == [
        {"id": 1, "user": "ann@example.com", "label": "cli", "last_used_at": None},
        {"id": 2, "user": "bo@example.com", "label": "ci", "last_used_at": None},
        {"id": 3, "user": "ann@example.com", "label": "laptop", "last_used_at": None},
    ]
    assert _listed(data_dir, "--user", "ANN@example.com") == [
        {"id": 1, "user": "ann@example.com", "label": "cli", "last_used_at": None},
        {"id": 3, "user": "ann@example.com", "label": "laptop", "last_used_at": None},
    ]


def test_token_list_for_an_unknown_user_exits_3(data_dir: Path) -> None:
    """--user naming nobody is not found, in one line on standard error."""
    result = lw(data_dir, "token", "list", "--user", "nobody@example.com")
    assert (result.exit_code, result.stdout, flat(result.stderr)) == (
        3,
        "",
        "error [not_found] user nobody@example.com does not exist",
    )


def test_token_revoke_ends_that_token_only(tmp_path: Path) -> None:
    """Revoking by id refuses that token at its next use while the owner's other token
    keeps working; revoking it again exits 3."""
    folder = tmp_path / "data"
    first = lw(folder, "user", "add", "ann@example.com", "--token").stdout.splitlines()[-1]
    second = lw(folder, "user", "token", "ann@example.com").stdout.splitlines()[-1]
    revoked = lw(folder, "token", "revoke", "1")
    again = lw(folder, "token", "revoke", "1")
    db = Database(Settings(data_dir=folder).effective_database_url)
    try:
        still = user_for_token(db, second)
        users = (user_for_token(db, first), still.email if still else None)
    finally:
        db.dispose()
    assert (revoked.exit_code, revoked.stdout, users) == (
        0,
        "token 1 of ann@example.com is revoked\n",
        (None, "ann@example.com"),
    )
    assert (again.exit_code, flat(again.stderr)) == (
        3,
        "error [not_found] token 1 does not exist",
    )
    assert _listed(folder) == [
        {"id": 2, "user": "ann@example.com", "label": "cli", "last_used_at": None}
    ]
