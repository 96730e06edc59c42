"""The Adjudication page and the consensus cards, per role: reviewers, managers and admins
outside vendors see the queue (content, proposal, anonymised annotations with disputed
fields marked, a tally) and decide items with one click or the spec's choices, with a
note; vendors' staff, annotators and strangers are refused; refused decisions show at the
item and change nothing; forms need the session's CSRF token; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.test_quality_pages import shown, table
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, catalog, ingestion
from labelworks.services.adjudication import adjudication_queue
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user, user_by_email
from labelworks.storage import consensus as store
from labelworks.storage.engine import Database

DYNAMIC = {"consensus": "majority", "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.99}}
SPEC: dict[str, Any] = {
    "name": "adj",
    "description": "adjudication under test",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "quality": DYNAMIC,
}
PEOPLE = {
    "admin": ("root@example.com", "admin", None),
    "manager": ("boss@example.com", "manager", None),
    "reviewer": ("rev@example.com", "reviewer", None),
    "acme_manager": ("acme-boss@example.com", "manager", "acme"),
    "acme": ("ann1@example.com", "annotator", "acme"),
    "globex": ("ann2@example.com", "annotator", "globex"),
}
# What each vendor's annotator answers, item by item: items 0 and 2 end split at their
# max of 2 (adjudication), item 1 agrees (final), item 3 has one annotation so far.
ACME = [
    {"sentiment": "pos"},
    {"sentiment": "pos"},
    {"sentiment": "meh", "note": "ACME-NOTE sarcasm?"},
    {"sentiment": "pos"},
]
GLOBEX = [{"sentiment": "neg"}, {"sentiment": "pos"}, {"sentiment": "neg", "note": "GLOBEX-NOTE"}]
TEXTS = ["Great, it broke on day two.", "Works well.", "Meh. Returned it.", "Fine."]


@dataclass
class Site:
    app: Any
    client: TestClient
    db: Database
    tokens: dict[str, str]
    ids: list[int]

    def get(self, who: str, url: str) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(url, headers=headers, follow_redirects=False)

    def session(self, who: str) -> tuple[TestClient, str]:
        """A browser-like client logged in through the login form, and its CSRF token."""
        client = log_in(TestClient(self.app, raise_server_exceptions=False), PEOPLE[who][0])
        return client, _csrf(client)


def _csrf(client: TestClient) -> str:
    return csrf_of(client.get("/settings" if "lw_session" in client.cookies else "/login").text)


def _label(db: Database, uid: int, answers: list[dict[str, Any]]) -> None:
    for n, value in enumerate(answers):
        task = assignment.next_task_for(db, "adj", uid)
        assert task is not None
        assignment.submit_annotation(
            db, task.assignment_id, uid, value=value, seconds=2.0, idempotency_key=f"{uid}-{n}"
        )


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'adj' with dynamic overlap 2 to 2: acme's and globex's annotators leave
    items 0 and 2 split (at adjudication), agree on item 1 and item 3 half done."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = [{"external_id": f"r{i}", "payload": {"text": t}} for i, t in enumerate(TEXTS)]
    ingestion.import_items(db, "adj", jsonl(rows), format="jsonl", source="items.jsonl")
    ids = [row.id for row in catalog.list_items(db, "adj", limit=10).items]
    tokens = {}
    for key, (email, role, vendor) in PEOPLE.items():
        projects = None if role == "admin" else ["adj"]
        made = add_user(db, email, role=role, vendor=vendor, projects=projects, with_token=True)
        assert made.token is not None
        tokens[key] = made.token
        set_password(db, email, PASSWORD)
    stranger = add_user(db, "stranger@example.com", role="reviewer", with_token=True)
    assert stranger.token is not None
    tokens["stranger"] = stranger.token
    _label(db, user_by_email(db, "ann1@example.com").id, ACME)
    _label(db, user_by_email(db, "ann2@example.com").id, GLOBEX)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(app, client, db, tokens, ids)


def text_of(page: str, testid: str, end: str = "") -> str | None:
    """The text of the first element with ``testid`` up to its first closing tag (``end``:
    that tag's), tags dropped, spaces collapsed."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</{end or "[a-z]+"}>', page, re.S)
    if found is None:
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def cases(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="case" data-item="(\d+)"', page)]


def test_manager_sees_the_queue_side_by_side(site: Site) -> None:
    """A manager sees both split items with their text, proposal, confidence, the
    annotations under A and B, the disputed fields marked and the tally."""
    page = site.get("manager", "/projects/adj/adjudication")
    i0, _, i2, _ = site.ids
    body = page.text
    assert (page.status_code, text_of(body, "waiting"), cases(body)) == (
        200,
        "2 items waiting for an expert",
        [i0, i2],
    )
    assert table(body, "votes") == [
        ["sentiment ≠ disagree", "pos", "pos", "neg", "1 × pos 1 × neg"],
        ["sentiment ≠ disagree", "neg", "meh", "neg", "1 × meh 1 × neg"],
        [
            "note ≠ disagree",
            "ACME-NOTE sarcasm?",
            "ACME-NOTE sarcasm?",
            "GLOBEX-NOTE",
            "1 × ACME-NOTE sarcasm? 1 × GLOBEX-NOTE",
        ],
    ]
    assert (
        re.findall(r'data-testid="confidence"[^>]*>([^<]*)<', body),
        re.findall(r'<div class="text">([^<]*)</div>', body),
        body.count('name="take" value="A"'),
        body.count('name="take" value="C"'),
    ) == (["proposal 50% sure", "proposal 50% sure"], [TEXTS[0], TEXTS[2]], 2, 0)


def test_reviewer_and_admin_see_the_same_queue(site: Site) -> None:
    """A reviewer and an admin get the manager's queue."""
    tables = {
        who: table(site.get(who, "/projects/adj/adjudication").text, "votes")
        for who in ("manager", "reviewer", "admin")
    }
    assert tables["reviewer"] == tables["manager"] == tables["admin"] != []


def test_vendor_staff_annotators_and_strangers_are_refused(site: Site) -> None:
    """acme's manager and the annotators get 403 from the page and the form, a reviewer of
    another project 404; nothing is decided; acme's manager sees no consensus anywhere."""
    url = "/projects/adj/adjudication"
    statuses = {
        who: site.get(who, url).status_code
        for who in ("acme_manager", "acme", "globex", "stranger")
    }
    client, csrf = site.session("acme_manager")
    posted = client.post(f"{url}/{site.ids[0]}", data={"take": "A", "csrf_token": csrf})
    project = site.get("acme_manager", "/projects/adj").text
    quality = site.get("acme_manager", "/projects/adj/quality").text
    assert (statuses, posted.status_code) == (
        {"acme_manager": 403, "acme": 403, "globex": 403, "stranger": 404},
        403,
    )
    assert (
        "/adjudication" in project,
        "consensus-summary" in quality,
        "/adjudication" in quality,
        "GLOBEX-NOTE" in project + quality,
    ) == (False, False, False, False)
    assert [c.item_id for c in adjudication_queue(site.db, "adj")] == [site.ids[0], site.ids[2]]


def test_links_and_cards_show_the_waiting_count(site: Site) -> None:
    """The Overview links to the queue with its count; the Quality page has the consensus
    cards and rule in words, and the Adjudication tab."""
    project = site.get("reviewer", "/projects/adj").text
    quality = site.get("manager", "/projects/adj/quality").text
    group = quality.split('data-testid="consensus-summary"')[1].split("</section>")[0]
    cards = re.findall(r'class="card figure[^"]*"[^>]*><b>([^<]*)</b>([^<]*)<', group)
    assert (text_of(project, "adjudication-link", "a"), text_of(quality, "adjudication-tab")) == (
        "2 waiting for adjudication →",
        "Adjudication 2",
    )
    assert [(b, " ".join(t.split())) for b, t in cards] == [
        ("Majority vote", "decides final labels"),
        ("2–2", "annotations per item, until 99% sure"),
        ("1", "still being labeled"),
        ("1", "final labels"),
        ("2", "waiting for adjudication →"),
        ("0", "decided by an expert"),
    ]
    assert text_of(quality, "consensus-rule") == (
        "Each item starts with 2 annotations and its final label is the answer most "
        "annotators gave. While that label is less than 99% sure, the item gets one more "
        "annotation, up to 2; still unsure at 2, it waits for an expert on the Adjudication page."
    )


def _final(site: Site, item: int) -> tuple[Any, ...] | None:
    with site.db.read() as conn:
        f = store.final_of(conn, item)
    return None if f is None else (f.value, f.status, f.method, f.note)


def test_one_click_takes_an_answer(site: Site) -> None:
    """Taking B's answer redirects to the queue with a notice; the item leaves the queue
    and appears among the recent decisions with the note."""
    client, csrf = site.session("manager")
    i0, _, i2, _ = site.ids
    form = {"take": "B", "note": "  refund asked: negative  ", "after": "0", "csrf_token": csrf}
    posted = client.post(f"/projects/adj/adjudication/{i0}", data=form, follow_redirects=False)
    page = client.get(posted.headers["location"]).text
    assert (posted.status_code, posted.headers["location"]) == (303, "/projects/adj/adjudication")
    decided = [
        [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "DATE", c) for c in r] for r in table(page, "decided")
    ]
    assert (shown(page, "adjudication-notice"), cases(page), decided) == (
        f"Item {i0} is decided with B's answer: sentiment: neg.",
        [i2],
        [[f"Item {i0} r0", "sentiment neg", "refund asked: negative", "boss@example.com", "DATE"]],
    )
    assert _final(site, i0) == (
        {"sentiment": "neg"},
        "adjudicated",
        "adjudication",
        "refund asked: negative",
    )


