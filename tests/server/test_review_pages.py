"""The Review page per role: reviewers, managers and admins see the pending queue (each
item's content, annotator, why, value), the summary and the outcomes; a vendor's reviewer
only their vendor's people; annotators and strangers nothing. Its accept, reject and fix
forms work, need the session's CSRF token, and show what went wrong at the card without
changing anything; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.test_quality_pages import table
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, gold, ingestion, reviews
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "rq",
    "description": "review under test",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "meh"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 1,
    "quality": {
        "review": {"first_n": 2, "reasons": ["wrong label", "sloppy"], "rejected_to": "others"}
    },
}
PEOPLE = {
    "admin": ("root@example.com", "admin", None),
    "manager": ("boss@example.com", "manager", None),
    "reviewer": ("rev@example.com", "reviewer", None),
    "acme_reviewer": ("rev@acme.example", "reviewer", "acme"),
    "good": ("good@example.com", "annotator", None),
    "bad": ("bad@acme.example", "annotator", "acme"),
    "mid": ("mid@globex.example", "annotator", "globex"),
}
# Who labels in turn, and what: reviews 1-6 are items 1-6 in this order.
TURNS = [
    ("good", {"sentiment": "pos", "note": "GOOD-NOTE"}),
    ("bad", {"sentiment": "neg", "note": "ACME-NOTE"}),
    ("mid", {"sentiment": "meh", "note": "GLOBEX-NOTE"}),
    ("good", {"sentiment": "neg"}),
    ("bad", {"sentiment": "pos"}),
    ("mid", {"sentiment": "pos"}),
]
URL = "/projects/rq/review"


@dataclass
class Site:
    app: Any
    client: TestClient
    db: Database
    tokens: dict[str, str]
    uids: dict[str, int]

    def get(self, who: str, url: str = URL) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(url, headers=headers, follow_redirects=False)

    def session(self, who: str) -> tuple[TestClient, str]:
        """A browser-like client logged in through the login form, and its CSRF token."""
        client = log_in(TestClient(self.app, raise_server_exceptions=False), PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


def _label(db: Database, uid: int, value: dict[str, Any], key: str) -> None:
    task = assignment.next_task_for(db, "rq", uid)
    assert task is not None
    assignment.submit_annotation(
        db, task.assignment_id, uid, value=value, seconds=1.0, idempotency_key=key
    )


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'rq' (eight items; everyone's first two reviewed, rejected work to others)
    where an in-house, an acme and a globex annotator labelled items 1-6 in turn."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = [{"external_id": f"r{i}", "payload": {"text": f"review <b>{i}</b>"}} for i in range(8)]
    ingestion.import_items(db, "rq", jsonl(rows), format="jsonl", source="items.jsonl")
    tokens, uids = {}, {}
    for key, (email, role, vendor) in PEOPLE.items():
        projects = None if role == "admin" else ["rq"]
        made = add_user(db, email, role=role, vendor=vendor, projects=projects, with_token=True)
        assert made.token is not None
        tokens[key], uids[key] = made.token, made.user.id
        set_password(db, email, PASSWORD)
    for k, (who, value) in enumerate(TURNS):
        _label(db, uids[who], value, f"{who}-{k}")
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Site(app, client, db, tokens, uids)


def cards(page: str) -> list[tuple[str, str, str, str, str]]:
    """Each card's review id, item text, annotator, why tag and value, as shown."""
    found = []
    for chunk in page.split("<article ")[1:]:

        def part(pattern: str, text: str = chunk) -> str:
            hit = re.search(pattern, text, re.S)
            assert hit is not None, pattern
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", hit.group(1))).split())

        found.append(
            (
                part(r'data-review="(\d+)"'),
                part(r'<div class="text">([^<]*)</div>'),
                part(r'data-testid="annotator">([^<]*)<'),
                part(r'data-testid="why"[^>]*>([^<]*)<'),
                part(r'data-testid="value">.*?<dl class="answer">(.*?)</dl>'),
            )
        )
    return found


def shown(page: str, testid: str) -> str | None:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    return None if found is None else " ".join(html.unescape(found.group(1)).split())


