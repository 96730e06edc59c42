"""A rating campaign's judge on its calibration page: the judge's score of each output
against the people's scores of it, read as the service computes them (figures, the model
means and per-category charts, the disagreement list and its CSV with formulas escaped),
and the page of a rating judge that never ran. The pairwise pages: test_judge_pages.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.chat_server import ChatServer
from tests.server.test_escalation_pages import texts
from tests.server.test_judge_pages import CALIBRATION, JUDGES, _charts
from tests.server.worlds import PASSWORD, fast_passwords, log_in
from tests.services.campaign_world import make_arena, rate
from tests.services.judge_world import ARENA, judge_arena, letter_rank
from tests.services.test_judges import RATING_PROMPT

from labelworks.config import Settings
from labelworks.domain.prompts import parse_prompt
from labelworks.server.app import create_app
from labelworks.server.web import judge_scores
from labelworks.server.web.judges import kappa_words
from labelworks.server.web.quality import percent
from labelworks.services.auth import set_password
from labelworks.services.judge_calibration import judge_calibration, wire
from labelworks.services.judges import run_judge
from labelworks.services.prompts import push_prompt
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


def lenient_rater(body: dict[str, Any]) -> str:
    """A rating judge half a point above the people's averages: atlas 5 down to dune 2."""
    content = str(body["messages"][-1]["content"])
    return f"[[{5 - letter_rank(content.split('Answer: ')[1])}]]"


def _rating_site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """The rating arena (10 prompts, 40 outputs) rated twice on each output, its judge's
    scores of 'correct' stored; a manager's session."""
    fast_passwords(monkeypatch)
    make_arena(db, prompts=10, mode="rating")
    rate(db, 40, who="r1", seed=1)
    rate(db, 40, who="r2", seed=2)
    push_prompt(db, "rater", parse_prompt(RATING_PROMPT))
    with ChatServer(lenient_rater) as server:
        judge_arena(db, server.url, prompt="rater@1", field="correct")
        run_judge(db, ARENA, "gpt-judge", settings=Settings(data_dir=tmp_path, llm_backoff=0.01))
    add_user(db, "lead@x.example", role="manager", projects=[ARENA])
    set_password(db, "lead@x.example", PASSWORD)
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data"), database=db))
    log_in(client, "lead@x.example")
    return client


def _share(e: dict[str, Any]) -> str:
    return f"{percent(e['value'], 1)} 95% interval {percent(e['low'], 1)}–{percent(e['high'], 1)}"


