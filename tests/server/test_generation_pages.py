"""The Generate page under the Evaluation tab: a manager's form (the registry's prompts, the
fields a generation can fill, the key variables the server may send) that queues a generate
job, or is shown again with the refusal and what was typed when the generation could not
start; the project's generations with their counts, as the API, the SDK and the CLI list
them; who may see and post; hostile model names shown as text."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.chat_server import ChatServer
from tests.cli.runner import lw
from tests.server.test_escalation_pages import texts
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import make_project
from tests.services.eval_world import DECIDED, ITEMS, PROJECT, make_eval_world
from tests.services.test_campaign_outputs import ROWS, echo
from tests.services.test_campaign_outputs import _campaign as campaign
from tests.services.test_generation import PROMPT_V1, PROMPT_V2, reviewer

from labelworks.config import Settings
from labelworks.domain.prompts import parse_prompt
from labelworks.jobs import records
from labelworks.schemas.generations import GenerationSummaryOut
from labelworks.sdk.client import Client
from labelworks.server.app import create_app
from labelworks.services.auth import set_password
from labelworks.services.generation import run_generation
from labelworks.services.generations import list_generations, parse_task
from labelworks.services.prompts import push_prompt
from labelworks.services.users import add_user
from labelworks.storage import migration
from labelworks.storage.engine import Database

PAGE = f"/projects/{PROJECT}/evaluation/generate"
API = f"/api/v1/projects/{PROJECT}/generations"
# who -> (email, role, projects); the eval world's manager is boss@x.example.
PEOPLE = {
    "admin": ("root@x.example", "admin", []),
    "manager": ("boss@x.example", "manager", [PROJECT]),
    "reviewer": ("rev@x.example", "reviewer", [PROJECT]),
    "annotator": ("ann@x.example", "annotator", [PROJECT]),
    "outsider": ("out@x.example", "manager", ["other"]),
}
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
GOOD = {"prompt": "classify@1", "model": "gen", "field": "sentiment", "concurrency": "4"}


@dataclass
class Site:
    app: Any
    db: Database
    tokens: dict[str, str]
    settings: Settings

    def get(self, who: str, url: str) -> Any:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        return client.get(url, headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The eval world ('reviews': 60 items, 40 decided, no predictions) with two versions
    of the 'classify' prompt in the registry, and the people of ``PEOPLE``."""
    fast_passwords(monkeypatch)
    world = make_eval_world(db, push=False, with_token=True)
    make_project(db, name="other")
    push_prompt(db, "classify", parse_prompt(PROMPT_V1))
    push_prompt(db, "classify", parse_prompt(PROMPT_V2))
    assert world.manager_token is not None
    tokens = {"manager": world.manager_token}
    for who, (email, role, projects) in PEOPLE.items():
        if who != "manager":
            made = add_user(db, email, role=role, projects=projects or None, with_token=True)
            assert made.token is not None
            tokens[who] = made.token
        set_password(db, email, PASSWORD)
    settings = Settings(data_dir=tmp_path / "data", llm_backoff=0.01)
    yield Site(create_app(settings, database=db), db, tokens, settings)


def _generate(site: Site, server: ChatServer, prompt: str, **options: Any) -> None:
    run_generation(site.db, PROJECT, prompt=prompt, endpoint=server.url, model="gen",
                   settings=site.settings, **options)  # fmt: skip