def _statuses(site: Site) -> dict[int, str]:
    return {r.id: r.status for r in reviews.review_queue(site.db, "rq", status=None)}


FIRST = "one of their first 2"
CARDS = [
    (
        str(k + 1),
        f"review <b>{k}</b>",
        PEOPLE[who][0],
        FIRST,
        " ".join(f"{name} {v}" for name, v in value.items()),
    )
    for k, (who, value) in enumerate(TURNS)
]


def test_reviewers_managers_and_admins_see_the_queue_and_outcomes(site: Site) -> None:
    """Each of them gets the six cards (item text escaped, annotator, why, value) with
    their three forms, the summary and the rule; the outcomes list everyone undecided."""
    pages = {who: site.get(who) for who in ("reviewer", "manager", "admin")}
    page = pages["reviewer"].text
    summary = re.findall(r'<div class="card stat[^"]*"><b>([^<]*)</b>([^<]*)</div>', page)
    assert {who: r.status_code for who, r in pages.items()} == dict.fromkeys(pages, 200)
    assert [cards(r.text) for r in pages.values()] == [CARDS] * 3
    assert "review &lt;b&gt;0&lt;/b&gt;" in page
    assert [(b, " ".join(t.split())) for b, t in summary] == [
        ("6", "waiting"),
        ("0", "decided"),
        ("–", "accepted as submitted: nothing decided yet"),
        ("0", "fixed"),
        ("0", "rejected, sent back"),
    ]
    assert (page.count('data-testid="accept"'), page.count('data-testid="reject"')) == (6, 6)
    assert page.count('<option value="wrong label">') == 6
    assert shown(page, "waiting") == "6 annotations waiting for review"
    assert table(page, "outcomes") == [
        [email, "0", "0", "0", "0", "2", "–", "nothing decided yet"]
        for email in ("bad@acme.example acme", "good@example.com", "mid@globex.example globex")
    ]


def test_a_vendors_reviewer_sees_only_their_vendors_people(site: Site) -> None:
    """acme's reviewer gets acme's two reviews and acme's outcomes, and nothing of the
    in-house or globex annotators."""
    page = site.get("acme_reviewer").text
    assert (cards(page), table(page, "outcomes")[0][0]) == (
        [CARDS[1], CARDS[4]],
        "bad@acme.example acme",
    )
    assert [m for m in ("GLOBEX", "globex", "GOOD-NOTE", "good@", "mid@") if m in page] == []


def test_annotators_and_strangers_are_refused(site: Site, db: Database) -> None:
    """Annotators get 403 from the page and its form, a reviewer of another project 404;
    nothing changes."""
    made = add_user(db, "stranger@example.com", role="reviewer", with_token=True)
    assert made.token is not None
    site.tokens["stranger"] = made.token
    statuses = {who: site.get(who).status_code for who in ("good", "bad", "stranger")}
    client, csrf = site.session("good")
    posted = client.post(f"{URL}/2", data={"decision": "accept", "csrf_token": csrf})
    assert statuses == {"good": 403, "bad": 403, "stranger": 404}
    assert (posted.status_code, posted.json()["code"]) == (403, "permission_denied")
    assert set(_statuses(site).values()) == {"pending"}


