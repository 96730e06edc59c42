"""The Escalations page and the Edge-case library, per role: experts outside vendors see
each flag with its item, comment, kind and who; managers may also make an item gold;
vendors' staff and annotators are refused; the resolve form works, needs the session's
CSRF token, and shows what went wrong without changing anything; the library is searched;
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, escalations, gold, ingestion
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "esc",
    "description": "escalations under test",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 1,
}
PEOPLE = {
    "admin": ("root@example.com", "admin", None, ""),
    "manager": ("boss@example.com", "manager", None, "Bo Boss"),
    "reviewer": ("rev@example.com", "reviewer", None, ""),
    "acme_manager": ("acme-boss@example.com", "manager", "acme", ""),
    "ann": ("ann@example.com", "annotator", "acme", "Ann Acme"),
}
TEXTS = ["Great, it broke on day two.", "Bore da! Gwych.", "fine"]
SARCASM = Flag("ambiguous", "Sarcastic? <b>Great</b>, it broke.")
WELSH = Flag("edge_case", "Written in Welsh.")
QUEUE = "/projects/esc/escalations"
LIBRARY = "/projects/esc/edge-cases"


@dataclass
class Site:
    app: Any
    client: TestClient
    db: Database

    def session(self, who: str) -> TestClient:
        """A browser-like client logged in through the login form."""
        return log_in(TestClient(self.app, raise_server_exceptions=False), PEOPLE[who][0])


class _Texts(HTMLParser):
    """The text of every element carrying one data-testid, whitespace collapsed."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid, self.depth = testid, 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif ("data-testid", self.testid) in attrs:
            self.depth = 1
            self.found.append("")
        if tag in ("input", "br", "img"):  # void elements never end
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1
            self.handle_data(" ")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.found[-1] += data


def texts(page: str, testid: str) -> list[str]:
    parser = _Texts(testid)
    parser.feed(page)
    return [" ".join(t.split()) for t in parser.found]


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'esc' (three texts); the acme annotator flagged the first as ambiguous on a
    skip and the second as an edge case on a submit."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = [{"external_id": f"r{i}", "payload": {"text": t}} for i, t in enumerate(TEXTS)]
    ingestion.import_items(db, "esc", jsonl(rows), format="jsonl", source="items.jsonl")
    ids = {}
    for key, (email, role, vendor, name) in PEOPLE.items():
        projects = None if role == "admin" else ["esc"]
        made = add_user(db, email, role=role, name=name, vendor=vendor, projects=projects)
        ids[key] = made.user.id
        set_password(db, email, PASSWORD)
    first = assignment.next_task_for(db, "esc", ids["ann"])
    assert first is not None
    assignment.skip_task(db, first.assignment_id, ids["ann"], flag=SARCASM)
    second = assignment.next_task_for(db, "esc", ids["ann"])
    assert second is not None
    value = {"sentiment": "pos"}
    assignment.submit_annotation(
        db,
        second.assignment_id,
        ids["ann"],
        value=value,
        seconds=1.0,
        idempotency_key="k",
        flag=WELSH,
    )
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(app, client, db)


def test_the_queue_per_role(site: Site) -> None:
    """Managers and reviewers see both flags with the item's text, the kind, the comment
    (markup shown as text), who flagged it and the answer they submitted with the flag;
    only the manager gets "make it gold";
    a vendor's manager and the annotator are refused."""
    pages = {who: site.session(who).get(QUEUE) for who in PEOPLE}
    statuses = {who: p.status_code for who, p in pages.items()}
    manager, reviewer = pages["manager"].text, pages["reviewer"].text
    assert statuses == {
        "admin": 200,
        "manager": 200,
        "reviewer": 200,
        "acme_manager": 403,
        "ann": 403,
    }
    assert (
        texts(manager, "content"),
        texts(manager, "kind"),
        texts(manager, "comment"),
        [re.sub(r" · \S+ \S+ UTC$", "", t) for t in texts(manager, "flagged-by")],
        texts(manager, "open-count"),
    ) == (
        ["text Great, it broke on day two.", "text Bore da! Gwych."],
        ["Ambiguous", "Edge case"],
        ["Sarcastic? <b>Great</b>, it broke.", "Written in Welsh."],
        ["flagged by Ann Acme (ann@example.com) acme"] * 2,
        ["2"],
    )
    assert (
        manager.count('data-testid="make-gold"'),
        reviewer.count('data-testid="make-gold"'),
    ) == (
        2,
        0,
    )
    assert "&lt;b&gt;Great&lt;/b&gt;" in manager and "<b>Great</b>" not in manager
    assert texts(manager, "their-answer") == ["Their answer sentiment pos"]


def test_resolving_with_label_buttons_fills_the_library(site: Site) -> None:
    """A label button, a note and a section resolve flag 1: back to the queue with a notice,
    the flag gone from it and shown under Resolved, the library showing it at #case-1."""
    client = site.session("reviewer")
    csrf = csrf_of(client.get(QUEUE).text)
    form = {
        "csrf_token": csrf,
        "value.sentiment": "neg",
        "value.note": "",
        "answer_json": "",
        "note": "Sarcasm about a defect is negative.",
        "section": "3.2 Sarcasm",
    }
    done = client.post(f"{QUEUE}/1/resolve", data=form, follow_redirects=False)
    queue = client.get(QUEUE).text
    resolved = client.get(f"{QUEUE}?status=resolved").text
    library = client.get(LIBRARY).text
    assert (done.status_code, done.headers["location"]) == (303, QUEUE)
    assert texts(queue, "escalation-notice") == ["Flag 1 is resolved and in the edge-case library."]
    assert [texts(queue, "comment"), texts(resolved, "comment")] == [
        ["Written in Welsh."],
        ["Sarcastic? <b>Great</b>, it broke."],
    ]
    assert (
        'id="case-1"' in library,
        texts(library, "note"),
        texts(library, "section"),
        texts(library, "cite"),
    ) == (True, ["Sarcasm about a defect is negative."], ["§ 3.2 Sarcasm"], [f"{LIBRARY}#case-1"])
    assert [(e.answer, e.resolved_by) for e in escalations.edge_cases(site.db, "esc")] == [
        ({"sentiment": "neg"}, "rev@example.com")
    ]