def _options(page: str, name: str) -> list[tuple[str, bool]]:
    """A select's options as (text, selected)."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert select is not None
    found = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    return [(text, "selected" in attrs) for attrs, text in found]


def test_the_form_offers_the_registry_prompts_and_the_fields_it_can_fill(site: Site) -> None:
    """A manager gets the form: each prompt's versions (newest first, the latest chosen),
    the project's choice field, the key variables the server may send; a reviewer gets
    the (empty) list without it; the Evaluation tab links to the page."""
    page = site.get("manager", PAGE).text
    reviewer_page = site.get("reviewer", PAGE)
    evaluation = site.get("reviewer", f"/projects/{PROJECT}/evaluation").text
    assert (
        _options(page, "prompt"),
        _options(page, "field"),
        texts(page, "key-variables")[0].split(" (")[0],
        texts(page, "no-generations"),
    ) == (
        [("classify@2 (latest)", True), ("classify@1", False)],
        [("sentiment (choice)", True)],
        "The key is read from an environment variable of the server, never typed here. "
        "This server may send OPENAI_API_KEY",
        ["No generation yet."],
    )
    assert (
        reviewer_page.status_code,
        texts(reviewer_page.text, "generate-form"),
        texts(reviewer_page.text, "no-generations"),
        f'href="{PAGE}"' in evaluation,
    ) == (200, [], ["No generation yet: managers start them here."], True)


def test_a_refused_generation_shows_the_form_again_and_queues_nothing(site: Site) -> None:
    """A bad endpoint, an unknown prompt and a concurrency out of range each come back
    (422) with the service's refusal beside the form and what was typed kept."""
    client, csrf = site.session("manager")
    shown = []
    for change, message in [
        ({"endpoint": "ftp://x"}, "must be an http:// or https:// URL"),
        ({"prompt": "missing@1"}, "prompt 'missing@1' is not in the registry"),
        ({"concurrency": "0"}, "greater than or equal to 1"),
        ({"temperature": "warm"}, "valid number"),
        ({"api_key_env": "HOME"}, "api key variable 'HOME' is not one labelworks may send"),
    ]:
        form = {"endpoint": "http://127.0.0.1:9/v1", **GOOD, **change, "csrf_token": csrf}
        got = client.post(PAGE, data=form)
        problem = texts(got.text, "generate-problem")
        shown.append((got.status_code, len(problem) == 1 and message in problem[0]))
        page = got.text
        for key, value in change.items():
            if key == "prompt":
                assert ("missing@1", True) in _options(page, "prompt")
            else:
                assert f'name="{key}" value="{value}"' in page, key
        assert 'name="model" value="gen"' in page
    assert shown == [(422, True)] * 5
    assert records.list_jobs(site.db, kind="generate") == []


def test_a_good_generation_queues_a_job_and_lands_on_the_jobs_tab(site: Site) -> None:
    """The job has the form's parameters (numbers as numbers, empty boxes left out); the
    Jobs tab says it started; the page then names the job; a reviewer's post and a stale
    token are refused (403), and nothing more is queued."""
    client, csrf = site.session("manager")
    form = {**GOOD, "endpoint": " http://127.0.0.1:9/v1 ", "as_model": "", "temperature": "0.5"}
    started = client.post(PAGE, data={**form, "csrf_token": csrf})
    [job] = records.list_jobs(site.db, kind="generate")
    jobs_page = client.get(f"/projects/{PROJECT}/jobs?kind=generate").text
    other, other_csrf = site.session("reviewer")
    assert (
        started.status_code,
        started.headers["location"],
        (job.kind, job.project, job.state, job.params),
        f"Generation with classify@1 started as job {job.id}" in jobs_page,
        texts(client.get(PAGE).text, "generate-running")[0].split(":")[0],
        other.post(PAGE, data={**form, "csrf_token": other_csrf}).status_code,
        client.post(PAGE, data={**form, "csrf_token": "stale"}).status_code,
        len(records.list_jobs(site.db, kind="generate")),
    ) == (
        303,
        f"/projects/{PROJECT}/jobs?kind=generate",
        ("generate", PROJECT, "queued",
         {"prompt": "classify@1", "endpoint": "http://127.0.0.1:9/v1", "model": "gen",
          "field": "sentiment", "concurrency": 4, "temperature": 0.5}),
        True,
        f"Job #{job.id} (classify@1 with gen) is queued",
        403,
        403,
        1,
    )  # fmt: skip


