"""The Agreement page: a small project is measured in the request and shows each field's
coefficients with intervals, its charts' data and the contested items linked; the filters
come from the URL (presets, dates, vendor, field) and bad ones are shown on the page; a
big one starts measuring in the background, polls with the page's filters, and reloads once
the report is kept; a vendor's staff see their own vendor only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
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
    """The page shows the field with the service's alpha to two decimals and its verdict,
    every chart's JSON block, and each contested item linked to its page; a vendor's
    manager gets their own vendor's (here: nothing to compare) and is refused another."""
    page = site.get("manager", "/projects/agree/agreement").text
    report = agreement.project_agreement(db, "agree")
    alpha = report.fields[0].coefficients["krippendorff_alpha"]
    assert alpha.value is not None
    contested = [c.item_id for c in report.fields[0].contested]
    walled = site.get("acme_manager", "/projects/agree/agreement")
    other = site.get("acme_manager", "/projects/agree/agreement?vendor=globex")
    assert (
        'data-field="sentiment"' in page,
        f"<b>{alpha.value:.2f}</b>" in page,
        'data-testid="verdict"' in page,
        *(f'id="chart-{c}-sentiment"' in page for c in ("labels", "pairs", "rest", "confusion")),
        walled.status_code,
        "by acme's annotators" in walled.text,
        "No item of this field has two answers with these filters" in walled.text,
        other.status_code,
    ) == (True, True, True, True, True, True, True, 200, True, True, 403)
    assert contested == [5, 6]
    assert all(f'href="/projects/agree/items/{i}"' in page for i in contested)


def test_filters_come_from_the_url(site: Site, db: Database) -> None:
    """A preset period starts at midnight UTC, a custom 'to' day is included whole, the
    vendor and field selects narrow the report; each shows in the scope line and the form
    keeps it."""
    today = datetime.now(UTC).date()
    week = site.get("manager", "/projects/agree/agreement?period=7d").text
    day = today.isoformat()
    custom = site.get("manager", f"/projects/agree/agreement?since={day}&until={day}").text
    field = site.get("manager", "/projects/agree/agreement?field=sentiment&vendor=acme").text
    start = datetime.combine(today - timedelta(days=6), time())
    assert f"from {start:%Y-%m-%d} 00:00" in week
    assert '<option value="7d" selected>' in week
    assert f"from {day} 00:00 before {today + timedelta(days=1):%Y-%m-%d} 00:00" in custom
    assert f'value="{day}"' in custom
    assert "by acme's annotators" in field and '<option value="acme" selected>' in field
    expected = agreement.project_agreement(db, "agree", since=start)
    alpha = expected.fields[0].coefficients["krippendorff_alpha"].value
    assert alpha is not None and f"<b>{alpha:.2f}</b>" in week


def test_bad_filters_are_shown_on_the_page(site: Site) -> None:
    """A bad date, an empty period, an unknown vendor or field give the page (422) with the
    form and the reason, not a report; too long a value is refused before it is read."""
    urls = {
        "?since=2026-13-01": "since must be a date such as 2026-01-31",
        "?since=2026-01-02&until=2026-01-01": "since must be before until",
        "?vendor=initech": "unknown vendor &#39;initech&#39;",
        "?field=mood": "unknown field &#39;mood&#39;",
    }
    for query, reason in urls.items():
        response = site.get("manager", f"/projects/agree/agreement{query}")
        assert (response.status_code, reason in response.text) == (422, True), query
        assert 'data-testid="agreement-filters"' in response.text
    assert site.get("manager", "/projects/agree/agreement?vendor=" + "x" * 300).status_code == 422


def test_a_big_project_is_measured_in_the_background(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the inline limit the page says it is measuring and polls; the poll answers 204
    until the background run kept the report, then 200 with HX-Refresh."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(agreement_page, "INLINE", 0)
    monkeypatch.setattr(agreement, "runner", queued.append)
    page = site.get("manager", "/projects/agree/agreement?period=30d").text
    waiting = site.get("manager", "/projects/agree/agreement/ready?period=30d")
    for work in queued:
        work()
    ready = site.get("manager", "/projects/agree/agreement/ready?period=30d")
    unfiltered = site.get("manager", "/projects/agree/agreement/ready")
    again = site.get("manager", "/projects/agree/agreement?period=30d").text
    assert 'hx-get="/projects/agree/agreement/ready?period=30d"' in page
    assert unfiltered.status_code == 204  # another filter set: not measured yet
    assert (
        'data-testid="agreement-measuring"' in page,
        len(queued),
        waiting.status_code,
        ready.status_code,
        ready.headers.get("HX-Refresh"),
        'data-field="sentiment"' in again,
    ) == (True, 1, 204, 200, "true", True)


def test_a_big_project_that_moved_shows_its_last_report_while_measuring_again(
    site: Site, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the project has more annotations than its kept report counted, the page shows
    that report with a note and polls with its count; the poll answers 204 until the
    background run kept a newer one, then 200; the reloaded page has no note."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(agreement_page, "INLINE", 0)
    monkeypatch.setattr(agreement, "runner", queued.append)
    agreement.project_agreement(db, "agree")  # kept at 12 annotations
    rows = jsonl([{"text": "one more review"}])
    ingestion.import_items(db, "agree", rows, format="jsonl", source="b.jsonl")
    who = add_user(db, "c@example.com", role="annotator", projects=["agree"]).user.id
    task = assignment.next_task_for(db, "agree", who)
    assert task is not None
    assignment.submit_annotation(
        db, task.assignment_id, who, value={"sentiment": "pos"}, seconds=1.0, idempotency_key="c"
    )
    page = site.get("manager", "/projects/agree/agreement").text
    waiting = site.get("manager", "/projects/agree/agreement/ready?after=12")
    for work in queued:
        work()
    ready = site.get("manager", "/projects/agree/agreement/ready?after=12")
    again = site.get("manager", "/projects/agree/agreement").text
    assert (
        'data-testid="agreement-stale"' in page,
        "Measured when the project had 12 annotations; it has 13 now." in page,
        'hx-get="/projects/agree/agreement/ready?after=12"' in page,
        'data-field="sentiment"' in page,
        len(queued),
        waiting.status_code,
        ready.status_code,
        'data-testid="agreement-stale"' in again,
    ) == (True, True, True, True, 1, 204, 200, False)
