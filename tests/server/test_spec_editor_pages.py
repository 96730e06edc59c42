"""Project administration pages per role, on SQLite and PostgreSQL: the New project page
(admins and managers), its check as the spec is typed (the CLI's own messages, with their
lines; the preview's data for a valid spec), creating a project; the Settings tab's editor
(managers; reviewers read the spec), review, apply refused until forced; the spec history
with the diff between any two revisions, and every guideline version, rendered safely."""

from __future__ import annotations

import html
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
from typer.testing import CliRunner

from labelworks.cli.app import app as cli
from labelworks.config import Settings
from labelworks.domain.errors import NotFound
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, ingestion
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec, get_project
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "ed",
    "description": "Edited in the browser",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]}],
    "overlap": 1,
}
RULES = "# Rules\nBe <b>kind</b>. <script>window.x=1</script>"
PEOPLE = {
    "admin": ("root@example.com", "admin", None),
    "manager": ("boss@example.com", "manager", ["ed"]),
    "outsider": ("out@example.com", "manager", []),
    "reviewer": ("rev@example.com", "reviewer", ["ed"]),
    "ann": ("ann@example.com", "annotator", ["ed"]),
}
BROKEN = """\
name: fresh
fields:
  - name: sentiment
    kind: choice
    labels: [pos, pos]
    lables: [x]
"""
GOOD = """\
name: fresh
description: Made on the page
fields:
  - name: sentiment
    kind: choice
    labels: [pos, neg]
  - name: objects
    kind: boxes
    labels: [car]
guidelines: |
  # Fresh
  Label it.
"""


@dataclass
class Site:
    app: Any
    db: Database

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'ed' (guidelines v1, given beside the spec as the CLI does) with two items,
    one labelled 'meh'; its people, and a manager of no project."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=RULES)
    ingestion.import_items(
        db, "ed", jsonl([{"text": "one"}, {"text": "two"}]), format="jsonl", source="i.jsonl"
    )
    ids = {}
    for key, (email, role, projects) in PEOPLE.items():
        ids[key] = add_user(db, email, role=role, projects=projects or None).user.id
        set_password(db, email, PASSWORD)
    task = assignment.next_task_for(db, "ed", ids["ann"])
    assert task is not None
    assignment.submit_annotation(
        db,
        task.assignment_id,
        ids["ann"],
        value={"sentiment": "meh"},
        seconds=1,
        idempotency_key="k",
    )
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app):
        yield Site(app, db)