def test_generations_are_listed_on_the_page_and_by_the_api_and_sdk(site: Site) -> None:
    """Two prompt versions' generations: the page shows each with the service's counts,
    newest first, the later compared with the earlier; Evaluate scores it (a run page);
    the API and the SDK give the service's list."""
    with ChatServer(reviewer) as server:
        _generate(site, server, "classify@1")
        _generate(site, server, "classify@2")
    found = list_generations(site.db, PROJECT)
    page = site.get("reviewer", PAGE).text
    rows = texts(page, "generation")
    first = found[0]
    assert [(g.predicted, g.prompt, g.served, g.items, g.ok, g.malformed, g.failed)
            for g in found] == [
        ("gen@classify-v2", "classify@2", "gen", ITEMS, ITEMS, 0, 0),
        ("gen@classify-v1", "classify@1", "gen", ITEMS, ITEMS, 0, 0),
    ]  # fmt: skip
    assert (
        texts(page, "generation-model"),
        texts(page, "generation-ok"),
        texts(page, "generation-tokens")[0],
        texts(page, "generation-compare"),
        len(rows),
    ) == (
        ["gen@classify-v2", "gen@classify-v1"],
        [f"{ITEMS}", f"{ITEMS}"],
        f"{first.prompt_tokens + first.completion_tokens:,}",
        ["Compare gen@classify-v2 with gen@classify-v1", "Compare gen@classify-v1"],
        2,
    )
    assert (
        f'href="/projects/{PROJECT}/evaluation/compare?a=gen%40classify-v1&amp;b=gen%40classify-v2'
        '&amp;field=sentiment"'
    ) in page
    client, csrf = site.session("reviewer")
    form = {"model": "gen@classify-v1", "field": "sentiment", "against": "final"}
    scored = client.post(f"/projects/{PROJECT}/evaluation/run", data={**form, "csrf_token": csrf})
    assert scored.status_code == 303 and "/evaluation/runs/" in scored.headers["location"]
    headline = texts(client.get(scored.headers["location"]).text, "figure-headline")[0]
    assert headline.startswith("accuracy 80%") and f"on {DECIDED} items" in headline
    expected = [
        GenerationSummaryOut.model_validate(g, from_attributes=True).model_dump(mode="json")
        for g in found
    ]
    assert site.get("reviewer", API).json() == expected
    with TestClient(site.app) as http:
        sdk = Client.from_httpx(http, site.tokens["reviewer"])
        listed = sdk.generations(PROJECT)
    assert [(g["predicted"], g["field"], g["ok"], g["items"]) for g in listed] == [
        ("gen@classify-v2", "sentiment", ITEMS, ITEMS),
        ("gen@classify-v1", "sentiment", ITEMS, ITEMS),
    ]


def test_who_may_see_the_page_and_the_list(site: Site) -> None:
    """Admins, managers and reviewers read both; annotators are refused (403); a manager of
    another project is told it does not exist (404)."""
    seen = {who: (site.get(who, PAGE).status_code, site.get(who, API).status_code)
            for who in PEOPLE}  # fmt: skip
    assert seen == {
        "admin": (200, 200),
        "manager": (200, 200),
        "reviewer": (200, 200),
        "annotator": (403, 403),
        "outsider": (404, 404),
    }


def test_hostile_model_names_are_text(site: Site) -> None:
    """A generation stored as a model named with markup is listed escaped, in the table
    and in the Evaluate form's hidden field, never as markup."""
    with ChatServer(reviewer) as server:
        _generate(site, server, "classify@1", as_model=HOSTILE)
    page = site.get("manager", PAGE).text
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert texts(page, "generation-model") == [f"{HOSTILE}@classify-v1"]
    assert 'value="&lt;script&gt;window.__xss=1&lt;/script&gt;&lt;img src=x onerror=' in page


