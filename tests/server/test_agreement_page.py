"""The Agreement page: a small project is measured in the request and shows each field's
coefficients with intervals and its charts' data; a big one starts measuring in the
background, polls, and reloads once the report is kept; vendors' staff are refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.server.web import agreement as agreement_page
from labelworks.services import agreement, assignment, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "agree",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 2,
}


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str]

    def get(self, who: str, url: str) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(url, headers=headers, follow_redirects=False)


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    """Project 'agree': six items labelled by two annotators who agree on four."""
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = jsonl([{"text": f"review {i}"} for i in range(6)])
    ingestion.import_items(db, "agree", rows, format="jsonl", source="a.jsonl")
    tokens, ids = {}, {}
    people = {
        "manager": ("boss@example.com", "manager", None),
        "acme_manager": ("acme@example.com", "manager", "acme"),
        "a": ("a@example.com", "annotator", None),
        "b": ("b@example.com", "annotator", None),
    }
    for key, (email, role, vendor) in people.items():
        made = add_user(db, email, role=role, vendor=vendor, projects=["agree"], with_token=True)
        assert made.token is not None
        tokens[key], ids[key] = made.token, made.user.id
    answers = {"a": "pos pos neg neg pos neg", "b": "pos pos neg neg neg pos"}
    for who, labels in answers.items():
        for k, label in enumerate(labels.split()):
            task = assignment.next_task_for(db, "agree", ids[who])
            assert task is not None
            assignment.submit_annotation(
                db,
                task.assignment_id,
                ids[who],
                value={"sentiment": label},
                seconds=1.0,
                idempotency_key=f"{who}{k}",
            )
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        yield Site(client, tokens)


def test_a_small_project_is_measured_in_the_request(site: Site, db: Database) -> None:
    """The page shows the field with the service's alpha to two decimals and the charts'
    JSON blocks; a vendor's manager is refused."""
    page = site.get("manager", "/projects/agree/agreement").text
    alpha = agreement.project_agreement(db, "agree").fields[0].coefficients["krippendorff_alpha"]
    assert alpha.value is not None
    assert (
        'data-field="sentiment"' in page,
        f"<b>{alpha.value:.2f}</b>" in page,
        'id="chart-labels-sentiment"' in page,
        'id="chart-pairs-sentiment"' in page,
        site.get("acme_manager", "/projects/agree/agreement").status_code,
    ) == (True, True, True, True, 403)


def test_a_big_project_is_measured_in_the_background(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the inline limit the page says it is measuring and polls; the poll answers 204
    until the background run kept the report, then 200 with HX-Refresh."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(agreement_page, "INLINE", 0)
    monkeypatch.setattr(agreement, "runner", queued.append)
    page = site.get("manager", "/projects/agree/agreement").text
    waiting = site.get("manager", "/projects/agree/agreement/ready")
    for work in queued:
        work()
    ready = site.get("manager", "/projects/agree/agreement/ready")
    again = site.get("manager", "/projects/agree/agreement").text
    assert (
        'data-testid="agreement-measuring"' in page,
        len(queued),
        waiting.status_code,
        ready.status_code,
        ready.headers.get("HX-Refresh"),
        'data-field="sentiment"' in again,
    ) == (True, 1, 204, 200, "true", True)
