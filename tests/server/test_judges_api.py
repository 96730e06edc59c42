"""LLM judges and generation through every face: the SDK runs a judge as a job the server's
consumer runs against a local chat server, reads the judges and the calibration the service
computes, starts a generation; refusals come before anything is queued; the CLI runs,
lists, calibrates and generates, with --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.chat_server import ChatServer
from tests.cli.runner import lw
from tests.server.worlds import api_client
from tests.services.campaign_world import make_arena, vote
from tests.services.eval_world import ITEMS, PROJECT, make_eval_world
from tests.services.judge_world import ARENA, biased_judge, judge_arena
from tests.services.test_campaign_outputs import ROWS, echo
from tests.services.test_campaign_outputs import _campaign as campaign
from tests.services.test_generation import PROMPT_V1, reviewer

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.sdk.client import Client
from labelworks.sdk.jobs import JobFailed
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.users import add_user
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer(biased_judge) as chat:
        yield chat


@pytest.fixture
def arena(db: Database, tmp_path: Path, server: ChatServer) -> Iterator[tuple[Client, Client]]:
    """The arena with 60 votes and a judge at the local server: (manager, annotator) SDKs
    on an app whose own consumer runs jobs."""
    make_arena(db, prompts=10)
    vote(db, 60)
    judge_arena(db, server.url)
    boss = add_user(db, "lead@x.example", role="manager", projects=[ARENA], with_token=True)
    worker = add_user(db, "ann@x.example", role="annotator", projects=[ARENA], with_token=True)
    assert boss.token is not None and worker.token is not None
    with api_client(db, tmp_path, run_jobs=True) as client:
        yield Client.from_httpx(client, boss.token), Client.from_httpx(client, worker.token)


def test_the_sdk_runs_a_judge_and_reads_its_calibration(
    arena: tuple[Client, Client], db: Database, server: ChatServer
) -> None:
    """run_judge queues a judge job the server runs (both orders of 60 items); judges()
    counts its verdicts; judge_calibration() is the service's report, to the number."""
    sdk, _ = arena
    job = sdk.run_judge(ARENA, "gpt-judge")
    done = sdk.wait_job(job["id"], timeout=120, poll=0.1)
    result = done["result"]
    assert (done["kind"], result["judge"], result["ok"], result["requests"]) == (
        "judge",
        "gpt-judge",
        120,
        120,
    )
    assert server.requests == 120
    listed = sdk.judges(ARENA)
    assert [(j["name"], j["ok"], j["failed"], j["prompt"]) for j in listed] == [
        ("gpt-judge", 120, 0, "pairwise-judge@1")
    ]
    given = sdk.judge_calibration(ARENA, "gpt-judge", by="category")
    expected = wire(judge_calibration(db, ARENA, "gpt-judge", by="category"))
    assert given == json.loads(json.dumps(expected))
    assert given["judged"] == 60 and set(given["by_category"]) == {"math", "prose"}


def test_refusals_come_before_anything_is_queued(arena: tuple[Client, Client]) -> None:
    """An unknown judge is a 404, a generation with a missing prompt a 404 and one with a
    bad body a 422 naming the field; annotators may neither run nor read judges."""
    sdk, annotator = arena
    with pytest.raises(NotFound, match="no judge 'nope'"):
        sdk.run_judge(ARENA, "nope")
    with pytest.raises(NotFound, match="prompt 'missing' is not in the registry"):
        sdk.generate(ARENA, prompt="missing", endpoint="http://127.0.0.1:9/v1", model="m")
    with pytest.raises(InvalidInput, match="concurrency"):
        sdk.generate(ARENA, prompt="x", endpoint="http://127.0.0.1:9/v1", model="m",
                     concurrency=0)  # fmt: skip
    with pytest.raises(InvalidInput, match="is a pairwise field; generation fills"):
        sdk.generate(ARENA, prompt="pairwise-judge", endpoint="http://127.0.0.1:9/v1",
                     model="m", field="pref")  # fmt: skip
    assert sdk.jobs(project=ARENA) == []
    with pytest.raises(PermissionDenied):
        annotator.run_judge(ARENA, "gpt-judge")
    with pytest.raises(PermissionDenied):
        annotator.judge_calibration(ARENA, "gpt-judge")