def test_a_task_name_reads_back_as_field_model_and_version() -> None:
    """Model names may hold ':' and '@' (the version after the last '@' names the prompt);
    what is not a generation's task reads as None."""
    assert [
        parse_task("generate:sentiment:gen@classify-v1"),
        parse_task("generate:sentiment:org:a@b@classify-v12"),
        parse_task("judge:gpt"),
        parse_task("generate:sentiment:gen"),
    ] == [
        ("sentiment", "gen", "classify-v1"),
        ("sentiment", "org:a@b", "classify-v12"),
        None,
        None,
    ]


def test_the_cli_lists_generations(tmp_path: Path) -> None:
    """labelworks generations prints each generation's model version, prompt and counts;
    --json gives the API's list; a project without any says so."""
    folder = tmp_path / "gen"
    folder.mkdir()
    local = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(local)
    make_eval_world(local, push=False)
    push_prompt(local, "classify", parse_prompt(PROMPT_V1))
    with ChatServer(reviewer) as server:
        run_generation(local, PROJECT, prompt="classify@1", endpoint=server.url, model="gen",
                       settings=Settings(data_dir=folder, llm_backoff=0.01))  # fmt: skip
    local.dispose()
    shown = lw(folder, "generations", PROJECT)
    data = json.loads(lw(folder, "generations", PROJECT, "--json").output)
    assert shown.exit_code == 0, shown.output
    assert re.search(rf"gen@classify-v1 .*sentiment .*classify@1 .*gen .*{ITEMS} .*{ITEMS} ",
                     shown.output)  # fmt: skip
    assert [(g["predicted"], g["prompt"], g["ok"], g["malformed"], g["failed"]) for g in data] == [
        ("gen@classify-v1", "classify@1", ITEMS, 0, 0)
    ]
    assert lw(folder, "generations", "nope").exit_code == 3


def test_a_campaign_project_generates_outputs_from_an_uploaded_rows_file(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a campaign project the form asks for a rows file and one of the campaign's models;
    posting it queues a generate job whose run writes the rows with that model's output,
    offered for download on the Jobs page; without a file it says what is missing."""
    fast_passwords(monkeypatch)
    campaign(db)
    add_user(db, "lead@x.example", role="manager", projects=["answers"])
    set_password(db, "lead@x.example", PASSWORD)
    settings = Settings(data_dir=tmp_path / "data", llm_backoff=0.01)
    app = create_app(settings, database=db, run_jobs=True)
    page_url = "/projects/answers/evaluation/generate"
    with ChatServer(echo) as chat, TestClient(app, follow_redirects=False) as client:
        log_in(client, "lead@x.example")
        form_page = client.get(page_url).text
        csrf = csrf_of(form_page)
        body = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
        fields = {"csrf_token": csrf, "prompt": "answer@1", "endpoint": chat.url,
                  "model": "small", "as_model": "answer-v1"}  # fmt: skip
        posted = client.post(page_url, data=fields, files={"rows": ("rows.jsonl", body)})
        job = records.list_jobs(db, actor=None, project="answers", kind="generate", limit=1)[0]
        for _ in range(600):
            if records.get_job(db, job.id).state not in ("queued", "running"):
                break
            time.sleep(0.05)
        done = records.get_job(db, job.id)
        jobs_page = client.get("/projects/answers/jobs?kind=generate").text
        got = client.get(f"/api/v1/jobs/{job.id}/download").text.splitlines()
        missing = client.post(page_url, data=fields)
    assert _options(form_page, "as_model") == [
        ("human-written", False),
        ("answer-v1", False),
        ("answer-v2", False),
    ]
    assert (posted.status_code, posted.headers["location"]) == (
        303,
        "/projects/answers/jobs?kind=generate",
    )
    assert (done.state, done.result["written"] if done.result else None) == ("succeeded", 5)
    assert f"/api/v1/jobs/{job.id}/download" in jobs_page
    assert json.loads(got[0])["outputs"]["answer-v1"] == "Reply to question 0"
    assert missing.status_code == 422
    assert "the project has no choice, multi_choice, rating or text field" in missing.text
