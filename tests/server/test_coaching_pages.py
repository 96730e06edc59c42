"""The coaching page through logged-in sessions: a manager's view (figures, both charts
with their numbers, mistakes with the expert's answer and the section, the note form), the
annotator's "My progress" (no expert answers, no form, nobody else named), the note form
(CSRF, a blank note refused keeping nothing, a note added), another vendor's person a 404,
and hostile item content and notes escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl
from tests.services.coaching_world import (
    ANN,
    BEN,
    BOSS,
    CY,
    GIL,
    LEAD,
    PROJECT,
    REV,
    CoachingWorld,
    build,
)

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services import catalog, gold, ingestion, passwords
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.storage.engine import Database, utcnow

HOSTILE = '<img src=x onerror="alert(1)">Loved it'
PAGE = f"/projects/{PROJECT}/people"


@dataclass
class Site:
    app: Any
    world: CoachingWorld

    def session(self, email: str) -> TestClient:
        return log_in(TestClient(self.app, raise_server_exceptions=False), email)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The coaching world with passwords, and a hostile gold item Gil answered wrong."""
    fast_passwords(monkeypatch)
    world = build(db, utcnow().date(), password_hash=passwords.hash_password(PASSWORD))
    ingestion.import_items(db, PROJECT, jsonl([{"text": HOSTILE}]), format="jsonl", source="x")
    (item,) = catalog.list_items(db, PROJECT, text="onerror").items
    gold.mark_gold(db, PROJECT, item.id, value={"sentiment": "negative"}, explanation="<b>no</b>")
    task = next_task_for(db, PROJECT, world.ids[GIL])
    assert task is not None and task.item_id == item.id
    submit_annotation(
        db, task.assignment_id, world.ids[GIL], value={"sentiment": "positive"}, seconds=3.0,
        idempotency_key="hostile",
    )  # fmt: skip
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    yield Site(app, world)


def _chart_rows(html: str, name: str) -> list[dict[str, Any]]:
    """The rows the chart's lines are drawn from (its last layer's)."""
    found = re.search(rf'<script type="application/json" id="chart-{name}">(.*?)</script>', html)
    assert found is not None
    spec = json.loads(found.group(1))
    rows: list[dict[str, Any]] = spec.get("layer", [spec])[-1]["data"]["values"]
    return rows


def test_a_manager_sees_figures_charts_mistakes_and_the_note_form(site: Site) -> None:
    """The in-house manager's page has the headline cards, both charts (Ann against acme's
    median) with their numbers, Ann's four mistakes with the expert's answers, the
    sections and their guideline links, and the note form with the CSRF field."""
    response = site.session(LEAD).get(f"{PAGE}/{ANN}")
    html = response.text
    accuracy = _chart_rows(html, "accuracy")
    assert response.status_code == 200
    assert [
        html.count(f'data-testid="{t}"')
        for t in ("gold-mistake", "review-mistake", "expert-answer", "fixed-answer", "note-form")
    ] == [2, 2, 2, 1, 1]
    assert [
        text in html
        for text in (
            "Coaching: Ann",
            "annotations per active hour",
            "against the median of acme's people in coach",
            "Great food, rude staff",
            "Praise and complaint: mixed feelings.",
            f'href="/projects/{PROJECT}/settings/guidelines/1#:~:text=Sarcasm"',
            "When a text praises and complains at once, label it neutral.",
            'name="csrf_token"',
            'aria-current="page" data-testid="tab-people"',
        )
    ] == [True] * 9
    assert sorted((r["series"], r["value"]) for r in accuracy if "value" in r) == sorted(
        [("Ann", 1 / 3), ("team median", 2 / 3)]
    )


def test_my_progress_hides_expert_answers_and_other_people(site: Site) -> None:
    """Ann reaches /me from her labeling page's "My progress" link; it shows her mistakes
    and the team's medians but no expert answers, guideline links or note form, and names
    nobody else; Ben's page is refused to her."""
    ann = site.session(ANN)
    mine = ann.get(f"/projects/{PROJECT}/me")
    other = ann.get(f"{PAGE}/{BEN}")
    labeling = ann.get(f"/projects/{PROJECT}/label").text
    html = mine.text
    assert (mine.status_code, other.status_code) == (200, 403)
    assert f'href="/projects/{PROJECT}/me" data-testid="my-progress"' in labeling
    assert [e for e in (BEN, CY, GIL, BOSS, LEAD, REV, "Ben", "Lead") if e in html] == []
    assert [
        html.count(f'data-testid="{t}"')
        for t in ("gold-mistake", "answers-kept", "guideline-link", "note-form")
    ] == [2, 1, 0, 0]
    assert ("My progress" in html, "kept from you" in html, "Back to labeling" in html) == (
        True,
        True,
        True,
    )


def test_notes_need_the_form_token_refuse_blanks_and_are_escaped(site: Site) -> None:
    """A post without the session's token is 403 and a blank note 422 with the message,
    both adding nothing; a note with markup is added and shown as text; acme's manager gets
    404 for Gil, and Gil's hostile gold item is shown escaped to the in-house manager."""
    lead = site.session(LEAD)
    url = f"{PAGE}/{ANN}"
    token = csrf_of(lead.get(url).text)
    forged = lead.post(f"{url}/notes", data={"body": "x", "csrf_token": "nope"})
    blank = lead.post(f"{url}/notes", data={"body": "   ", "csrf_token": token})
    added = lead.post(
        f"{url}/notes",
        data={"body": "<script>alert(2)</script> talk", "csrf_token": token},
        follow_redirects=False,
    )
    shown = lead.get(url).text
    gil = lead.get(f"{PAGE}/{GIL}").text
    boss = site.session(BOSS).get(f"{PAGE}/{GIL}")
    assert (forged.status_code, blank.status_code, added.status_code) == (403, 422, 303)
    assert "field &#39;body&#39;: a note must not be empty" in blank.text
    assert added.headers["location"] == f"{url}#notes"
    assert shown.count('data-testid="note"') == 1
    assert "&lt;script&gt;alert(2)&lt;/script&gt; talk" in shown and "<script>alert" not in shown
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Loved it" in gil
    assert "<img src=x" not in gil and "&lt;b&gt;no&lt;/b&gt;" in gil
    assert boss.status_code == 404
