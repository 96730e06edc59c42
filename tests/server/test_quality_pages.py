"""The Quality page and the item page's gold card, per role: managers see the report and the
expert answers, reviewers the report only, a vendor's manager only their vendor's people,
annotators nothing; the pause, reinstate, requeue and gold forms work, need the session's
CSRF token, and show what went wrong without changing anything; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
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
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, catalog, gold, ingestion
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "gq",
    "description": "gold under test",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 1,
    "quality": {"gold_rate": 1.0, "auto_pause": {"min_gold": 3, "below": 0.8}},
}
# The expert answers of the three gold items; the third carries a distinctive text answer.
ANSWERS = [
    ({"sentiment": "neg"}, "EXPERT-WHY-1: the customer wants a refund"),
    ({"sentiment": "pos"}, "EXPERT-WHY-2"),
    ({"sentiment": "meh", "note": "EXPERT-NOTE-3"}, ""),
]
WRONG = {"sentiment": "meh", "note": "no idea"}
PEOPLE = {
    "admin": ("root@example.com", "admin", None, ""),
    "manager": ("boss@example.com", "manager", None, "Bo Boss"),
    "reviewer": ("rev@example.com", "reviewer", None, ""),
    "acme_manager": ("acme-boss@example.com", "manager", "acme", ""),
    "good": ("good@example.com", "annotator", None, "Grace Good"),
    "bad": ("bad@example.com", "annotator", "acme", "Bob Bad"),
    "mid": ("mid@example.com", "annotator", "globex", "Mia Mid"),
}


@dataclass
class Site:
    app: Any
    client: TestClient
    db: Database
    tokens: dict[str, str]
    gold_ids: list[int]
    plain_ids: list[int]

    def get(self, who: str, url: str) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(url, headers=headers, follow_redirects=False)

    def session(self, who: str) -> TestClient:
        """A browser-like client logged in through the login form."""
        return log_in(TestClient(self.app), PEOPLE[who][0])


def _work(db: Database, uid: int, answers: dict[int, dict[str, Any]], tasks: int) -> None:
    """Lease and submit ``tasks`` tasks: gold items get the planned answer, others 'pos'."""
    for n in range(tasks):
        task = assignment.next_task_for(db, "gq", uid)
        assert task is not None
        value = answers.get(task.item_id, {"sentiment": "pos"})
        assignment.submit_annotation(
            db, task.assignment_id, uid, value=value, seconds=1.0, idempotency_key=f"{uid}-{n}"
        )


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Three gold items answered by three annotators: Grace (in-house) all right, Mia
    (globex) two of three, Bob (acme, who labelled two items before gold existed) none and
    so auto-paused."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = [{"external_id": f"r{i}", "payload": {"text": f"review {i}"}} for i in range(20)]
    ingestion.import_items(db, "gq", jsonl(rows), format="jsonl", source="items.jsonl")
    ids = [row.id for row in catalog.list_items(db, "gq", limit=50).items]
    gold_ids, plain_ids = ids[-3:], ids[:-3]
    tokens, uids = {}, {}
    for key, (email, role, vendor, name) in PEOPLE.items():
        projects = None if role == "admin" else ["gq"]
        made = add_user(
            db, email, role=role, name=name, vendor=vendor, projects=projects, with_token=True
        )
        assert made.token is not None
        tokens[key], uids[key] = made.token, made.user.id
        set_password(db, email, PASSWORD)
    _work(db, uids["bad"], {}, 2)
    for item_id, (value, why) in zip(gold_ids, ANSWERS, strict=True):
        gold.mark_gold(db, "gq", item_id, value=value, explanation=why)
    right = {i: value for i, (value, _) in zip(gold_ids, ANSWERS, strict=True)}
    _work(db, uids["good"], right, 4)
    _work(db, uids["mid"], {**right, gold_ids[0]: WRONG}, 4)
    _work(db, uids["bad"], dict.fromkeys(gold_ids, WRONG), 3)  # paused after the third
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(app, client, db, tokens, gold_ids, plain_ids)


class _Table(HTMLParser):
    """The text of each body row of one table (found by data-testid), cell by cell, with
    whitespace collapsed; what sits behind a ``<details>`` disclosure is left out."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid, self.depth, self.hidden, self.body = testid, 0, 0, False
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or ("data-testid", self.testid) in attrs):
            self.depth += 1
        elif self.depth == 1 and tag == "tbody":
            self.body = True
        elif self.depth == 1 and self.body and tag == "tr":
            self.rows.append([])
        elif self.depth == 1 and self.body and tag in ("td", "th"):
            self.rows[-1].append("")
        elif tag == "details":
            self.hidden += 1
        self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "tbody":
            self.body = False
        elif tag == "details" and self.hidden:
            self.hidden -= 1
        self.handle_data(" ")

    def handle_data(self, data: str) -> None:
        if self.depth == 1 and self.body and self.rows and self.rows[-1] and not self.hidden:
            self.rows[-1][-1] += data

    def result(self) -> list[list[str]]:
        return [[" ".join(cell.split()) for cell in row] for row in self.rows]


