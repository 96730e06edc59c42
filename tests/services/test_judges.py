"""LLM judges against a real local chat server: both orders asked and read back into the
item's terms, every reply stored and reused, failures retried or recorded (never lost), and
the calibration against the people's votes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.chat_server import ChatServer, faults_first
from tests.services.campaign_world import make_arena, rate, vote
from tests.services.judge_world import ARENA, biased_judge, judge_arena, letter_rank

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.domain.prompts import parse_prompt
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.judges import judge_task, list_judges, run_judge
from labelworks.services.prompts import push_prompt
from labelworks.storage import llm_replies as reply_store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database

ITEMS = 36  # 6 prompts × 6 pairs of 4 models


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Retries wait a hundredth of a second, not half a second: the policy is the same.
    return Settings(data_dir=tmp_path, llm_backoff=0.01)


def _stored(db: Database) -> list[tuple[int, bool, str, object]]:
    with db.read() as conn:
        row = project_store.by_name(conn, ARENA)
        assert row is not None
        setup = reply_store.latest_setup(conn, row.id, judge_task("gpt-judge"))
        assert setup is not None
        found = reply_store.replies(conn, row.id, judge_task("gpt-judge"), setup)
        return sorted((r.item_id, r.swapped, r.status, r.parsed) for r in found)


def test_a_run_asks_both_orders_and_stores_verdicts_in_item_terms(
    db: Database, settings: Settings
) -> None:
    """Each item is asked twice; a verdict given with the outputs swapped is stored in the
    item's terms, so the stronger model wins in both orders unless they are neighbours."""
    make_arena(db, prompts=6)
    with ChatServer(biased_judge) as server:
        judge_arena(db, server.url)
        run = run_judge(db, ARENA, "gpt-judge", settings=settings)
        bodies = list(server.bodies)
    o = run.outcome
    assert (run.items, run.prompt, run.model) == (ITEMS, "pairwise-judge@1", "judge-1")
    assert (o.requests, o.cached, o.ok, o.malformed, o.failed) == (72, 0, 72, 0, 0)
    assert {b["model"] for b in bodies} == {"judge-1"}
    assert {(b["temperature"], b["max_tokens"]) for b in bodies} == {(0, 20)}
    stored = _stored(db)
    assert len(stored) == 72
    with db.read() as conn:
        row = project_store.by_name(conn, ARENA)
        assert row is not None
        ids = reply_store.item_ids(conn, row.id, gold=False)
        items = {i.item_id: i for i in reply_store.items_by_id(conn, ids)}
    for item_id, swapped, status, parsed in stored:
        a, b = items[item_id].payload["a"], items[item_id].payload["b"]
        gap = letter_rank(a) - letter_rank(b)
        # Between neighbours the first shown wins: the item's left unswapped, right swapped.
        neighbours = "b" if swapped else "a"
        expected = neighbours if abs(gap) == 1 else "a" if gap < 0 else "b"
        assert (status, parsed) == ("ok", expected), (item_id, swapped)


def test_a_rerun_costs_nothing_and_a_new_prompt_version_asks_again(
    db: Database, settings: Settings
) -> None:
    """The cache is keyed by prompt version, model and item: an unchanged re-run sends no
    request; a changed model asks everything again."""
    make_arena(db, prompts=6)
    with ChatServer(biased_judge) as server:
        judge_arena(db, server.url)
        run_judge(db, ARENA, "gpt-judge", settings=settings)
        again = run_judge(db, ARENA, "gpt-judge", settings=settings)
        assert (again.outcome.requests, again.outcome.cached, server.requests) == (0, 72, 72)
        judge_arena(db, server.url, model="judge-2")
        other = run_judge(db, ARENA, "gpt-judge", settings=settings)
    assert (other.model, other.outcome.requests, other.outcome.cached) == ("judge-2", 72, 0)


def test_rate_limits_are_waited_out_and_answers_outlive_a_broken_server(
    db: Database, settings: Settings
) -> None:
    """429s are retried to success; once answered, a re-run against a server that fails
    everything asks it nothing."""
    make_arena(db, prompts=6)
    with ChatServer(biased_judge, faults=faults_first("429", 2)) as server:
        judge_arena(db, server.url)
        run = run_judge(db, ARENA, "gpt-judge", settings=settings)
    assert (run.outcome.ok, run.outcome.failed, run.outcome.rate_limited) == (72, 0, 144)
    with ChatServer(biased_judge, faults=faults_first("500", 99)) as down:
        judge_arena(db, down.url)
        failing = run_judge(db, ARENA, "gpt-judge", settings=settings)
    # Cached: nothing was asked of the failing server.
    assert (failing.outcome.requests, down.requests) == (0, 0)


