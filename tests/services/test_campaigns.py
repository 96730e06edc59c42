"""Evaluation campaigns on every database: prompts and outputs imported as blind
comparison items (all or nothing, errors at their line), votes turned into a leaderboard
that ranks the models as their true strengths do, per-category boards, adaptive ordering,
and rating campaigns' per-criterion means and agreement."""

from __future__ import annotations

import pytest
from tests.services.builders import jsonl, make_project
from tests.services.campaign_world import (
    ARENA,
    MODELS,
    campaign_rows,
    make_arena,
    metadata_of,
    output,
    rate,
    vote,
)

from labelworks.domain.errors import InvalidImport, InvalidInput
from labelworks.services import catalog
from labelworks.services.campaigns import refresh_adaptive
from labelworks.services.ingestion import import_items
from labelworks.services.leaderboards import leaderboard_report
from labelworks.services.specs import stored_spec
from labelworks.services.status import project_status
from labelworks.storage import items as item_store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database


def test_the_import_makes_one_blind_item_per_pair(db: Database) -> None:
    """30 prompts × 6 pairs = 180 items named prompt/number; payloads hold the prompt and
    two texts, never a model's name; every model is placed left and right alike."""
    make_arena(db)
    page = catalog.list_items(db, ARENA, limit=200)
    assert len(page.items) == 180
    lefts: dict[str, int] = {}
    for row in page.items:
        record = metadata_of(db, row.id)["campaign"]
        lefts[record["left"]] = lefts.get(record["left"], 0) + 1
        with db.read() as conn:
            item = item_store.get(conn, row.id)
        assert item is not None
        assert set(item.payload) == {"prompt", "a", "b"}
        prompt = int(record["prompt"][1:])
        assert item.payload["a"] == output(MODELS.index(record["left"]), prompt)
        assert item.payload["b"] == output(MODELS.index(record["right"]), prompt)
        assert not any(m in str(item.external_id) for m in MODELS)
    assert sorted(lefts) == sorted(MODELS)
    assert max(lefts.values()) - min(lefts.values()) <= 1


def test_a_bad_campaign_row_refuses_the_whole_file(db: Database) -> None:
    """An output from a model the campaign lacks, on line 3: file, line and key named; the
    project keeps what it had; CSV is refused for a campaign."""
    make_arena(db, prompts=2)
    rows = campaign_rows(3)
    rows[2]["outputs"]["zephyr"] = "?"
    with pytest.raises(InvalidImport) as caught:
        import_items(db, ARENA, jsonl(rows), format="jsonl", source="more.jsonl")
    assert str(caught.value) == (
        "more.jsonl, line 3, field 'outputs.zephyr': 'zephyr' is not one of the campaign's "
        "models (atlas, birch, cedar, dune)"
    )
    duplicate = [*campaign_rows(2), campaign_rows(1)[0]]
    with pytest.raises(InvalidImport, match="id 'p0' is used twice \\(first on line 1\\)"):
        import_items(db, ARENA, jsonl(duplicate), format="jsonl", source="dup.jsonl")
    with pytest.raises(InvalidImport, match="not CSV"):
        import_items(db, ARENA, jsonl(rows), format="csv", source="x.csv")
    assert project_status(db, ARENA).items == 12


def test_votes_rank_the_models_as_their_strengths_do(db: Database) -> None:
    """180 votes by the Bradley-Terry odds: the board lists atlas, birch, cedar, dune in
    that order with intervals around each rating, counts every battle, a tie rate near a
    tenth and no clear position bias; per category, two boards."""
    make_arena(db)
    vote(db, 180)
    report = leaderboard_report(db, ARENA, by="category")
    assert report.board is not None
    models = report.board["models"]
    assert [m["model"] for m in models] == ["atlas", "birch", "cedar", "dune"]
    assert all(m["low"] <= m["rating"] <= m["high"] for m in models)
    assert sum(m["battles"] for m in models) == 2 * 180 == 2 * report.votes
    assert 0.02 < report.board["tie_rate"]["value"] < 0.2
    bias = report.board["position_bias"]
    assert bias["low"] < 0.5 < bias["high"]
    assert set(report.categories) == {"math", "prose"}
    assert sorted(report.placement) == MODELS
    assert all(abs(a - b) <= 1 for a, b in report.placement.values())


def test_a_project_without_votes_or_campaign_says_so(db: Database) -> None:
    """No votes: no board, the reason given; a project without a campaign is refused."""
    make_arena(db, prompts=2)
    report = leaderboard_report(db, ARENA)
    assert (report.board, report.reason, report.votes) == (None, "no votes yet", 0)
    make_project(db, name="plain")
    with pytest.raises(InvalidInput, match="has no evaluation campaign"):
        leaderboard_report(db, "plain")


def test_adaptive_campaigns_serve_the_least_certain_pairs_first(db: Database) -> None:
    """With pairs: adaptive every waiting comparison gets its pair's priority at import;
    after lopsided votes the pairs already settled sink below the open ones."""
    make_arena(db, pairs="adaptive")
    first = catalog.list_items(db, ARENA, limit=200).items
    assert all(r.priority >= 1 for r in first)
    vote(db, 60)
    with db.write() as conn:
        project = project_store.by_name(conn, ARENA)
        assert project is not None
        moved = refresh_adaptive(conn, project.id, stored_spec(project.spec))
    assert moved == 120


def test_a_rating_campaign_gives_means_per_criterion_and_agreement(db: Database) -> None:
    """Four outputs of 20 prompts rated by two evaluators: per criterion the models in
    order of their marks with t intervals, and Krippendorff's alpha between the two."""
    make_arena(db, prompts=20, mode="rating")
    rate(db, 80, who="r1", seed=1)
    rate(db, 80, who="r2", seed=2)
    report = leaderboard_report(db, ARENA)
    assert (report.mode, report.board, len(report.criteria)) == ("rating", None, 2)
    for criterion in report.criteria:
        order = [m["model"] for m in criterion["models"]]
        assert order == ["atlas", "birch", "cedar", "dune"]
        assert all(m["n"] == 40 and m["low"] < m["mean"] < m["high"] for m in criterion["models"])
        agreement = criterion["agreement"]
        assert agreement["items"] == 80 and 0.5 < agreement["value"] <= 1
