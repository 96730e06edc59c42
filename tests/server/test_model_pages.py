"""The Model tab: the current version's figures, learning curve (chart and CSV), label
counts and versions; Train now starts a job the page lists; without ``assist`` it says how
to turn it on; the review right may look, the manage right train; hostile labels and keys
are shown as text."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
from tests.server.worlds import csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl, make_project

from labelworks.config import Settings
from labelworks.jobs import records
from labelworks.server.app import create_app
from labelworks.services import assist, ingestion
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

PAGE = "/projects/sentiment/model"
WORDS = {"positive": "superb", "negative": "broken"}
# who -> (email, role, projects)
PEOPLE = {
    "admin": ("root@example.com", "admin", []),
    "manager": ("boss@example.com", "manager", ["sentiment", "plain"]),
    "reviewer": ("rev@example.com", "reviewer", ["sentiment", "plain"]),
    "ann": ("ann@example.com", "annotator", ["sentiment", "plain"]),
    "outsider": ("out@example.com", "manager", ["plain"]),
}
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


@dataclass
class Site:
    app: Any
    db: Database
    tokens: dict[str, str]
    ids: dict[str, int]

    def get(self, who: str, url: str) -> Any:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        return client.get(url, headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


def label(db: Database, project: str, annotator: int, n: int, key: str) -> None:
    """The annotator labels the next n items by their telling word (overlap 1: final)."""
    for k in range(n):
        task = next_task_for(db, project, annotator)
        assert task is not None
        text = str(task.payload.get("text", ""))
        value = "positive" if WORDS["positive"] in text else "negative"
        submit_annotation(db, task.assignment_id, annotator, value={"sentiment": value},
                          seconds=1.0, idempotency_key=f"{key}{k}")  # fmt: skip


def reviews(n: int) -> io.BytesIO:
    """n reviews, every other one positive, each with its sentiment's telling word."""
    return jsonl([{"text": f"review {i} was {WORDS[('positive', 'negative')[i % 2]]}"}
                  for i in range(n)])  # fmt: skip


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """'sentiment' with assist (first at 30, then every 10) and 40 reviews: v1 learnt from
    20 final labels, v2 from 30, and 5 more decided since; 'plain' without assist."""
    fast_passwords(monkeypatch)
    make_project(
        db,
        overlap=1,
        quality={"consensus": "majority"},
        assist={"field": "sentiment", "every": 10, "min_labels": 30},
    )
    make_project(db, name="plain")
    ingestion.import_items(db, "sentiment", reviews(40), format="jsonl", source="r.jsonl")
    tokens, ids = {}, {}
    for who, (email, role, projects) in PEOPLE.items():
        made = add_user(db, email, role=role, projects=projects or None, with_token=True)
        assert made.token is not None
        tokens[who], ids[who] = made.token, made.user.id
        set_password(db, email, "correct horse")
    label(db, "sentiment", ids["ann"], 20, "a")
    assist.train(db, "sentiment")
    label(db, "sentiment", ids["ann"], 10, "b")
    assist.train(db, "sentiment")
    label(db, "sentiment", ids["ann"], 5, "c")
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db, run_jobs=True)
    with TestClient(app):
        yield Site(app, db, tokens, ids)


def test_who_may_see_the_page_and_its_csv(site: Site) -> None:
    """Admins, managers and reviewers get the page and the CSV; annotators are refused; a
    manager of another project is told it does not exist."""
    seen = {
        who: (site.get(who, PAGE).status_code, site.get(who, f"{PAGE}?format=csv").status_code)
        for who in PEOPLE
    }
    assert seen == {
        "admin": (200, 200),
        "manager": (200, 200),
        "reviewer": (200, 200),
        "ann": (403, 403),
        "outsider": (404, 404),
    }


def test_the_page_shows_the_current_model_and_how_it_fares(site: Site) -> None:
    """The figures of v2 (learnt from 30, confirmed 5 of 5 since, next in 5), the label
    counts, both versions, the Model tab current and the Train now form for a manager."""
    page = site.get("manager", PAGE).text
    assert [
        texts(page, "figure-version")[0].split(" trained ")[0],
        *(texts(page, f"figure-{f}")[0] for f in ("accuracy", "f1", "suggested", "confirmed")),
        texts(page, "figure-next")[0],
        texts(page, "label-count"),
        [re.sub(r" \d{4}-\d\d-\d\d \d\d:\d\d [\d.]+ s$", "", r) for r in texts(page, "version")],
        'aria-current="page" data-testid="tab-model"' in page,
        'data-testid="train-now"' in page,
        texts(page, "train-jobs"),
    ] == [
        "Current model v2",
        "Held-out accuracy 100% 95% interval 89%–100%, on 30 labels (5-fold) same as v1 "
        "better than always “negative” (50%)",
        "Macro-F1 1.00 each of the 2 labels counts alike",
        "Suggestions written 10 on the items still without a final label",
        "Confirmed by final labels since 5 of 5 (100%) items decided since v2 whose final "
        "label was its suggestion",
        "Next training in 5 final labels (every 10; 35 so far)",
        ["negative 15 50%", "positive 15 50%"],
        ["v2 100% 89%–100% 1.00 30 10 5 of 5", "v1 100% 84%–100% 1.00 20 20 10 of 10 (100%)"],
        True,
        True,
        [],
    ]


