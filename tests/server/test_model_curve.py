"""Active learning simulated on a project's final labels, over HTTP: the API route and the
SDK give the service's report, the Model tab links to its page, whose chart and table hold
both strategies' points and whose cards the saving; the review right may look; without
assist the page and the route say why."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
from tests.server.worlds import api_client
from tests.services.builders import make_project
from tests.services.test_learning_curve import assisted_reviews

from labelworks.domain.errors import NotFound, PermissionDenied
from labelworks.schemas.assist import LearningCurveOut
from labelworks.sdk.client import Client
from labelworks.services import learning_curve
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

API = "/api/v1/projects/sentiment/model/curve"
PAGE = "/projects/sentiment/model/curve"
# who -> (role, projects)
PEOPLE = {
    "manager": ("manager", ["sentiment", "plain"]),
    "reviewer": ("reviewer", ["sentiment", "plain"]),
    "annotator": ("annotator", ["sentiment"]),
    "outsider": ("manager", ["plain"]),
}


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """'sentiment' (assist) with 60 demo reviews, 50 decided; 'plain' without assist."""
    assisted_reviews(db, 60, 50)
    make_project(db, name="plain")
    tokens = {}
    for who, (role, projects) in PEOPLE.items():
        made = add_user(db, f"{who}@x.example", role=role, projects=projects, with_token=True)
        assert made.token is not None
        tokens[who] = made.token
    with api_client(db, tmp_path) as client:
        yield client, tokens


def _get(client: TestClient, token: str, url: str) -> tuple[int, str]:
    answer = client.get(url, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.text


def test_api_and_sdk_give_the_services_report(
    world: tuple[TestClient, dict[str, str]], db: Database
) -> None:
    """The route's JSON and the SDK's dict are the service's report; the reviewer may ask,
    the annotator may not (403), a manager of another project gets 404."""
    client, tokens = world
    expected = LearningCurveOut.model_validate(
        learning_curve.learning_curve(db, "sentiment"), from_attributes=True
    ).model_dump(mode="json")
    status, body = _get(client, tokens["reviewer"], API)
    got = Client.from_httpx(client, tokens["reviewer"]).learning_curve("sentiment")
    refused = [_get(client, tokens[who], API)[0] for who in ("annotator", "outsider")]
    assert (status, json.loads(body)) == (200, expected)
    assert got == LearningCurveOut.model_validate(expected).model_dump()
    assert (expected["used"], len(expected["points"]), expected["reason"]) == (
        50, 2 * len(expected["steps"]), None,
    )  # fmt: skip
    assert refused == [403, 404]
    with pytest.raises(PermissionDenied):
        Client.from_httpx(client, tokens["annotator"]).learning_curve("sentiment")
    with pytest.raises(NotFound):
        Client.from_httpx(client, tokens["manager"]).learning_curve("nope")


def test_the_page_draws_both_strategies_with_their_numbers(
    world: tuple[TestClient, dict[str, str]], db: Database
) -> None:
    """The chart's data are both strategies' points, its table one row per count of
    labels, the cards the saving and the sizes; the serving order is shown, and the Model
    tab links here."""
    client, tokens = world
    report = learning_curve.learning_curve(db, "sentiment")
    status, page = _get(client, tokens["reviewer"], PAGE)
    spec = re.search(r'<script type="application/json" id="chart-strategies">(.*?)</script>',
                     page, re.S)  # fmt: skip
    assert spec is not None
    chart = json.loads(spec.group(1))
    values = chart["data"]["values"]
    names = {"uncertainty": "uncertainty (least sure first)", "random": "random order"}
    saving = report.saving
    assert saving is not None and saving.saved is not None
    assert status == 200
    assert [(v["strategy"], v["labels"], v["accuracy"], v["low"], v["high"]) for v in values] == [
        (names[p.strategy], p.labels, p.accuracy, p.low, p.high) for p in report.points
    ]
    assert chart["layer"][-1]["data"]["values"][0]["accuracy"] == saving.accuracy
    rows = re.findall(r"<tr><td class=\"num\">|<tr><td>([\d,]+)</td>", page)
    assert [r for r in rows if r] == [f"{n:,}" for n in report.steps]
    assert texts(page, "figure-simulated") == [
        f"Simulated on 50 of 50 final labels of sentiment : {report.test} held out, 3 runs pooled"
    ]
    assert texts(page, "figure-uncertainty")[0].startswith(
        f"Uncertainty needs {saving.uncertainty_labels} labels"
    )
    assert texts(page, "figure-saved")[0].startswith(f"Labels saved {saving.saved}")
    assert texts(page, "routing-order") == ["sequential"]
    model_tab = _get(client, tokens["reviewer"], "/projects/sentiment/model")[1]
    assert 'href="/projects/sentiment/model/curve" data-testid="curve-link"' in model_tab


def test_who_may_open_the_page_and_without_assist_it_says_why(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    """Managers and reviewers open it, annotators get 403 and other projects' managers
    404; a project without assist gets the reason and no chart."""
    client, tokens = world
    seen = {who: _get(client, tokens[who], PAGE)[0] for who in PEOPLE}
    status, plain = _get(client, tokens["manager"], "/projects/plain/model/curve")
    assert seen == {"manager": 200, "reviewer": 200, "annotator": 403, "outsider": 404}
    assert (status, texts(plain, "curve-reason"), "chart-strategies" in plain) == (
        200,
        [
            "project 'plain' has no assist section in its spec: add assist: {field: NAME} "
            "to learn a field (docs/project-spec.md)."
        ],
        False,
    )