def _text(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    assert found is not None, testid
    return html.unescape(found.group(1)).strip()


def _preview(page: str) -> dict[str, Any]:
    found = re.search(r'id="spec-preview-config">(.*?)</script>', page, re.S)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def _cli_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> str:
    """What ``labelworks project apply spec.yaml`` prints for ``text``, after the code."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(text)
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path / "cli"), "project", "apply", "spec.yaml"],
        env={"COLUMNS": "400", "LABELWORKS_DATABASE_URL": None, "LABELWORKS_DATA_DIR": None},
    )
    assert result.exit_code == 2
    return result.stderr.strip().removeprefix("error [invalid_spec] ")


def test_the_new_project_page_is_for_those_who_may_create_projects(site: Site) -> None:
    seen = {}
    for who in ("admin", "manager", "outsider", "reviewer", "ann"):
        client, _ = site.session(who)
        page = client.get("/projects/new")
        index = client.get("/").text
        seen[who] = (page.status_code, 'data-testid="new-project"' in index)
    assert seen == {
        "admin": (200, True),
        "manager": (200, True),
        "outsider": (200, True),
        "reviewer": (403, False),
        "ann": (403, False),
    }


def test_the_check_shows_the_clis_errors_with_their_lines(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every problem of the typed spec, the first in the CLI's own words, each with its line
    (marked for the editor's gutter) and the line as typed; nothing is created."""
    client, csrf = site.session("manager")
    page = client.post("/projects/new/check", data={"csrf_token": csrf, "spec": BROKEN}).text
    problems = re.findall(r'data-testid="spec-problem" data-line="(\d+)"', page)
    assert _text(page, "spec-error") == _cli_error(tmp_path, monkeypatch, BROKEN)
    assert _text(page, "spec-error").startswith("spec.yaml, line 5, field 'fields[0].labels[1]'")
    assert problems == ["5", "6"]
    assert "did you mean &#39;labels&#39;?" in page
    assert "spec-preview-config" not in page


def test_a_valid_spec_sends_the_preview_of_its_labeling_page(site: Site) -> None:
    """The fields as the labeling page gets them, a sample item made from their sources
    (the bundled sample image for boxes), the guidelines rendered; a sample item of one's
    own replaces it, a broken one is named and the generated one used."""
    client, csrf = site.session("manager")
    made = client.post("/projects/new/check", data={"csrf_token": csrf, "spec": GOOD}).text
    own = client.post(
        "/projects/new/check",
        data={"csrf_token": csrf, "spec": GOOD, "sample": '{"text": "mine", "image": "x.png"}'},
    ).text
    broken = client.post(
        "/projects/new/check", data={"csrf_token": csrf, "spec": GOOD, "sample": '{"text": '}
    ).text
    config = _preview(made)
    assert [f["name"] for f in config["fields"]] == ["sentiment", "objects"]
    assert config["payload"] == {"text": config["payload"]["text"], "image": "sample.svg"}
    assert config["media"] == {"image": "/static/preview/sample.svg"}
    assert "<h1>Fresh</h1>" in made
    assert (_preview(own)["payload"], _preview(own)["media"]) == (
        {"text": "mine", "image": "x.png"},
        {},  # a project that does not exist yet has no media files
    )
    assert _text(broken, "sample-error").startswith("sample item")
    assert _preview(broken)["payload"] == config["payload"]
    with pytest.raises(NotFound):
        get_project(site.db, "fresh")  # checking creates nothing


def test_creating_a_project_leads_to_its_overview(site: Site) -> None:
    client, csrf = site.session("manager")
    made = client.post("/projects/new", data={"csrf_token": csrf, "spec": GOOD})
    overview = client.get("/projects/fresh")
    view = get_project(site.db, "fresh")
    assert (made.status_code, made.headers["location"]) == (303, "/projects/fresh")
    assert overview.status_code == 200  # the manager is a member of what they made
    assert (view.row.spec_revision, view.guidelines and view.guidelines.content) == (
        1,
        "# Fresh\nLabel it.\n",
    )


def test_a_refused_create_shows_why_and_keeps_the_text(site: Site) -> None:
    client, csrf = site.session("manager")
    taken = client.post(
        "/projects/new", data={"csrf_token": csrf, "spec": GOOD.replace("fresh", "ed")}
    )
    broken = client.post("/projects/new", data={"csrf_token": csrf, "spec": BROKEN})
    stale = client.post("/projects/new", data={"csrf_token": "nope", "spec": GOOD})
    assert (taken.status_code, _text(taken.text, "create-error")) == (
        409,
        "a project named 'ed' already exists",
    )
    assert broken.status_code == 422
    assert html.escape(BROKEN, quote=False) in broken.text
    assert stale.status_code == 403
    assert get_project(site.db, "ed").row.spec_revision == 1


def test_settings_edits_for_managers_and_reads_for_reviewers(site: Site) -> None:
    """The manager's editor holds the spec with the guidelines written in (so applying it
    keeps them); the reviewer reads the spec; the annotator is sent to work; the check
    route is the manager's alone."""
    pages = {}
    for who in ("manager", "reviewer", "ann"):
        client, csrf = site.session(who)
        page = client.get("/projects/ed/settings")
        check = client.post("/projects/ed/settings/check", data={"csrf_token": csrf, "spec": "x"})
        pages[who] = (page, check.status_code)
    manager, reviewer, ann = (pages[w][0] for w in ("manager", "reviewer", "ann"))
    editor = re.search(r'data-testid="spec-editor"[^>]*>\n(.*?)</textarea>', manager.text, re.S)
    assert editor is not None
    assert "guidelines: |-\n  # Rules\n" in html.unescape(editor.group(1))
    assert 'data-testid="spec-yaml"' in reviewer.text and "spec-editor" not in reviewer.text
    assert (ann.status_code, ann.headers["location"]) == (303, "/projects/ed/label")
    assert {who: status for who, (_, status) in pages.items()} == {
        "manager": 200,
        "reviewer": 403,
        "ann": 403,
    }


def test_the_settings_check_wants_this_project(site: Site) -> None:
    client, csrf = site.session("manager")
    spec = client.get("/projects/ed/settings").text
    other = client.post("/projects/ed/settings/check", data={"csrf_token": csrf, "spec": GOOD}).text
    assert _text(other, "spec-error") == (
        "spec.yaml, field 'name': the spec names project 'fresh' but the URL names 'ed'"
    )
    assert "spec-valid" in spec


def _editor_spec(client: TestClient) -> str:
    found = re.search(
        r'data-testid="spec-editor"[^>]*>\n(.*?)</textarea>',
        client.get("/projects/ed/settings").text,
        re.S,
    )
    assert found is not None
    return html.unescape(found.group(1))


def test_review_then_apply_refuses_an_unsafe_change_until_forced(site: Site) -> None:
    """Removing 'meh' (in use): the review shows the diff and the unsafe change; Apply is
    refused with the CLI's message and changes nothing; Apply with force goes through and
    says what it did."""
    client, csrf = site.session("manager")
    spec = _editor_spec(client).replace("[pos, neg, meh]", "[pos, neg]")
    review = client.post("/projects/ed/settings/review", data={"csrf_token": csrf, "spec": spec})
    refused = client.post("/projects/ed/settings/apply", data={"csrf_token": csrf, "spec": spec})
    before = get_project(site.db, "ed").row.spec_revision
    forced = client.post(
        "/projects/ed/settings/apply", data={"csrf_token": csrf, "spec": spec, "force": "on"}
    )
    after = client.get(forced.headers["location"]).text
    again = client.post("/projects/ed/settings/apply", data={"csrf_token": csrf, "spec": spec})
    assert review.status_code == 200
    assert (
        "label &#39;meh&#39; of field &#39;sentiment&#39; is in use and would be removed"
        in review.text
    )
    assert re.search(r'<tr class="remove">.*labels: \[pos, neg, meh\]', review.text)
    assert 'data-testid="force"' in review.text
    assert (refused.status_code, before) == (409, 1)
    assert _text(refused.text, "apply-error") == (
        "this change would invalidate existing annotations: label 'meh' of field 'sentiment' "
        "is in use and would be removed (apply with --force to do it anyway)"
    )
    assert (forced.status_code, forced.headers["location"]) == (303, "/projects/ed/settings")
    assert _text(after, "apply-result") == (
        "Applied: spec revision 2. Forced: label 'meh' of field 'sentiment' is in use and "
        "would be removed."
    )
    assert _text(client.get(again.headers["location"]).text, "apply-result") == (
        "Nothing to apply: the spec is revision 2 already."
    )
    view = get_project(site.db, "ed")
    assert (view.row.spec_revision, view.row.guideline_version) == (2, 1)


def test_applying_new_guidelines_says_so(site: Site) -> None:
    client, csrf = site.session("manager")
    spec = _editor_spec(client).replace("Be <b>kind</b>.", "Be kind, always.")
    review = client.post("/projects/ed/settings/review", data={"csrf_token": csrf, "spec": spec})
    done = client.post("/projects/ed/settings/apply", data={"csrf_token": csrf, "spec": spec})
    result = _text(client.get(done.headers["location"]).text, "apply-result")
    assert "the guidelines become a new version" in review.text
    assert result == "Applied: spec revision 2; guidelines v2 (a new version)."


def test_an_invalid_review_shows_the_problems(site: Site) -> None:
    client, csrf = site.session("manager")
    review = client.post(
        "/projects/ed/settings/review", data={"csrf_token": csrf, "spec": "name: ed\n"}
    )
    assert (review.status_code, _text(review.text, "settings-error")) == (
        422,
        "spec.yaml, line 1, field 'fields': missing required key 'fields'",
    )


def test_the_history_compares_any_two_revisions(site: Site) -> None:
    client, csrf = site.session("manager")
    for labels in ("[pos, neg, meh, new]", "[pos, neg, meh, new, newer]"):
        spec = (
            _editor_spec(client)
            .replace("[pos, neg, meh]", labels)
            .replace("[pos, neg, meh, new]", labels)
        )
        client.post("/projects/ed/settings/apply", data={"csrf_token": csrf, "spec": spec})
    latest = client.get("/projects/ed/settings/history").text
    chosen = client.get("/projects/ed/settings/history?a=1&b=3").text
    missing = client.get("/projects/ed/settings/history?a=1&b=7")
    reviewer, _ = site.session("reviewer")
    ann, _ = site.session("ann")
    assert re.findall(r'data-testid="revision" data-revision="(\d+)"', latest) == ["3", "2", "1"]
    assert _text(latest, "diff-summary").startswith("Revision 2 → revision 3:")
    assert 'value="2" selected' in latest and 'value="3" selected' in latest
    assert re.search(r'<tr class="remove">.*labels: \[pos, neg, meh\]</td>', chosen)
    assert re.search(r'<tr class="add">.*labels: \[pos, neg, meh, new, newer\]</td>', chosen)
    assert missing.status_code == 404
    assert reviewer.get("/projects/ed/settings/history").status_code == 200
    assert ann.get("/projects/ed/settings/history").status_code == 303


def test_every_guideline_version_is_readable_and_rendered_safely(site: Site) -> None:
    client, csrf = site.session("manager")
    spec = _editor_spec(client).replace("Be <b>kind</b>.", "Be kind, always.")
    client.post("/projects/ed/settings/apply", data={"csrf_token": csrf, "spec": spec})
    first = client.get("/projects/ed/settings/guidelines/1").text
    second = client.get("/projects/ed/settings/guidelines/2").text
    missing = client.get("/projects/ed/settings/guidelines/3")
    assert "<h1>Rules</h1>" in first
    assert "<script>" not in first and "&lt;script&gt;" in first
    assert _text(first, "changelog") == "initial guidelines"
    assert 'data-testid="newer"' in first and 'data-testid="older"' in second
    assert re.search(r'<tr class="add">.*Be kind, always\. &lt;script&gt;', second)
    assert missing.status_code == 404


def test_hostile_editor_forms_are_refused_with_the_reason(site: Site) -> None:
    """The editor's forms sent an alias bomb, deep YAML, a NUL, a sample item nested past
    the decoder's bound, bad UTF-8 and a body over the spec limit: each is a problem named on
    the page (or a 413), never a server error, and nothing is created or applied."""
    client, csrf = site.session("manager")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    sends = {
        "alias bomb": (bomb + "name: fresh\nfields: *i\n", ""),
        "deep YAML": ("name: fresh\nfields: " + "[" * 5_000 + "]" * 5_000 + "\n", ""),
        "NUL": ("name: fresh\x00\n", ""),
        "deep sample": (GOOD, '{"a":' * 100 + "1" + "}" * 100),
    }
    seen = {}
    for name, (spec, sample) in sends.items():
        for url in ("/projects/new/check", "/projects/ed/settings/check", "/projects/new"):
            answer = client.post(url, data={"csrf_token": csrf, "spec": spec, "sample": sample})
            seen[(name, url)] = answer.status_code
    bad_utf8 = client.post(
        "/projects/new/check",
        content=f"csrf_token={csrf}&spec=name%3A%20%FF%FE".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    oversized = client.post(
        "/projects/new", data={"csrf_token": csrf, "spec": "name: " + "x" * 5_000_000}
    )
    assert seen == {
        **{
            (n, u): 200
            for n in sends
            for u in ("/projects/new/check", "/projects/ed/settings/check")
        },
        ("alias bomb", "/projects/new"): 422,
        ("deep YAML", "/projects/new"): 422,
        ("NUL", "/projects/new"): 422,
        ("deep sample", "/projects/new"): 303,  # the sample only feeds the preview
    }
    assert (bad_utf8.status_code, "spec-problems" in bad_utf8.text) == (200, True)
    assert oversized.status_code == 413
    assert get_project(site.db, "ed").row.spec_revision == 1