def test_malformed_replies_are_kept_with_their_text_and_not_asked_again(
    db: Database, settings: Settings
) -> None:
    """A reply naming no verdict is asked again, then kept as malformed with its text; a
    re-run does not pay for it again."""
    make_arena(db, prompts=6)
    with ChatServer(lambda body: "I cannot decide.") as server:
        judge_arena(db, server.url)
        run = run_judge(db, ARENA, "gpt-judge", settings=settings)
        assert (run.outcome.ok, run.outcome.malformed, server.requests) == (0, 72, 72 * 5)
        again = run_judge(db, ARENA, "gpt-judge", settings=settings)
    assert again.outcome.requests == 0
    assert {(s, p) for _, _, s, p in _stored(db)} == {("malformed", None)}
    assert list_judges(db, ARENA)[0].malformed == 72


def test_a_server_that_stays_down_leaves_failed_rows_the_next_run_retries(
    db: Database, settings: Settings
) -> None:
    """Every attempt answering 500 ends as failed (recorded, never a crash); a later run
    against a working server asks for exactly those again and fills them."""
    make_arena(db, prompts=6)
    with ChatServer(biased_judge, faults=faults_first("500", 99)) as down:
        judge_arena(db, down.url)
        run = run_judge(db, ARENA, "gpt-judge", settings=settings)
    assert (run.outcome.ok, run.outcome.failed) == (0, 72)
    assert list_judges(db, ARENA)[0].failed == 72
    with ChatServer(biased_judge) as up:
        judge_arena(db, up.url)
        fixed = run_judge(db, ARENA, "gpt-judge", settings=settings)
    assert (fixed.outcome.requests, fixed.outcome.ok, up.requests) == (72, 72, 72)
    summary = list_judges(db, ARENA)[0]
    assert (summary.ok, summary.failed, summary.malformed) == (72, 0, 0)


def test_calibration_measures_agreement_bias_and_the_two_leaderboards(
    db: Database, settings: Settings
) -> None:
    """Against people voting by strength, the biased judge agrees often but not always,
    picks the first-shown output more than half the time, changes its verdict on swapped
    neighbours, and ranks the models as people do (τ = 1)."""
    make_arena(db, prompts=20)
    vote(db, 120)
    with ChatServer(biased_judge) as server:
        judge_arena(db, server.url)
        run_judge(db, ARENA, "gpt-judge", settings=settings)
    report = wire(judge_calibration(db, ARENA, "gpt-judge", by="category"))
    assert (report["judged"], report["humans_only"], report["judge_only"]) == (120, 0, 0)
    assert (report["prompt"], report["model"], report["reason"]) == (
        "pairwise-judge@1",
        "judge-1",
        None,
    )
    bias = report["position_bias"]
    # Neighbours (3 of 6 pairs) flip with the order: half the items are inconsistent.
    assert bias["inconsistent"]["share"] == 0.5
    assert bias["first_position"]["share"] > 0.5
    assert [m["model"] for m in report["judge_board"]] == ["atlas", "birch", "cedar", "dune"]
    assert report["tau"]["tau"] == 1.0
    overall = report["overall"]
    assert overall["items"] == 120
    assert 0 < overall["percent"]["value"] < 1
    assert overall["percent"]["low"] <= overall["percent"]["value"] <= overall["percent"]["high"]
    assert set(report["by_category"]) == {"math", "prose"}
    assert sum(a["items"] for a in report["by_category"].values()) == 120
    first = report["disagreements"][0]
    assert first["gap"] > 0 and first["external_id"].startswith("p")
    assert {first["left"], first["right"]} <= {"atlas", "birch", "cedar", "dune"}


