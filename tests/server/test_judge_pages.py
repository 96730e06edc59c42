"""The LLM judges pages: the judges of the arena's campaign with their counts and a Run
button that starts a judge job; a judge's calibration page with the service's figures, its
charts, the disagreement list and its CSV; the empty states (no judges, no campaign, no
verdicts); who may see and run; hostile names, categories and ids shown as text. A rating
campaign's judge: test_judge_rating_pages.py."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.chat_server import ChatServer
from tests.server.test_escalation_pages import texts
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.campaign_world import make_arena, vote
from tests.services.judge_world import ARENA, JUDGE_PROMPT, biased_judge, judge_arena

from labelworks.config import Settings
from labelworks.domain.prompts import parse_prompt
from labelworks.domain.spec import spec_from_dict
from labelworks.jobs import records
from labelworks.server.app import create_app
from labelworks.server.web.judges import endpoint_host
from labelworks.server.web.quality import percent
from labelworks.services import ingestion
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import set_password
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.judges import list_judges, run_judge
from labelworks.services.projects import apply_spec, get_project
from labelworks.services.prompts import push_prompt
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

JUDGES = f"/projects/{ARENA}/judges"
CALIBRATION = f"{JUDGES}/gpt-judge/calibration"
# who -> (email, role, projects)
PEOPLE = {
    "admin": ("root@x.example", "admin", []),
    "manager": ("lead@x.example", "manager", [ARENA, "plain"]),
    "reviewer": ("rev@x.example", "reviewer", [ARENA]),
    "annotator": ("ann@x.example", "annotator", [ARENA]),
    "outsider": ("out@x.example", "manager", ["plain"]),
}
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


@dataclass
class Site:
    app: Any
    db: Database
    tokens: dict[str, str]

    def get(self, who: str, url: str) -> Any:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        return client.get(url, headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The arena (8 prompts, 48 comparisons) with 48 votes and the biased judge's verdicts
    on every item; 'plain', a campaign without judges; the people of ``PEOPLE``."""
    fast_passwords(monkeypatch)
    make_arena(db, prompts=8)
    vote(db, 48)
    plain = {"name": "plain", "fields": [{"name": "pref", "kind": "pairwise"}],
             "evaluation": {"models": ["x", "y"]}}  # fmt: skip
    apply_spec(db, spec_from_dict(plain), guidelines=None)
    with ChatServer(biased_judge) as server:
        judge_arena(db, server.url)
        run_judge(db, ARENA, "gpt-judge", settings=Settings(data_dir=tmp_path, llm_backoff=0.01))
    tokens = {}
    for who, (email, role, projects) in PEOPLE.items():
        made = add_user(db, email, role=role, projects=projects or None, with_token=True)
        assert made.token is not None
        tokens[who] = made.token
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    yield Site(app, db, tokens)


def _charts(page: str) -> dict[str, Any]:
    """The Vega-Lite specs embedded in a page, by id."""
    found = re.findall(r'<script type="application/json" id="chart-([\w-]+)">(.*?)</script>', page)
    return {name: json.loads(body) for name, body in found}


def test_the_judges_page_shows_each_judge_with_its_counts(site: Site) -> None:
    """The card gives the model, prompt, endpoint host and the stored counts as the service
    has them, with links to the calibration and a Run button; the Evaluation tab and the
    leaderboard link to the page."""
    [summary] = list_judges(site.db, ARENA)
    page = site.get("manager", JUDGES).text
    tokens = summary.prompt_tokens + summary.completion_tokens
    assert (
        texts(page, "judge-name"),
        texts(page, "judge-model"),
        texts(page, "judge-prompt"),
        texts(page, "judge-host")[0].split(" ")[0],
        texts(page, "judge-ok"),
        texts(page, "judge-malformed"),
        texts(page, "judge-failed"),
        texts(page, "judge-tokens"),
        texts(page, "run-judge"),
        f'href="{CALIBRATION}"' in page,
    ) == (
        ["gpt-judge"],
        ["judge-1"],
        ["pairwise-judge@1"],
        endpoint_host(summary.endpoint),
        [f"{summary.ok:,}"],
        ["0"],
        ["0"],
        [f"{tokens:,}"],
        ["Run again judge gpt-judge"],
        True,
    )
    assert summary.ok == 96 and endpoint_host(summary.endpoint).startswith("127.0.0.1:")
    for other in (f"/projects/{ARENA}/evaluation", f"/projects/{ARENA}/leaderboard"):
        assert texts(site.get("manager", other).text, "judges-link") == ["LLM judges"], other