def table(page: str, testid: str) -> list[list[str]]:
    parser = _Table(testid)
    parser.feed(page)
    return parser.result()


def summary(page: str) -> list[tuple[str, str]]:
    cards = re.findall(r'<div class="card stat[^"]*"><b>([^<]*)</b>([^<]*)</div>', page)
    return [(html.unescape(b), html.unescape(" ".join(t.split()))) for b, t in cards]


def shown(page: str, testid: str) -> str | None:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', page)
    return None if found is None else html.unescape(found.group(1))


def _dated(rows: list[list[str]]) -> list[list[str]]:
    return [[re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "DATE", c) for c in row] for row in rows]


BOB = [
    "Bob Bad bad@example.com acme",
    "3",
    "0% 0 of 3 · 95%: 0%–56%",
    "Bob Bad: 0% correct (0 of 3), 95% interval 0% to 56%; pause bar 80%",
    "note 0% 0 of 1 sentiment 33% 1 of 3",
    "Paused since DATE UTC paused: 0 of 3 gold answers correct (0%, 95% interval 0%–56%) is "
    "below the project's bar of 80%; a manager can reinstate you",
]
MIA = [
    "Mia Mid mid@example.com globex",
    "3",
    "67% 2 of 3 · 95%: 21%–94%",
    "Mia Mid: 67% correct (2 of 3), 95% interval 21% to 94%; pause bar 80%",
    "note 100% 1 of 1 sentiment 67% 2 of 3",
    "Not yet clear",
]
GRACE = [
    "Grace Good good@example.com",
    "3",
    "100% 3 of 3 · 95%: 44%–100%",
    "Grace Good: 100% correct (3 of 3), 95% interval 44% to 100%; pause bar 80%",
    "note 100% 1 of 1 sentiment 100% 3 of 3",
    "Not yet clear",
]
RULES = (
    "Gold 100% of the tasks each annotator gets are gold questions. Auto-pause Once someone "
    "has answered at least 3 gold questions since they were last reinstated, they are paused "
    "when even the top of the 95% interval of their accuracy is below 80%."
)


def _rules(page: str) -> str:
    found = re.search(r'data-testid="quality-rules">(.*?)</section>', page, re.S)
    assert found is not None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()).replace(
        " .", "."
    )


def test_manager_sees_report_answers_and_actions(site: Site) -> None:
    """A manager outside any vendor sees the summary, the rule in words, everyone worst
    first with interval plots, the paused person's actions and every expert answer."""
    page = site.get("manager", "/projects/gq/quality").text
    g1, g2, g3 = site.gold_ids
    assert summary(page) == [
        ("3", "gold items"),
        ("100%", "gold rate"),
        ("56%", "correct of 9 gold answers"),
        ("1", "paused"),
    ]
    assert _rules(page) == RULES
    assert _dated(table(page, "annotators")) == [
        [*BOB[:5], f"{BOB[5]} Reinstate"],
        MIA,
        GRACE,
    ]
    assert page.count('<svg class="interval ') == 3 and page.count('role="img"') == 3
    assert table(page, "gold-items") == [
        [
            f"Item {g1} r17",
            "sentiment neg",
            "EXPERT-WHY-1: the customer wants a refund",
            "3",
            "33% 1 of 3",
        ],
        [f"Item {g2} r18", "sentiment pos", "EXPERT-WHY-2", "3", "67% 2 of 3"],
        [f"Item {g3} r19", "sentiment meh note EXPERT-NOTE-3", "none", "3", "67% 2 of 3"],
    ]
    assert (page.count('action="/projects/gq/quality/pause"'), "Send their work back" in page) == (
        3,
        True,
    )