def test_accept_reject_and_fix_forms(site: Site) -> None:
    """Accept, reject with a reason and a comment, and fix from the edit controls each
    redirect to the queue with a notice saying what happened (shown once); the service
    follows and the card leaves the queue."""
    client, csrf = site.session("reviewer")

    def post(rid: int, **form: str) -> Any:
        return client.post(
            f"{URL}/{rid}", data={**form, "csrf_token": csrf}, follow_redirects=False
        )

    accepted = post(1, decision="accept")
    first = client.get(URL).text
    again = client.get(URL).text
    rejected = client.post(
        f"{URL}/2",
        data={
            "decision": "reject",
            "reason": "sloppy",
            "comment": " <i>rushed</i> ",
            "csrf_token": csrf,
        },
    )
    fixed = client.post(
        f"{URL}/3",
        data={
            "decision": "fix",
            "value.sentiment": "neg",
            "value.note": "clearly negative",
            "comment": "sarcasm",
            "csrf_token": csrf,
        },
    )
    decided = {
        r.id: (r.status, r.reason, r.comment, r.fixed_value)
        for r in reviews.review_queue(site.db, "rq", status=None)
    }
    assert (accepted.status_code, accepted.headers["location"]) == (303, URL)
    assert (shown(first, "review-notice"), shown(again, "review-notice")) == (
        "Accepted item 1 by good@example.com.",
        None,
    )
    assert [(r.status_code, shown(r.text, "review-notice")) for r in (rejected, fixed)] == [
        (
            200,
            "Rejected item 2 by bad@acme.example (sloppy): it went back to the queue for "
            "someone else.",
        ),
        (
            200,
            "Fixed item 3 by mid@globex.example: sentiment: neg; note: clearly negative. The "
            "original is kept beside it.",
        ),
    ]
    assert "&lt;i&gt;rushed" not in rejected.text  # comments are not shown on the queue
    assert [c[0] for c in cards(fixed.text)] == ["4", "5", "6"]
    assert decided == {
        1: ("accepted", None, "", None),
        2: ("rejected", "sloppy", "<i>rushed</i>", None),
        3: ("fixed", None, "sarcasm", {"sentiment": "neg", "note": "clearly negative"}),
        4: ("pending", None, "", None),
        5: ("pending", None, "", None),
        6: ("pending", None, "", None),
    }
    none = "0% 0 of 1 · 95%: 0%–79%"
    plot = "0% accepted (0 of 1), 95% interval 0% to 79%"
    assert table(fixed.text, "outcomes")[:2] == [
        ["bad@acme.example acme", "1", "0", "0", "1", "1", none, f"bad@acme.example: {plot}"],
        ["mid@globex.example globex", "1", "0", "1", "0", "1", none, f"mid@globex.example: {plot}"],
    ]


def test_refused_decisions_show_at_the_card_and_change_nothing(site: Site) -> None:
    """No reason, a reason not in the spec, a fix with a label the schema lacks, a fix
    with nothing chosen and no decision come back at their card (the form as sent) with
    the reason and a 4xx; a review decided meanwhile is said at the top; the reviewer's
    own work shows no forms and its post is a 403."""
    more = jsonl([{"external_id": "mine", "payload": {"text": "the reviewer's own"}}])
    ingestion.import_items(site.db, "rq", more, format="jsonl", source="more.jsonl")
    _label(site.db, site.uids["reviewer"], {"sentiment": "pos"}, "mine")  # review 7
    reviews.decide_review(site.db, "rq", 6, decision="accept")
    client, csrf = site.session("reviewer")

    def post(rid: int, **form: str) -> Any:
        return client.post(f"{URL}/{rid}", data={**form, "csrf_token": csrf})

    answers = {
        "no reason": post(2, decision="reject", comment="kept"),
        "unknown reason": post(2, decision="reject", reason="ugly"),
        "bad label": post(3, decision="fix", **{"value.sentiment": "great", "comment": "kept"}),
        "nothing chosen": post(3, decision="fix"),
        "no decision": post(4),
        "own work": post(7, decision="accept"),
        "decided meanwhile": post(6, decision="accept"),
    }
    seen = {
        name: (r.status_code, shown(r.text, "review-error"), shown(r.text, "review-notice"))
        for name, r in answers.items()
    }
    own_page = site.get("reviewer").text
    same = " Nothing was changed."
    reasons = "reason must be one of: wrong label, sloppy." + same
    assert seen == {
        "no reason": (422, reasons, None),
        "unknown reason": (422, reasons, None),
        "bad label": (
            422,
            "field 'sentiment': 'great' is not one of the labels 'pos', 'neg', 'meh'." + same,
            None,
        ),
        "nothing chosen": (422, "a fix needs the corrected value." + same, None),
        "no decision": (422, "decision must be accept, reject or fix." + same, None),
        "own work": (403, "nobody reviews their own work." + same, None),
        "decided meanwhile": (409, None, "review 6 was already decided (accepted)." + same),
    }
    refused = answers["bad label"].text
    assert 'value="great"' not in refused  # not a label of the spec: no control holds it
    assert re.search(r'id="review-3".*?data-refused', refused, re.S)
    assert 'aria-label="Comment with the fix" value="kept"' in refused
    assert re.search(
        r'id="review-2".*?value="kept" data-testid="reject-comment"',
        answers["no reason"].text,
        re.S,
    )
    assert (shown(own_page, "own-work"), own_page.count('data-testid="accept"')) == (
        "This is your own work: another reviewer decides it.",
        5,
    )
    assert _statuses(site) == {**dict.fromkeys((1, 2, 3, 4, 5, 7), "pending"), 6: "accepted"}