def test_the_calibration_page_shows_the_figures_the_service_computes(site: Site) -> None:
    """Agreement, κ, position bias, order inconsistency and τ read as wire() gives them; the
    boards, confusion and per-category charts are embedded; the disagreement list has the
    service's items, each linking to its item page."""
    report = wire(judge_calibration(site.db, ARENA, "gpt-judge", by="category"))
    page = site.get("manager", f"{CALIBRATION}?by=category").text
    overall, bias = report["overall"], report["position_bias"]
    first = report["disagreements"][0]
    rows = texts(page, "disagreement")
    assert texts(page, "figure-agreement")[0].startswith(
        f"Agrees with people {percent(overall['percent']['value'], 1)} 95% interval "
        f"{percent(overall['percent']['low'], 1)}–{percent(overall['percent']['high'], 1)} "
        f"of {overall['items']} items"
    )
    assert texts(page, "figure-kappa")[0].startswith(
        f"Cohen's κ {overall['kappa']['value']:.2f} 95% interval "
        f"{overall['kappa']['low']:.2f} to {overall['kappa']['high']:.2f}"
    )
    shown_first = bias["first_position"]
    assert texts(page, "figure-position")[0].startswith(
        f"Picks the answer shown first {percent(shown_first['share'], 1)} 95% interval "
        f"{percent(shown_first['low'], 1)}–{percent(shown_first['high'], 1)} "
        f"of {shown_first['n']} decisive verdicts"
    )
    assert texts(page, "figure-inconsistent")[0].startswith(
        f"Changes its mind when swapped {percent(bias['inconsistent']['share'], 1)}"
    )
    assert texts(page, "figure-tau")[0].startswith(
        f"Ranks models as people do τ {report['tau']['tau']:+.2f}"
    )
    assert set(_charts(page)) == {"boards", "confusion", "categories"}
    assert (len(rows), rows[0].split(" ")[:4]) == (
        len(report["disagreements"]),
        [first["external_id"], first["category"], first["left"], first["right"]],
    )
    assert f'href="/projects/{ARENA}/items/{first["item"]}"' in page
    assert 'class="card figure biased"' in page  # 75% picks of the first shown: flagged