def test_reviewer_sees_the_report_but_no_answers_or_actions(site: Site) -> None:
    """A reviewer reads the same report, without expert answers, explanations or forms."""
    page = site.get("reviewer", "/projects/gq/quality").text
    assert _dated(table(page, "annotators")) == [BOB, MIA, GRACE]
    assert (
        table(page, "gold-items"),
        "EXPERT-" in page,
        "<form" in page.split("</header>")[1],
    ) == (
        [],
        False,
        False,
    )


def test_vendor_manager_sees_only_their_people_and_no_answers(site: Site) -> None:
    """acme's manager sees acme's annotator only, and no expert answers."""
    page = site.get("acme_manager", "/projects/gq/quality").text
    assert _dated(table(page, "annotators")) == [[*BOB[:5], f"{BOB[5]} Reinstate"]]
    assert (summary(page)[2:], table(page, "gold-items"), "EXPERT-" in page) == (
        [("0%", "correct of 3 gold answers"), ("1", "paused")],
        [],
        False,
    )
    assert ("Mia" in page, "Grace" in page, "globex" in page) == (False, False, False)


def test_annotators_and_strangers_are_refused(site: Site, db: Database) -> None:
    """Annotators get 403 from the Quality page and the forms; a reviewer of another
    project 404; nothing changes."""
    made = add_user(db, "stranger@example.com", role="reviewer", with_token=True)
    assert made.token is not None
    site.tokens["stranger"] = made.token
    url = "/projects/gq/quality"
    statuses = {who: site.get(who, url).status_code for who in ("good", "bad", "stranger")}
    client = site.session("good")
    csrf = csrf_of(client.get("/settings").text)
    posts = {
        f"{url}/reinstate": {"email": "bad@example.com"},
        f"{url}/pause": {"email": "mid@example.com", "reason": "x"},
        f"/projects/gq/items/{site.gold_ids[0]}/gold/remove": {},
        f"/projects/gq/items/{site.plain_ids[0]}/gold": {"value": '{"sentiment": "pos"}'},
    }
    answers = {u: client.post(u, data={**d, "csrf_token": csrf}) for u, d in posts.items()}
    assert statuses == {"good": 403, "bad": 403, "stranger": 404}
    assert {u: (r.status_code, r.json()["code"]) for u, r in answers.items()} == dict.fromkeys(
        posts, (403, "permission_denied")
    )
    report = gold.gold_report(site.db, "gq")
    assert ([a.email for a in report.annotators if a.paused], report.gold_items) == (
        ["bad@example.com"],
        3,
    )


def test_item_page_gold_card_only_for_answer_keepers(site: Site) -> None:
    """The gold card, with the answer and explanation, is on the item page for managers and
    admins outside vendors; reviewers and vendor managers get the page without it."""
    url = f"/projects/gq/items/{site.gold_ids[0]}"
    pages = {who: site.get(who, url) for who in ("admin", "manager", "reviewer", "acme_manager")}
    cards = {who: 'data-testid="gold-card"' in r.text for who, r in pages.items()}
    secrets = {who: "EXPERT-WHY-1" in r.text for who, r in pages.items()}
    assert (cards, secrets) == (
        {"admin": True, "manager": True, "reviewer": False, "acme_manager": False},
        {"admin": True, "manager": True, "reviewer": False, "acme_manager": False},
    )
    plain = site.get("manager", f"/projects/gq/items/{site.plain_ids[0]}").text
    assert (shown(plain, "gold-value"), "Make gold" in plain, "Remove from gold" in plain) == (
        "",
        True,
        False,
    )
    assert shown(pages["manager"].text, "gold-value") == '{\n  "sentiment": "neg"\n}'