def test_forms_need_the_csrf_token(site: Site) -> None:
    """A decision without the session's token, or with a wrong one, is 403 and changes
    nothing."""
    client, _ = site.session("manager")
    statuses = [
        client.post(f"{URL}/1", data={"decision": "accept", "csrf_token": token}).status_code
        for token in ("", "wrong")
    ]
    missing = client.post(f"{URL}/1", data={"decision": "accept"}).status_code
    assert (statuses, missing) == ([403, 403], 403)
    assert set(_statuses(site).values()) == {"pending"}


def test_empty_states_explain_review(site: Site, db: Database) -> None:
    """A project without review explains quality.review and where else the queue is; with
    review on and everything decided, the page says nothing waits."""
    apply_spec(db, spec_from_dict({**SPEC, "name": "off", "quality": {}}), guidelines=None)
    for rid in range(1, 7):
        reviews.decide_review(db, "rq", rid, decision="accept")
    off = site.get("admin", "/projects/off/review").text
    done = site.get("reviewer").text

    def text(page: str, testid: str) -> str:
        found = re.search(rf'data-testid="{testid}">(.*?)</section>', page, re.S)
        assert found is not None
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())

    assert text(off, "review-off") == (
        "Review is off in this project With review on, a share of submitted annotations "
        "waits here for a reviewer, who accepts each one, rejects it with a reason (the work "
        "goes back to be redone) or fixes it. Turn it on with quality.review in the spec, "
        "for example: quality: review: first_n: 20 # every annotator's first 20 annotations "
        "rate: 0.1 # then one in ten, at random reasons: [wrong label, incomplete, guideline "
        "not followed] rejected_to: annotator # or: others Accept rates per annotator, with "
        "95% intervals, then show below. Nobody reviews their own work, and a vendor's "
        "reviewers see only that vendor's people. How it works: “Review” in docs/quality.md . "
        "The queue is also at labelworks review list off and GET "
        "/api/v1/projects/off/reviews ."
    )
    assert (shown(off, "no-outcomes"), 'data-testid="review-rule"' in off) == (
        "Nobody's work has been sampled for review yet.",
        False,
    )
    assert text(done, "nothing-waiting") == (
        "Nothing waits for review Annotations arrive here as people submit them, by the rule "
        "above; everything sampled so far is decided."
    )
    assert text(done, "review-rule") == (
        "Sampled Each annotator's first 2 annotations in this project; nothing after that. "
        "Rejected work Set aside (kept, out of exports and statistics) with the reason; the "
        "item goes back to the queue for someone else. Fixes Kept beside the original "
        "annotation. Reasons wrong label sloppy"
    )


def test_work_set_aside_after_sampling_has_nothing_to_decide(site: Site) -> None:
    """When a manager sends someone's work back after it was sampled, its cards say the
    annotation was set aside and offer no decision."""
    gold.requeue_annotations(site.db, "rq", "mid@globex.example", reason="audit")
    page = site.get("reviewer").text
    aside = [
        re.findall(r'data-review="(\d+)"', card)[0]
        for card in page.split("<article ")[1:]
        if 'data-testid="set-aside"' in card
    ]
    assert (aside, page.count('data-testid="accept"'), shown(page, "set-aside")) == (
        ["3", "6"],
        4,
        "The annotation was set aside after it was sampled (its work was sent back to be "
        "redone): there is nothing left to decide here.",
    )
