"""A campaign's leaderboard through every face: the API and SDK give the service's board
(the issue's minimum keys at the top), the CLI prints it and its --json, the page shows
the standings, the matrix and the placement; refusals name the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.cli.runner import lw
from tests.server.test_escalation_pages import texts
from tests.server.worlds import PASSWORD, api_client, fast_passwords, log_in
from tests.services.campaign_world import ARENA, make_arena, vote

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput
from labelworks.sdk.client import Client
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def arena(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The arena with 120 votes, and a manager (token and password)."""
    fast_passwords(monkeypatch)
    make_arena(db, prompts=20)
    vote(db, 120)
    made = add_user(db, "lead@x.example", role="manager", projects=[ARENA], with_token=True)
    set_password(db, "lead@x.example", PASSWORD)
    assert made.token is not None
    with api_client(db, tmp_path) as client:
        client.headers["X-Test-Token"] = made.token
        yield client


def test_the_sdk_gives_the_board_with_its_minimum_keys(arena: TestClient) -> None:
    """models: {model, rating, low, high, rank, battles} best first, the strongest on top;
    categories per 'category'; the tie rate and position bias as shares."""
    client = Client.from_httpx(arena, arena.headers["X-Test-Token"])
    board = client.leaderboard(ARENA, by="category")
    first = board["models"][0]
    assert {"model", "rating", "low", "high", "rank", "battles"} <= set(first)
    assert (first["model"], first["rank"], board["votes"], board["mode"]) == (
        "atlas",
        1,
        120,
        "pairwise",
    )
    assert set(board["categories"]) == {"math", "prose"}
    assert 0 <= board["tie_rate"]["value"] <= 1
    with pytest.raises(InvalidInput, match="String should have at most 200 characters"):
        client.leaderboard(ARENA, by="x" * 201)


def test_the_page_shows_standings_matrix_and_placement(arena: TestClient) -> None:
    """Four standings, atlas first; the matrix and ratings charts; the placement table."""
    log_in(arena, "lead@x.example")
    page = arena.get(f"/projects/{ARENA}/leaderboard?by=category").text
    standings = texts(page, "standing")
    assert len(standings) == 4 and standings[0].startswith("1 atlas")
    for testid in ("ratings", "win-matrix", "placement"):
        assert texts(page, testid), testid
    assert len(texts(page, "category-board")) == 2
    evaluation = arena.get(f"/projects/{ARENA}/evaluation").text
    assert texts(evaluation, "leaderboard-link") == ["Leaderboard"]


def test_the_cli_prints_the_board(db: Database, tmp_path: Path) -> None:
    """On an embedded data directory: the table, then --json with the same models."""
    folder = tmp_path / "cli"
    folder.mkdir()
    local = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(local)
    make_arena(local, prompts=10)
    vote(local, 60)
    local.dispose()
    shown = lw(folder, "leaderboard", ARENA)
    assert shown.exit_code == 0, shown.output
    assert "arena: 60 votes on 4 models" in shown.output
    assert "Bradley-Terry ratings (Elo scale, 95% bootstrap intervals)" in shown.output
    data = json.loads(lw(folder, "leaderboard", ARENA, "--json").output)
    assert sorted(m["model"] for m in data["models"]) == ["atlas", "birch", "cedar", "dune"]
    assert lw(folder, "leaderboard", "nope").exit_code == 3