def test_refused_resolutions_change_nothing(site: Site) -> None:
    """Bad JSON, an answer the schema refuses, a blank note and a reviewer's "make it gold"
    are shown at the case with the form as sent; a missing CSRF token is a 403; nothing is
    resolved."""
    client = site.session("reviewer")
    csrf = csrf_of(client.get(QUEUE).text)
    base = {"csrf_token": csrf, "note": "KEEP-THIS-NOTE", "section": "", "answer_json": ""}
    attempts = {
        "bad json": {**base, "answer_json": "{nope"},
        "bad label": {**base, "answer_json": '{"sentiment": "sarcastic"}'},
        "blank note": {**base, "note": "   ", "value.sentiment": "neg"},
        "gold": {**base, "value.sentiment": "neg", "make_gold": "on"},
        "no csrf": {**base, "csrf_token": "", "value.sentiment": "neg"},
    }
    seen = {}
    for name, form in attempts.items():
        answer = client.post(f"{QUEUE}/1/resolve", data=form, follow_redirects=False)
        seen[name] = (answer.status_code, texts(answer.text, "case-error")[:1])
    kept = client.post(f"{QUEUE}/1/resolve", data=attempts["bad json"]).text
    assert seen == {
        "bad json": (
            422,
            [
                "the answer is not valid JSON: Expecting property name enclosed in double "
                "quotes: line 1 column 2 (char 1). Nothing was changed."
            ],
        ),
        "bad label": (
            422,
            [
                "field 'sentiment': 'sarcastic' is not one of the labels 'pos', 'neg', "
                "'meh'. Nothing was changed."
            ],
        ),
        "blank note": (422, ["note must be 1 to 10000 characters. Nothing was changed."]),
        "gold": (
            403,
            ["only managers and admins outside vendors make items gold. Nothing was changed."],
        ),
        "no csrf": (403, []),
    }
    assert ("KEEP-THIS-NOTE" in kept, "{nope" in kept) == (True, True)
    assert [e.status for e in escalations.escalation_queue(site.db, "esc", status=None)] == [
        "open",
        "open",
    ]


def test_a_manager_makes_it_gold(site: Site) -> None:
    """With "make it gold" ticked, the manager's answer becomes the item's gold answer with
    the note as its explanation, and the notice says so."""
    client = site.session("manager")
    csrf = csrf_of(client.get(QUEUE).text)
    form = {"csrf_token": csrf, "value.sentiment": "neg", "note": "Negative.", "make_gold": "on"}
    client.post(f"{QUEUE}/1/resolve", data=form, follow_redirects=False)
    notice = texts(client.get(QUEUE).text, "escalation-notice")
    answers = [(g.item_id, g.value, g.explanation) for g in gold.gold_answers(site.db, "esc")]
    assert (notice, answers) == (
        ["Flag 1 is resolved and in the edge-case library. The item is now a gold question."],
        [(1, {"sentiment": "neg"}, "Negative.")],
    )


def test_the_library_search(site: Site) -> None:
    """The search box finds cases by note, comment, section or item text, ignoring case;
    no match says so; before anything is resolved the library says how cases arrive."""
    client = site.session("manager")
    empty = client.get(LIBRARY).text
    escalations.resolve_escalation(site.db, "esc", 1, note="Sarcasm counts as negative.")
    escalations.resolve_escalation(
        site.db, "esc", 2, note="Any language.", guideline_section="5 Languages"
    )
    found = {
        q: [int(i) for i in re.findall(r'data-testid="edge-case" data-id="(\d+)"', page)]
        for q in ("sarcasm", "WELSH", "languages", "gwych", "zzz", "")
        for page in [client.get(LIBRARY, params={"q": q}).text]
    }
    nothing = client.get(LIBRARY, params={"q": "<zzz>"}).text
    assert texts(empty, "no-edge-cases")[0].startswith("The library is empty")
    assert found == {
        "sarcasm": [1],
        "WELSH": [2],
        "languages": [2],
        "gwych": [2],
        "zzz": [],
        "": [1, 2],
    }
    assert texts(nothing, "no-edge-cases")[0].startswith("No case matches “<zzz>”")


def test_links_from_the_project_and_quality_pages(site: Site) -> None:
    """The Overview links the queue (with the open count) and the Quality page the queue
    and the library, for experts outside vendors, and not for a vendor's manager."""
    seen = {}
    for who in ("manager", "reviewer", "acme_manager"):
        client = site.session(who)
        project = client.get("/projects/esc").text
        quality = client.get("/projects/esc/quality").text
        seen[who] = (
            texts(project, "escalations-link"),
            texts(project, "edge-cases-link"),
            texts(quality, "escalations-link"),
            texts(quality, "edge-cases-link"),
        )
    linked = (
        ["2 flags waiting for an expert →"],
        [],
        ["2 flags waiting for an expert →"],
        ["Edge cases the library of resolved flags →"],
    )
    assert seen == {"manager": linked, "reviewer": linked, "acme_manager": ([], [], [], [])}