def test_a_rating_judges_calibration_shows_the_figures_the_service_computes(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rating campaign's judge is drawn score by score: exact and within-one agreement,
    its leniency in words, weighted κ and both τ read as wire() gives them; the model means
    and exact agreement per category are charted with the service's numbers; the
    disagreement list has the service's outputs, each linking to its item page, and its CSV
    lists them. A rating judge that never ran offers its run."""
    client = _rating_site(db, tmp_path, monkeypatch)
    report = wire(judge_calibration(db, ARENA, "gpt-judge", by="category"))
    rating = report["rating"]
    o, mt = rating["overall"], rating["model_tau"]
    page = client.get(f"{CALIBRATION}?by=category").text
    lean = o["mean_difference"]
    assert (
        texts(page, "figure-exact")[0].startswith(
            f"Same as the people's median {_share(o['exact'])} of {o['exact']['n']} outputs"
        ),
        texts(page, "figure-within-one")[0].startswith(
            f"Within one point {_share(o['within_one'])} of {o['within_one']['n']} outputs"
        ),
        texts(page, "figure-leniency")[0].startswith(
            f"Leniency {lean['value']:+.2f} points 95% interval {lean['low']:+.2f} to "
            f"{lean['high']:+.2f} over {lean['n']} outputs: more lenient than the people"
        ),
        texts(page, "figure-kappa")[0].startswith(
            f"Weighted κ (quadratic) {o['kappa']['value']:.2f} 95% interval "
            f"{o['kappa']['low']:.2f} to {o['kappa']['high']:.2f}: "
            f"{kappa_words(o['kappa']['value'])} agreement"
        ),
        texts(page, "figure-tau")[0].startswith(
            f"Orders outputs as people do τ {o['tau']['value']:+.2f} Kendall's τ between the "
            f"judge's score and the people's mean over {o['tau']['n']} outputs"
        ),
        texts(page, "figure-model-tau")[0].startswith(
            f"Ranks models as people do τ {mt['tau']:+.2f} Kendall's τ between the people's "
            f"and the judge's mean score of {mt['n']} models"
        ),
        texts(page, "calibration-title")[0].endswith(f"{report['judged']} outputs scored by both"),
        'class="card figure biased" data-testid="figure-leniency"' in page,
    ) == (True, True, True, True, True, True, True, True), texts(page, "calibration-figures")
    assert (lean["low"] > 0, mt["tau"], report["judged"]) == (True, 1.0, 40)
    charts = _charts(page)
    means = {(r["model"], r["by"]): (r["mean"], r["low"], r["high"], r["outputs"])
             for r in charts["means"]["data"]["values"]}  # fmt: skip
    assert set(charts) == {"means", "categories"}
    assert means == {
        (m["model"], who): (e["value"], e["low"], e["high"], e["n"])
        for m in rating["models"]
        for who, e in (("people", m["human"]), ("judge", m["judge"]))
    }
    assert [r["value"] for r in charts["categories"]["data"]["values"]] == list(
        rating["by_category"]
    )
    rows, first = texts(page, "disagreement"), rating["disagreements"][0]
    people = ", ".join(str(s) for s in first["human"])
    assert (len(rows), rows[0]) == (
        len(rating["disagreements"]),
        f"{first['external_id']} {first['category']} {first['model']} {people} "
        f"(mean {sum(first['human']) / len(first['human']):.2f}) {first['judge']} "
        f"{first['gap']:.2f}",
    )
    assert f'href="/projects/{ARENA}/items/{first["item"]}"' in page
    got = client.get(f"{CALIBRATION}?by=category&format=csv")
    listed = list(csv.DictReader(io.StringIO(got.text)))
    assert (got.headers["content-type"].startswith("text/csv"), len(listed), listed[0]) == (
        True,
        len(rating["disagreements"]),
        {"item_id": first["item"], "external_id": first["external_id"],
         "category": first["category"], "model": first["model"], "people": people,
         "people_n": str(len(first["human"])),
         "people_mean": f"{sum(first['human']) / len(first['human']):.3f}",
         "judge": str(first["judge"]), "gap": f"{first['gap']:.3f}"},
    )  # fmt: skip
    judge_arena(db, "http://127.0.0.1:9/v1", name="later", prompt="rater@1", field="correct")
    waiting = client.get(f"{JUDGES}/later/calibration").text
    assert (
        texts(waiting, "no-calibration")[0].split(" Run ")[0],
        texts(waiting, "run-judge"),
        texts(waiting, "calibration-figures"),
    ) == (
        "No verdicts yet The judge has not scored any of the campaign's outputs with its "
        "current prompt and model.",
        ["Run later"],
        [],
    )


def test_a_rating_judges_csv_escapes_formulas() -> None:
    """Item ids, categories and model names that start like a formula are written as text."""
    hostile = "=HYPERLINK(1)"
    found = {"item": "7", "external_id": hostile, "category": "+cat", "model": "@model",
             "human": [1, 2], "judge": 5, "gap": 3.5}  # fmt: skip
    rating = {"disagreements": [found]}
    got = judge_scores.disagreements_csv(ARENA, "gpt-judge", rating)
    [row] = list(csv.DictReader(io.StringIO(bytes(got.body).decode())))
    assert (row["external_id"], row["category"], row["model"], row["people"], row["gap"]) == (
        "'=HYPERLINK(1)",
        "'+cat",
        "'@model",
        "1, 2",
        "3.500",
    )


def test_a_rating_judge_nobody_has_rated_alongside_shows_blanks(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scores from the judge but none from people yet: every figure is a dash, the chart
    has the judge's means only, and nothing is listed as a disagreement."""
    fast_passwords(monkeypatch)
    make_arena(db, prompts=2, mode="rating")
    push_prompt(db, "rater", parse_prompt(RATING_PROMPT))
    with ChatServer(lenient_rater) as server:
        judge_arena(db, server.url, prompt="rater@1", field="correct")
        run_judge(db, ARENA, "gpt-judge", settings=Settings(data_dir=tmp_path, llm_backoff=0.01))
    add_user(db, "lead@x.example", role="manager", projects=[ARENA])
    set_password(db, "lead@x.example", PASSWORD)
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data"), database=db))
    log_in(client, "lead@x.example")
    page = client.get(CALIBRATION)
    figures = ("exact", "within-one", "leniency", "kappa", "tau", "model-tau")
    shown = [texts(page.text, f"figure-{f}")[0].split(" – ")[1] for f in figures]
    none_yet = "no output has both a judge's and a person's score yet"
    assert (
        page.status_code,
        shown,
        {r["by"] for r in _charts(page.text)["means"]["data"]["values"]},
        texts(page.text, "disagreement"),
        texts(page.text, "coverage")[0].split(", ")[1],
    ) == (
        200,
        [none_yet, none_yet, none_yet, "undefined: too few outputs, or one score only on both "
         "sides", "needs two outputs scored differently by both sides", "needs two models with "
         "both a people's and a judge's mean"],
        {"judge"},
        [],
        "8 the judge scored that nobody has rated yet.",
    )  # fmt: skip