def test_reinstate_requeue_and_pause_forms(site: Site) -> None:
    """Reinstate, send work back and pause each redirect to the page with a notice; the
    service's state follows; a reviewer's post is refused on the page with its reason."""
    client = site.session("manager")
    csrf = csrf_of(client.get("/projects/gq/quality").text)
    base = "/projects/gq/quality"
    back = client.post(f"{base}/requeue", data={"email": "bad@example.com", "csrf_token": csrf})
    reinstated = client.post(
        f"{base}/reinstate",
        data={"email": "bad@example.com", "csrf_token": csrf},
        follow_redirects=False,
    )
    after = client.get(base).text
    again = client.get(base).text
    paused = client.post(
        f"{base}/pause",
        data={"email": "mid@example.com", "reason": "too fast", "csrf_token": csrf},
    )
    not_paused = client.post(
        f"{base}/reinstate", data={"email": "good@example.com", "csrf_token": csrf}
    )
    assert (reinstated.status_code, reinstated.headers["location"]) == (303, base)
    assert [shown(back.text, "quality-notice"), shown(after, "quality-notice")] == [
        "Sent 2 annotations by bad@example.com back to the queue for others to redo.",
        "bad@example.com is reinstated and gets tasks again; auto-pause counts only their gold "
        "answers from now on.",
    ]
    assert shown(again, "quality-notice") is None
    assert (paused.status_code, shown(paused.text, "quality-notice")) == (
        200,
        "mid@example.com is paused: they get no tasks until reinstated, and see your reason.",
    )
    assert (not_paused.status_code, shown(not_paused.text, "quality-notice")) == (
        404,
        "user 'good@example.com' is not paused in project 'gq'",
    )
    report = gold.gold_report(site.db, "gq")
    assert {a.email: a.paused for a in report.annotators} == {
        "mid@example.com": "paused by boss@example.com: too fast",
        "bad@example.com": None,
        "good@example.com": None,
    }
    reviewer = site.session("reviewer")
    form = {
        "email": "good@example.com",
        "reason": "x",
        "csrf_token": csrf_of(reviewer.get(base).text),
    }
    refused = reviewer.post(f"{base}/pause", data=form)
    assert (refused.status_code, shown(refused.text, "quality-notice")) == (
        403,
        "a reviewer may not manage project 'gq'",
    )
    assert [a.email for a in gold.gold_report(site.db, "gq").annotators if a.paused] == [
        "mid@example.com"
    ]


def test_forms_need_the_csrf_token(site: Site) -> None:
    """Every form post without the session's token, or with a wrong one, is 403 and
    changes nothing."""
    client = site.session("manager")
    item = site.plain_ids[0]
    posts = {
        "/projects/gq/quality/reinstate": {"email": "bad@example.com"},
        "/projects/gq/quality/requeue": {"email": "bad@example.com"},
        "/projects/gq/quality/pause": {"email": "good@example.com", "reason": "x"},
        f"/projects/gq/items/{item}/gold": {"value": '{"sentiment": "pos"}'},
        f"/projects/gq/items/{site.gold_ids[0]}/gold/remove": {},
    }
    statuses = {
        (url, token): client.post(url, data={**data, "csrf_token": token}).status_code
        for url, data in posts.items()
        for token in ("", "wrong")
    }
    assert statuses == dict.fromkeys(statuses, 403)
    report = gold.gold_report(site.db, "gq")
    assert ([a.email for a in report.annotators if a.paused], report.gold_items) == (
        ["bad@example.com"],
        3,
    )