def test_refusals_name_the_judge_the_prompt_and_the_key(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown judge, a prompt not in the registry, and a key variable the settings do
    not allow are refused before anything is sent."""
    make_arena(db, prompts=2)
    with ChatServer(biased_judge) as server:
        judge_arena(db, server.url)
        with pytest.raises(NotFound, match="no judge 'other' \\(judges: gpt-judge\\)"):
            run_judge(db, ARENA, "other", settings=settings)
        judge_arena(db, server.url, prompt="missing@1")
        with pytest.raises(NotFound, match="prompt 'missing@1' is not in the registry"):
            run_judge(db, ARENA, "gpt-judge", settings=settings)
        judge_arena(db, server.url, api_key_env="HOME")
        with pytest.raises(InvalidInput, match="'HOME' is not one labelworks may send"):
            run_judge(db, ARENA, "gpt-judge", settings=settings)
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        judge_arena(db, server.url, api_key_env="OPENAI_API_KEY")
        with pytest.raises(InvalidInput, match="OPENAI_API_KEY is not set"):
            run_judge(db, ARENA, "gpt-judge", settings=settings)
        assert server.requests == 0


RATING_PROMPT = """\
variables: [prompt, response]
template: |
  Question: {{ prompt }}
  Answer: {{ response }}
  Rate the answer from 1 to 5 as [[N]].
"""


def test_a_rating_judge_scores_each_output_on_the_fields_scale(
    db: Database, settings: Settings
) -> None:
    """A rating campaign's judge is asked once per output; a score off the scale is asked
    again and then kept as malformed, a score on it stored."""
    make_arena(db, prompts=3, mode="rating")

    def scorer(body: dict[str, Any]) -> str:
        content = str(body["messages"][-1]["content"])
        rank = letter_rank(content.split("Answer: ")[1])
        return "[[9]]" if rank == 3 else f"Good. [[{5 - rank}]]"

    push_prompt(db, "rater", parse_prompt(RATING_PROMPT))
    with ChatServer(scorer) as server:
        judge_arena(db, server.url, prompt="rater@1", field="correct")
        run = run_judge(db, ARENA, "gpt-judge", settings=settings)
    assert (run.items, run.outcome.ok, run.outcome.malformed) == (12, 9, 3)
    with db.read() as conn:
        row = project_store.by_name(conn, ARENA)
        assert row is not None
        setup = reply_store.latest_setup(conn, row.id, judge_task("gpt-judge"))
        assert setup == ("rater", 1, "judge-1")
        found = list(reply_store.replies(conn, row.id, judge_task("gpt-judge"), setup))
    assert sorted(r.parsed for r in found if r.status == "ok") == [3, 3, 3, 4, 4, 4, 5, 5, 5]
    assert {r.swapped for r in found} == {False}


def test_a_rating_judge_is_calibrated_against_the_peoples_scores(
    db: Database, settings: Settings
) -> None:
    """On a rubric campaign the calibration compares the judge's score of each output with
    the people's: a judge half a point more lenient than people's averages (atlas 5 down to
    dune 2) shows its leniency and ranks the models as they do."""
    make_arena(db, prompts=10, mode="rating")
    rate(db, 40, who="r1", seed=1)
    rate(db, 40, who="r2", seed=2)

    def lenient(body: dict[str, Any]) -> str:
        content = str(body["messages"][-1]["content"])
        return f"[[{5 - letter_rank(content.split('Answer: ')[1])}]]"

    push_prompt(db, "rater", parse_prompt(RATING_PROMPT))
    with ChatServer(lenient) as server:
        judge_arena(db, server.url, prompt="rater@1", field="correct")
        run_judge(db, ARENA, "gpt-judge", settings=settings)
    report = wire(judge_calibration(db, ARENA, "gpt-judge"))
    rating = report["rating"]
    assert (report["mode"], report["reason"], rating["field"]) == ("rating", None, "correct")
    assert report["judged"] == 40 and report["judge_only"] == 0
    assert rating["overall"]["mean_difference"]["value"] > 0
    assert [m["model"] for m in rating["models"]] == ["atlas", "birch", "cedar", "dune"]
    assert rating["model_tau"]["tau"] == 1.0


def test_a_deployment_may_allow_only_its_own_model_gateways(db: Database, tmp_path: Path) -> None:
    """With LABELWORKS_LLM_ENDPOINTS set, an endpoint at another origin is refused before
    anything is sent, and one at a listed origin (default port spelt or not) is called."""
    make_arena(db, prompts=2)
    with ChatServer(biased_judge) as server:
        judge_arena(db, server.url)
        port = server.url.split(":")[2].split("/")[0]
        closed = Settings(data_dir=tmp_path, llm_endpoints="https://llm.example.com")
        with pytest.raises(InvalidInput, match="LABELWORKS_LLM_ENDPOINTS lists https://llm"):
            run_judge(db, ARENA, "gpt-judge", settings=closed)
        assert server.requests == 0
        listed = f"https://llm.example.com:443, http://127.0.0.1:{port}"
        opened = Settings(data_dir=tmp_path, llm_endpoints=listed, llm_backoff=0.01)
        run = run_judge(db, ARENA, "gpt-judge", settings=opened)
    assert (run.outcome.ok, server.requests) == (24, 24)  # 12 comparisons, both orders
