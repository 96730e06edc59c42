"""The Evaluation tab: model versions and stored runs; the form scores a model and opens
its run (figures with intervals, per-class chart, confusion matrix, reliability diagram,
slices); a refusal comes back beside the form; the compare page's verdict; hostile model
names and labels are shown as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.eval_world import PROJECT, make_eval_world

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services import evaluation, predictions
from labelworks.services.auth import set_password
from labelworks.storage.engine import Database

HERE = f"/projects/{PROJECT}/evaluation"
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The evaluation world, and the manager logged in."""
    fast_passwords(monkeypatch)
    make_eval_world(db)
    set_password(db, "boss@x.example", PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    yield log_in(client, "boss@x.example")


def _charts(page: str) -> dict[str, dict[str, object]]:
    """The Vega-Lite specs embedded in a page, by id."""
    found = re.findall(r'<script type="application/json" id="chart-([\w-]+)">(.*?)</script>', page)
    return {name: json.loads(body) for name, body in found}


def test_the_tab_lists_versions_and_offers_the_form(site: TestClient) -> None:
    """Both versions are listed with 60 items; no run yet; the form offers them."""
    page = site.get(HERE).text
    listed = texts(page, "model-version")
    assert [row.split(" ")[:3] for row in listed] == [["m", "2", "60"], ["m", "1", "60"]]
    assert texts(page, "no-runs") == ["No run yet."]
    assert 'aria-current="page" data-testid="tab-evaluation"' in page
    assert re.findall(r"<option>(m@\d)</option>", page) == ["m@2", "m@1"]


def test_the_form_scores_a_model_and_opens_its_run(site: TestClient) -> None:
    """Evaluate m@1 by category: the run page shows 80% with its interval, the per-class,
    confusion, reliability and slice charts, each with its numbers; the tab lists the run."""
    csrf = csrf_of(site.get(HERE).text)
    form = {
        "csrf_token": csrf,
        "model": "m@1",
        "field": "",
        "against": "final",
        "slice": "category",
    }
    answer = site.post(f"{HERE}/run", data=form)
    assert (answer.status_code, answer.headers["location"]) == (303, f"{HERE}/runs/1")
    page = site.get(f"{HERE}/runs/1").text
    headline = texts(page, "figure-headline")[0]
    assert headline.startswith("accuracy 80% 95% interval") and "on 40 items" in headline
    assert set(_charts(page)) == {"classes", "confusion", "reliability", "slices"}
    confusion = _charts(page)["confusion"]
    cells = confusion["data"]["values"]  # type: ignore[index]
    assert sum(c["count"] for c in cells) == 40
    assert texts(page, "run-title") == ["m@1 on sentiment against final labels"]
    runs = texts(site.get(HERE).text, "eval-run")
    assert len(runs) == 1 and runs[0].startswith("#1 m@1 sentiment final 40 80% category")


def test_a_refusal_comes_back_beside_the_form(site: TestClient) -> None:
    """Against gold with a field that does not exist: back to the tab with the reason."""
    csrf = csrf_of(site.get(HERE).text)
    form = {"csrf_token": csrf, "model": "m@1", "field": "nope", "against": "final"}
    assert site.post(f"{HERE}/run", data=form).status_code == 303
    notice = texts(site.get(HERE).text, "eval-notice")
    assert notice == ["'nope' is not a field predictions can be scored on (fields: sentiment)"]


def test_the_compare_page_gives_the_verdict(site: TestClient) -> None:
    """m@2 against m@1 by category: B is better (+10 points), McNemar's p 0.125, the toys
    slice flagged; without models chosen the page only asks for them."""
    assert texts(site.get(f"{HERE}/compare").text, "compare-empty")
    page = site.get(f"{HERE}/compare?a=m@1&b=m@2&slice=category").text
    assert texts(page, "verdict") == ["B is better"]
    assert texts(page, "figure-mcnemar")[0].startswith("McNemar's exact test p = 0.125")
    assert len(texts(page, "flagged-slice")) == 1 and texts(page, "flagged-slice")[0].startswith(
        "toys"
    )
    assert "compare-slices" in _charts(page)
    problem = site.get(f"{HERE}/compare?a=m@1&b=zzz").text
    assert texts(problem, "compare-problem")[0].startswith("no predictions from model 'zzz'")


def test_hostile_names_and_labels_are_text(db: Database, site: TestClient) -> None:
    """A model named with markup is escaped on the tab, the run page and the compare page."""
    rows = [
        {"item": f"r{i}", "model": HOSTILE.replace("@", ""), "value": {"sentiment": "pos"}}
        for i in range(60)
    ]
    predictions.push(db, PROJECT, rows)
    run = evaluation.run_evaluation(db, PROJECT, HOSTILE.replace("@", ""), slice_key=HOSTILE)
    pages = [
        site.get(HERE).text,
        site.get(f"{HERE}/runs/{run.id}").text,
        site.get(f"{HERE}/compare", params={"a": "m@1", "b": HOSTILE.replace("@", "")}).text,
    ]
    for page in pages:
        assert "<script>window.__xss" not in page
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page or "\\u003cscript" in page