def test_the_proposal_and_an_edited_label(site: Site) -> None:
    """'Use proposal' takes consensus's pick; the edit controls set a label of their own,
    leaving out an empty text field."""
    client, csrf = site.session("reviewer")
    i0, _, i2, _ = site.ids
    url = "/projects/adj/adjudication"
    proposal = client.post(f"{url}/{i0}", data={"take": "proposal", "csrf_token": csrf})
    edited = client.post(
        f"{url}/{i2}",
        data={"take": "edit", "value.sentiment": "meh", "value.note": " ", "csrf_token": csrf},
    )
    assert [shown(r.text, "adjudication-notice") for r in (proposal, edited)] == [
        f"Item {i0} is decided with the proposal: sentiment: pos.",
        f"Item {i2} is decided with your label: sentiment: meh.",
    ]
    assert (
        _final(site, i0),
        _final(site, i2),
        text_of(edited.text, "nothing-waiting", "section") is not None,
    ) == (
        ({"sentiment": "pos"}, "adjudicated", "adjudication", ""),
        ({"sentiment": "meh"}, "adjudicated", "adjudication", ""),
        True,
    )


def test_refused_decisions_show_at_the_item_and_change_nothing(site: Site) -> None:
    """A label the spec refuses, an alias nobody has and an item already decided are each
    shown with their reason (the first two at the item, with the note and choices kept),
    with the status of the error, and nothing changes."""
    client, csrf = site.session("manager")
    i0, i1, i2, _ = site.ids
    url = "/projects/adj/adjudication"
    bad = client.post(
        f"{url}/{i0}",
        data={
            "take": "edit",
            "value.sentiment": "great",
            "note": "kept <b>note</b>",
            "csrf_token": csrf,
        },
    )
    nobody = client.post(f"{url}/{i2}", data={"take": "Z", "csrf_token": csrf})
    final = client.post(f"{url}/{i1}", data={"take": "A", "csrf_token": csrf})
    assert [
        (r.status_code, shown(r.text, "case-error"), shown(r.text, "adjudication-notice"))
        for r in (bad, nobody, final)
    ] == [
        (
            422,
            "field 'sentiment': 'great' is not one of the labels 'pos', 'neg', 'meh'. "
            "Nothing was changed.",
            None,
        ),
        (422, f"item {i2} has no annotation 'Z'. Nothing was changed.", None),
        (
            404,
            None,
            f"item {i1} is not waiting for adjudication (it may have been decided already). "
            "Nothing was changed.",
        ),
    ]
    assert (
        shown(bad.text, "note"),
        'value="great"' in bad.text,
        bad.text.count('<details class="edit" open>'),
    ) == ("kept <b>note</b>", False, 1)
    assert ([c.item_id for c in adjudication_queue(site.db, "adj")], _final(site, i1)) == (
        [i0, i2],
        ({"sentiment": "pos"}, "final", "majority", ""),
    )