def test_the_cli_runs_lists_calibrates_and_generates(tmp_path: Path, server: ChatServer) -> None:
    """labelworks judge prints what the run did; judges lists it; calibration prints the
    agreement and both boards (and --json the wire report); generate stores predictions
    of the prompt version; a second judge run asks nothing."""
    fresh = tmp_path / "arena"
    fresh.mkdir()
    local = Database(Settings(data_dir=fresh).effective_database_url)
    migration.upgrade(local)
    make_arena(local, prompts=10)
    vote(local, 60)
    judge_arena(local, server.url)
    local.dispose()
    ran = lw(fresh, "judge", ARENA, "--judge", "gpt-judge")
    assert ran.exit_code == 0, ran.output
    assert "120 requests sent, 0 answered before; 120 new verdicts, 0 malformed" in ran.output
    again = json.loads(lw(fresh, "judge", ARENA, "--judge", "gpt-judge", "--json").output)
    assert (again["requests"], again["cached"]) == (0, 120)
    listed = lw(fresh, "judges", ARENA)
    assert "gpt-judge" in listed.output and "pairwise-judge@1" in listed.output
    shown = lw(fresh, "calibration", ARENA, "--judge", "gpt-judge", "--by", "category")
    assert shown.exit_code == 0, shown.output
    for text in (
        "agreement with the people's consensus:",
        "Cohen's kappa:",
        "changed its verdict when the order changed: 50.0%",
        "Kendall's tau between the two leaderboards",
        "largest disagreements",
    ):
        assert text in shown.output
    data = json.loads(lw(fresh, "calibration", ARENA, "--judge", "gpt-judge", "--json").output)
    assert (data["judged"], data["judge"], data["tau"]["n"]) == (60, "gpt-judge", 4)
    assert lw(fresh, "calibration", ARENA, "--judge", "nope").exit_code == 3
    assert lw(fresh, "judge", "nope", "--judge", "x").exit_code == 3


def test_the_cli_generates_predictions_tagged_with_the_prompt_version(tmp_path: Path) -> None:
    """labelworks generate runs a pushed prompt over the items and says which model version
    holds the predictions; predictions models then lists it."""
    folder = tmp_path / "gen"
    folder.mkdir()
    local = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(local)
    make_eval_world(local, push=False)
    local.dispose()
    prompt = tmp_path / "classify.yaml"
    prompt.write_text(PROMPT_V1)
    assert lw(folder, "prompt", "push", "classify", str(prompt)).exit_code == 0
    with ChatServer(reviewer) as chat:
        made = lw(folder, "generate", PROJECT, "--prompt", "classify@1", "--endpoint", chat.url,
                  "--model", "gen", "--concurrency", "4")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert f"{ITEMS} new predictions of 'sentiment' stored as gen@classify-v1" in made.output
    models = lw(folder, "predictions", "models", PROJECT)
    assert "classify-v1" in models.output
    bad = lw(folder, "generate", PROJECT, "--prompt", "classify", "--endpoint", "ftp://x",
             "--model", "gen")  # fmt: skip
    assert bad.exit_code == 2 and "must be an http:// or https:// URL" in bad.output


def test_campaign_outputs_through_the_sdk_and_the_cli(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """generate(rows=…) queues a job whose file holds the rows with the new model's output;
    the CLI's --rows -o writes the same file; a bad row fails the job naming it."""
    campaign(db)
    boss = add_user(db, "lead@x.example", role="manager", projects=["answers"], with_token=True)
    assert boss.token is not None
    with ChatServer(echo) as chat, api_client(db, tmp_path, run_jobs=True) as client:
        sdk = Client.from_httpx(client, boss.token)
        job = sdk.generate("answers", prompt="answer@1", endpoint=chat.url, model="small",
                           as_model="answer-v1", rows=ROWS)  # fmt: skip
        done = sdk.wait_job(job["id"], timeout=120, poll=0.1)
        got = [json.loads(line) for line in sdk.download_job_result(job["id"], tmp_path / "o")
               .read_text().splitlines()]  # fmt: skip
        bad = sdk.generate("answers", prompt="answer@1", endpoint=chat.url, model="small",
                           as_model="answer-v1", rows=[{"id": "x", "prompt": 3}])  # fmt: skip
        with pytest.raises(JobFailed, match="request body, line 1, field 'prompt'"):
            sdk.wait_job(bad["id"], timeout=60, poll=0.1)
        with pytest.raises(InvalidInput, match="need as_model"):
            sdk.generate("answers", prompt="answer@1", endpoint=chat.url, model="small",
                         rows=ROWS)  # fmt: skip
    assert (done["result"]["written"], done["result"]["file"]) == (5, "rows.jsonl")
    assert got[0]["outputs"] == {"human-written": "answer 0", "answer-v1": "Reply to question 0"}

    folder = tmp_path / "cli"
    folder.mkdir()
    local = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(local)
    campaign(local)
    local.dispose()
    given = tmp_path / "rows.jsonl"
    given.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "out.jsonl"
    with ChatServer(echo) as chat:
        made = lw(folder, "generate", "answers", "--prompt", "answer@2", "--endpoint", chat.url,
                  "--model", "small", "--as", "answer-v2", "--rows", str(given),
                  "-o", str(out))  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "5 rows written to" in made.output
    assert json.loads(out.read_text().splitlines()[0])["outputs"]["answer-v2"] == (
        "Reply to question 0"
    )
    refused = lw(folder, "generate", "answers", "--prompt", "answer@2", "--endpoint",
                 "http://127.0.0.1:9/v1", "--model", "small", "--as", "answer-v2",
                 "--rows", str(given))  # fmt: skip
    assert refused.exit_code == 2 and "--rows needs -o FILE" in refused.output