def test_item_gold_form_marks_replaces_refuses_and_removes(site: Site) -> None:
    """The gold form makes an item gold, replaces the answer, shows invalid JSON or an
    answer the spec refuses with its reason (changing nothing), and removes the gold."""
    client = site.session("manager")
    item = site.plain_ids[0]
    url = f"/projects/gq/items/{item}"
    csrf = csrf_of(client.get(url).text)

    def post(value: str, explanation: str = "") -> Any:
        form = {"value": value, "explanation": explanation, "csrf_token": csrf}
        return client.post(f"{url}/gold", data=form)

    made = post('{"sentiment": "neg"}', "first thoughts")
    replaced = post('{"sentiment": "pos", "note": "fine"}', "<b>because</b>")
    bad_json = post('{"sentiment": ', "kept")
    not_object = post('["neg"]')
    refused = post('{"sentiment": "great"}', "kept too")
    answers_then = [(a.item_id, a.value, a.explanation) for a in gold.gold_answers(site.db, "gq")]
    removed = client.post(f"{url}/gold/remove", data={"csrf_token": csrf})
    assert [
        (r.status_code, shown(r.text, "item-notice"), shown(r.text, "gold-explanation"))
        for r in (made, replaced)
    ] == [
        (200, f"Item {item} is a gold question with this answer.", "first thoughts"),
        (200, f"Item {item} is a gold question with this answer.", "<b>because</b>"),
    ]
    assert ("&lt;b&gt;because&lt;/b&gt;" in replaced.text, "Replace the answer" in made.text) == (
        True,
        True,
    )
    errors = [
        (r.status_code, shown(r.text, "gold-error"), shown(r.text, "gold-value"))
        for r in (bad_json, not_object, refused)
    ]
    assert errors == [
        (
            422,
            "the gold answer is not valid JSON (line 1, column 15): Expecting value: line 1 "
            "column 15 (char 14). Nothing was changed.",
            '{"sentiment": ',
        ),
        (
            422,
            "the gold answer must be a JSON object of field values, like "
            '{"sentiment": "pos"}. Nothing was changed.',
            '["neg"]',
        ),
        (
            422,
            "field 'sentiment': 'great' is not one of the labels 'pos', 'neg', 'meh'. "
            "Nothing was changed.",
            '{"sentiment": "great"}',
        ),
    ]
    assert answers_then == [
        (item, {"sentiment": "pos", "note": "fine"}, "<b>because</b>"),
        *((i, value, why) for i, (value, why) in zip(site.gold_ids, ANSWERS, strict=True)),
    ]
    assert (removed.status_code, shown(removed.text, "item-notice")) == (
        200,
        f"Item {item} is no longer gold: it is ordinary work again.",
    )
    assert [a.item_id for a in gold.gold_answers(site.db, "gq")] == site.gold_ids


def test_no_gold_yet_explains_how_to_start(site: Site, db: Database) -> None:
    """A project without gold explains how to mark it (CLI, API, item page) to a manager,
    and who can to a reviewer."""
    apply_spec(db, spec_from_dict({**SPEC, "name": "fresh", "quality": {}}), guidelines=None)
    made = add_user(db, "fresh@example.com", role="reviewer", projects=["fresh"], with_token=True)
    assert made.token is not None
    site.tokens["fresh"] = made.token
    texts = {}
    for who in ("admin", "fresh"):
        page = site.get(who, "/projects/fresh/quality").text
        found = re.search(r'data-testid="no-gold">(.*?)</section>', page, re.S)
        assert found is not None
        texts[who] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())
    intro = (
        "No gold questions yet A gold question is an item with an expert answer. Annotators "
        "get gold questions mixed into their ordinary work, once each, and cannot tell them "
        "apart; their answers show here as accuracy with a 95% interval."
    )
    serve = (
        "Then set quality: {gold_rate: 0.05} in the spec so gold questions are served "
        "(here: one task in twenty)."
    )
    assert texts == {
        "admin": f"{intro} Mark an item gold with its expert answer in one of three ways: On "
        "an item's page: open an item from the project's items table and fill in its Gold "
        "answer card. From the CLI: labelworks gold mark fresh ITEM_ID --value "
        '\'{"field": "answer"}\' --explanation "why" Through the API: PUT '
        '/api/v1/projects/fresh/items/ITEM_ID/gold with {"value": {…}, "explanation": '
        '"…"} (or the SDK\'s mark_gold ), or import items with a gold key. ' + serve,
        "fresh": f"{intro} A manager of this project marks items gold (on an item's page, with "
        "labelworks gold mark , or through the API). " + serve,
    }