def test_the_learning_curve_and_its_csv(site: Site) -> None:
    """The chart's spec holds each version's accuracy (with its interval), macro-F1 and the
    most common label's share; the CSV holds every version's figures, oldest first."""
    page = site.get("reviewer", PAGE).text
    spec = re.search(r'<script type="application/json" id="chart-learning-curve">(.*?)</script>',
                     page, re.S)  # fmt: skip
    assert spec is not None
    values = json.loads(spec.group(1))["data"]["values"]
    models = assist.assist_report(site.db, "sentiment").models
    answer = site.get("reviewer", f"{PAGE}?format=csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(v["version"], v["labels"], v["measure"], v["value"]) for v in values] == [
        ("v1", 20, "held-out accuracy", 1.0),
        ("v1", 20, "macro-F1", 1.0),
        ("v1", 20, "always the most common label", 0.5),
        ("v2", 30, "held-out accuracy", 1.0),
        ("v2", 30, "macro-F1", 1.0),
        ("v2", 30, "always the most common label", 0.5),
    ]
    assert [(v["low"], v["high"]) for v in values if "low" in v] == [
        (m.low, m.high) for m in reversed(models)
    ]
    assert (
        answer.headers["content-type"],
        answer.headers["content-disposition"],
        [(r["version"], r["labels"], r["decided"], r["accuracy"], r["suggested"]) for r in rows],
        list(rows[0]),
    ) == (
        "text/csv; charset=utf-8",
        'attachment; filename="sentiment-model-versions.csv"',
        [("1", "20", "20", "1.0", "20"), ("2", "30", "30", "1.0", "10")],
        ["version", "trained_at", "labels", "decided", "folds", "accuracy", "low", "high",
         "macro_f1", "suggested", "seconds", "job_id"],
    )  # fmt: skip


def test_without_assist_the_page_says_how_to_turn_it_on(site: Site) -> None:
    """A project without assist (nor consensus) gets the explanation with a YAML example
    naming its text field, no figures and no Train now form."""
    page = site.get("manager", "/projects/plain/model").text
    assert (
        texts(page, "model-example"),
        'data-testid="model-figures"' in page,
        'data-testid="train-now"' in page,
    ) == (
        [
            "quality: consensus: majority assist: field: sentiment min_labels: 20 # final "
            "labels before the first model every: 50 # new final labels between retrainings"
        ],
        False,
        False,
    )


def _wait(db: Database, job_id: int) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = records.get_job(db, job_id).state
        if state not in ("queued", "running"):
            return state
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_train_now_starts_a_job_the_page_lists(site: Site) -> None:
    """A manager's Train now queues a train job, back on the page with a notice; once the
    app's consumer ran it the page lists it succeeded and shows v3. A reviewer may not
    train (403), nor a form without its token (403)."""
    client, csrf = site.session("manager")
    started = client.post(f"{PAGE}/train", data={"csrf_token": csrf})
    [job] = records.list_jobs(site.db, kind="train")
    state = _wait(site.db, job.id)
    page = client.get(PAGE).text
    reviewer, reviewer_csrf = site.session("reviewer")
    refused = reviewer.post(f"{PAGE}/train", data={"csrf_token": reviewer_csrf})
    stale = client.post(f"{PAGE}/train", data={"csrf_token": "stale"})
    assert (
        started.status_code,
        started.headers["location"],
        state,
        texts(page, "model-notice"),
        re.findall(r'data-testid="job-state">(\w+)<', page),
        texts(page, "figure-version")[0].split(" trained ")[0],
        refused.status_code,
        stale.status_code,
        len(records.list_jobs(site.db, kind="train")),
    ) == (
        303,
        PAGE,
        "succeeded",
        [f"Training job {job.id} started; its progress shows below."],
        ["succeeded"],
        "Current model v3",
        403,
        403,
        1,
    )


def test_hostile_labels_and_keys_are_shown_as_text(db: Database, tmp_path: Path) -> None:
    """A label, a field title and a payload key full of markup appear escaped on the page
    (and never as markup), in the figures, counts, settings and the chart's JSON."""
    make_project(
        db,
        name="hostile",
        overlap=1,
        quality={"consensus": "majority"},
        fields=[{"name": "sentiment", "kind": "choice", "labels": ["positive", HOSTILE],
                 "title": HOSTILE, "source": HOSTILE}],
        assist={"field": "sentiment", "every": 10, "min_labels": 30},
    )  # fmt: skip
    rows = [{HOSTILE: f"review {i} was {WORDS[('positive', 'negative')[i % 2]]}"} for i in range(8)]
    ingestion.import_items(db, "hostile", jsonl(rows), format="jsonl", source="h.jsonl")
    made = add_user(db, "m@example.com", role="manager", projects=["hostile"], with_token=True)
    for k in range(6):
        task = next_task_for(db, "hostile", made.user.id)
        assert task is not None
        value = "positive" if WORDS["positive"] in str(task.payload[HOSTILE]) else HOSTILE
        submit_annotation(db, task.assignment_id, made.user.id, value={"sentiment": value},
                          seconds=1.0, idempotency_key=f"h{k}")  # fmt: skip
    assist.train(db, "hostile")
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        page = client.get(
            "/projects/hostile/model", headers={"Authorization": f"Bearer {made.token}"}
        ).text
    chart = re.search(r'id="chart-learning-curve">(.*?)</script>', page, re.S)
    assert chart is not None
    majority = [v.get("label") for v in json.loads(chart.group(1))["data"]["values"]]
    assert (
        [tag in page for tag in ("<script>window", "<img src=x")],
        texts(page, "model-title"),
        sorted(texts(page, "label-count")),
        texts(page, "versus-majority"),
        texts(page, "model-settings")[0].split(" Reads ")[1].split(" First ")[0],
        majority,
    ) == (
        [False, False],
        [f"suggests sentiment ({HOSTILE}) from the text in {HOSTILE}"],
        [f"{HOSTILE} 3 50%", "positive 3 50%"],
        [f"better than always “{HOSTILE}” (50%)"],
        f"the payload's {HOSTILE}",
        [None, None, HOSTILE],
    )