def test_the_disagreements_download_as_csv(site: Site) -> None:
    """?format=csv gives the disagreement list, one row per item, verdicts as model names."""
    report = wire(judge_calibration(site.db, ARENA, "gpt-judge"))
    got = site.get("manager", f"{CALIBRATION}?format=csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    first, d = rows[0], report["disagreements"][0]
    picked = {"a": d["left"], "b": d["right"], "tie": "tie"}
    assert (
        got.headers["content-type"].startswith("text/csv"),
        len(rows),
        (first["item_id"], first["external_id"], first["judge"]),
        (first["judge_in_order"], first["judge_swapped"]),
    ) == (
        True,
        len(report["disagreements"]),
        (d["item"], d["external_id"], picked[d["judge"]]),
        (picked[d["first"]], picked[d["swapped"]]),
    )


def test_run_starts_a_judge_job_for_managers_only(site: Site) -> None:
    """A manager's Run posts with the CSRF token, queues a judge job and lands on the Jobs
    tab; a reviewer sees no button and is refused (403), as is a stale token (403) and an
    unknown judge (404)."""
    client, csrf = site.session("manager")
    started = client.post(f"{JUDGES}/gpt-judge/run", data={"csrf_token": csrf})
    jobs = records.list_jobs(site.db, kind="judge")
    reviewer, reviewer_csrf = site.session("reviewer")
    assert (
        started.status_code,
        started.headers["location"],
        [(j.kind, j.params["judge"], j.state) for j in jobs],
        texts(reviewer.get(JUDGES).text, "run-judge"),
        reviewer.post(f"{JUDGES}/gpt-judge/run", data={"csrf_token": reviewer_csrf}).status_code,
        client.post(f"{JUDGES}/gpt-judge/run", data={"csrf_token": "stale"}).status_code,
        client.post(f"{JUDGES}/nobody/run", data={"csrf_token": csrf}).status_code,
        len(records.list_jobs(site.db, kind="judge")),
    ) == (303, f"/projects/{ARENA}/jobs?kind=judge", [("judge", "gpt-judge", "queued")],
          [], 403, 403, 404, 1)  # fmt: skip
    jobs_page = client.get(f"/projects/{ARENA}/jobs?kind=judge").text
    assert f"Judge gpt-judge started as job {jobs[0].id}" in jobs_page
    assert texts(client.get(JUDGES).text, "judge-running") == [f"running · job #{jobs[0].id}"]


def test_who_may_see_the_pages(site: Site) -> None:
    """Admins, managers and reviewers see both pages; annotators are refused; a manager of
    another project is told it does not exist, as on the leaderboard."""
    urls = (JUDGES, CALIBRATION, f"/projects/{ARENA}/leaderboard")
    seen = {who: tuple(site.get(who, url).status_code for url in urls) for who in PEOPLE}
    assert seen == {
        "admin": (200, 200, 200),
        "manager": (200, 200, 200),
        "reviewer": (200, 200, 200),
        "annotator": (403, 403, 403),
        "outsider": (404, 404, 404),
    }


def test_empty_states_say_what_to_do(site: Site) -> None:
    """A campaign without judges shows the YAML to add; a judge that never answered offers
    its run; an unknown judge is a 404."""
    plain = site.get("manager", "/projects/plain/judges").text
    judge_arena(site.db, "http://127.0.0.1:9/v1", name="later")
    waiting = site.get("manager", f"{JUDGES}/later/calibration").text
    assert (
        texts(plain, "no-judges")[0].split(" Add ")[0],
        "judges: gpt-judge:" in texts(plain, "judges-yaml")[0],
        texts(waiting, "no-calibration")[0].split(" The ")[0],
        texts(waiting, "run-judge"),
        site.get("manager", f"{JUDGES}/nobody/calibration").status_code,
    ) == (
        "No judges yet",
        True,
        "No verdicts yet",
        ["Run later"],
        404,
    )


def test_a_project_without_a_campaign_says_so(site: Site) -> None:
    """Without an evaluation section, the judges page explains that the campaign comes first."""
    bare = {"name": "plain", "fields": [{"name": "pref", "kind": "pairwise"}]}
    apply_spec(site.db, spec_from_dict(bare), guidelines=None)
    page = site.get("manager", "/projects/plain/judges")
    assert (page.status_code, texts(page.text, "no-judges")[0].split(" ")[:3]) == (
        200,
        ["No", "evaluation", "campaign"],
    )


def test_hostile_names_categories_and_ids_are_text(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model names, external ids and categories full of markup appear escaped on both pages
    (and in the charts' JSON), never as markup; the CSV escapes formulas."""
    fast_passwords(monkeypatch)
    names = [f"{HOSTILE.replace('@', '')} {n}" for n in range(3)]
    spec = {"name": "xss", "fields": [{"name": "pref", "kind": "pairwise"}],
            "evaluation": {"models": names}}  # fmt: skip
    apply_spec(db, spec_from_dict(spec), guidelines=None)
    rows = [
        {"id": f"=HYPERLINK({i}) {HOSTILE}", "prompt": HOSTILE,
         "outputs": {m: f"reply {chr(65 + k)}{i} {HOSTILE}" for k, m in enumerate(names)},
         "metadata": {"category": f"{HOSTILE} {i % 2}"}}
        for i in range(4)
    ]  # fmt: skip
    ingestion.import_items(db, "xss", io.BytesIO("\n".join(json.dumps(r) for r in rows).encode()),
                           format="jsonl", source="x.jsonl")  # fmt: skip
    voter = add_user(db, "v@x.example", role="annotator", projects=["xss"]).user.id
    for k in range(12):
        task = next_task_for(db, "xss", voter)
        assert task is not None
        submit_annotation(db, task.assignment_id, voter, value={"pref": {"choice": "ab"[k % 2]}},
                          seconds=1.0, idempotency_key=f"x{k}")  # fmt: skip
    with ChatServer(lambda body: f"{HOSTILE} [[A]]") as server:
        judge_arena_on(db, "xss", server.url)
        run_judge(db, "xss", "gpt-judge", settings=Settings(data_dir=tmp_path, llm_backoff=0.01))
    add_user(db, "lead@x.example", role="manager", projects=["xss"])
    set_password(db, "lead@x.example", PASSWORD)
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data"), database=db))
    log_in(client, "lead@x.example")
    base = "/projects/xss/judges"
    pages = [client.get(base).text, client.get(f"{base}/gpt-judge/calibration?by=category").text]
    for page in pages:
        assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in pages[1]
    assert texts(pages[1], "disagreement"), "the hostile arena has disagreements to show"
    got = client.get(f"{base}/gpt-judge/calibration?format=csv").text
    assert all(
        r["external_id"].startswith("'=HYPERLINK(") for r in csv.DictReader(io.StringIO(got))
    )


def judge_arena_on(db: Database, project: str, url: str) -> None:
    """``judge_world.judge_arena`` for a project of another name."""
    push_prompt(db, "pairwise-judge", parse_prompt(JUDGE_PROMPT))
    spec = get_project(db, project).spec.model_dump(mode="json", exclude_none=True)
    spec["evaluation"]["judges"] = {
        "gpt-judge": {"endpoint": url, "model": "judge-1", "prompt": "pairwise-judge@1"}
    }
    apply_spec(db, spec_from_dict(spec), guidelines=None)