def test_forms_need_the_csrf_token(site: Site) -> None:
    """A decision without the session's token, or with a wrong one, is 403 and changes
    nothing."""
    client, _ = site.session("manager")
    statuses = [
        client.post(
            f"/projects/adj/adjudication/{site.ids[0]}", data={"take": "A", "csrf_token": token}
        ).status_code
        for token in ("", "wrong")
    ]
    assert (statuses, [c.item_id for c in adjudication_queue(site.db, "adj")]) == (
        [403, 403],
        [site.ids[0], site.ids[2]],
    )


def test_empty_queues_explain_what_sends_items_here(site: Site, db: Database) -> None:
    """Without consensus the page says how to turn it on; with dynamic overlap and nothing
    waiting it says what sends items here; no Overview links to an empty queue."""
    apply_spec(db, spec_from_dict({**SPEC, "name": "plain", "quality": {}}), guidelines=None)
    apply_spec(db, spec_from_dict({**SPEC, "name": "quiet"}), guidelines=None)
    plain = text_of(
        site.get("admin", "/projects/plain/adjudication").text, "nothing-waiting", "section"
    )
    quiet = text_of(
        site.get("admin", "/projects/quiet/adjudication").text, "nothing-waiting", "section"
    )
    links = [
        "adjudication-link" in site.get("admin", f"/projects/{p}").text for p in ("plain", "quiet")
    ]
    tail = (
        "How it works: “Consensus and dynamic overlap” and “Adjudication” in docs/quality.md . "
        "The queue is also at labelworks adjudication list {p} and "
        "GET /api/v1/projects/{p}/adjudication ."
    )
    assert (plain, quiet, links) == (
        "Nothing waits for adjudication Items come here when consensus stays unsure at the most "
        "annotations dynamic overlap allows, but this project has no consensus, so nothing is "
        "sent here. To use it, set for example quality: {consensus: dawid_skene, "
        "dynamic_overlap: {min: 2, max: 4, confidence: 0.9}} in the spec: items then start "
        "with 2 annotations and get more only while they are less than 90% sure. "
        + tail.format(p="plain"),
        "Nothing waits for adjudication Items come here when consensus stays unsure. With this "
        "project's dynamic overlap, an item whose final label is less than 99% sure gets one "
        "more annotation at a time, up to 2; still unsure at 2, it waits here for an expert, "
        "who takes one annotator's answer or sets the label. " + tail.format(p="quiet"),
        [False, False],
    )
