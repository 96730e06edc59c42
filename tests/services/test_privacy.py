"""The privacy policy on the way out: who gets which payload, and the screening report."""

from __future__ import annotations

import io
import json

import pytest
from tests.services.builders import jsonl, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.pii import MASK
from labelworks.services import privacy
from labelworks.services.assignment import next_task_for
from labelworks.services.catalog import item_detail, list_items
from labelworks.services.exports import export_project
from labelworks.services.ingestion import import_items
from labelworks.services.pii_report import AffectedItem, screen_project
from labelworks.services.preview import preview_next
from labelworks.services.users import add_user
from labelworks.storage import items as item_store
from labelworks.storage.engine import Database

TEXT = "Call me on +44 20 7946 0958 or mail ann@example.com"
SHOWN = f"Call me on {MASK * 16} or mail {MASK * 15}"
POLICY: dict[str, object] = {"detect": ["email", "phone"], "audiences": {"annotator": "flag"}}


def _world(db: Database, policy: dict[str, object] | None = POLICY) -> dict[str, Actor]:
    """A project with two items (one with PII) and people inside and behind a vendor."""
    extra = {} if policy is None else {"privacy": policy}
    make_project(db, overlap=1, **extra)
    rows = [{"text": TEXT, "lang": "en"}, {"text": "nothing to see here"}]
    import_items(db, "sentiment", jsonl(rows), format="jsonl", source="rows.jsonl")
    people: dict[str, Actor] = {}
    for who, role, vendor in (
        ("inhouse", "annotator", None),
        ("acme", "annotator", "acme"),
        ("boss", "manager", None),
        ("acmeboss", "manager", "acme"),
        ("outsider", "annotator", None),
    ):
        user = add_user(
            db,
            f"{who}@example.com",
            role=role,
            vendor=vendor,
            projects=[] if who == "outsider" else ["sentiment"],
        ).user
        people[who] = Actor(user.id, user.email, Role(role), vendor=vendor)
    return people


def test_a_vendor_annotator_gets_the_redacted_payload_from_the_work_queue(db: Database) -> None:
    """Behind a vendor, the leased item's values are masked character for character; the
    stored item is unchanged."""
    people = _world(db)
    task = next_task_for(db, "sentiment", people["acme"].id)
    assert task is not None
    with db.read() as conn:
        row = item_store.get(conn, task.item_id)
    assert row is not None
    assert (task.payload, task.pii, task.pii_note, row.payload) == (
        {"text": SHOWN, "lang": "en"},
        ("email", "phone"),
        "Personal data masked (email, phone) in text.",
        {"text": TEXT, "lang": "en"},
    )


def test_an_in_house_annotator_sees_the_item_flagged(db: Database) -> None:
    """``flag``: the payload as stored, with the kinds found and the page's warning."""
    people = _world(db)
    task = next_task_for(db, "sentiment", people["inhouse"].id)
    assert task is not None
    assert (task.payload, task.pii, task.pii_note) == (
        {"text": TEXT, "lang": "en"},
        ("email", "phone"),
        "This item may hold personal data (email, phone) in text; handle it with care.",
    )


def test_managers_see_the_original_and_vendor_managers_the_redacted_item(db: Database) -> None:
    """The item page's data: as stored for an in-house manager, masked behind a vendor;
    the items table's preview likewise."""
    people = _world(db)
    own = item_detail(db, "sentiment", 1, actor=people["boss"])
    walled = item_detail(db, "sentiment", 1, actor=people["acmeboss"])
    rows = list_items(db, "sentiment", actor=people["acmeboss"]).items
    assert (own.payload["text"], own.pii, walled.payload["text"], walled.pii) == (
        TEXT,
        (),
        SHOWN,
        ("email", "phone"),
    )
    assert [json.loads(r.payload_preview) for r in rows] == [
        {"text": SHOWN, "lang": "en"},
        {"text": "nothing to see here"},
    ]


def test_exports_for_a_vendor_manager_are_redacted(db: Database) -> None:
    """A JSONL export by a vendor's manager masks each value; an in-house manager's does
    not."""
    people = _world(db)
    walled, own = io.BytesIO(), io.BytesIO()
    export_project(db, "sentiment", walled, format="jsonl", actor=people["acmeboss"])
    export_project(db, "sentiment", own, format="jsonl", actor=people["boss"])
    payloads = [
        [json.loads(line)["payload"]["text"] for line in out.getvalue().splitlines()]
        for out in (walled, own)
    ]
    assert payloads == [[SHOWN, "nothing to see here"], [TEXT, "nothing to see here"]]


def test_without_a_privacy_section_nothing_is_screened(db: Database) -> None:
    """A project with no policy hands everyone the payload as stored, vendors included."""
    people = _world(db, policy=None)
    task = next_task_for(db, "sentiment", people["acme"].id)
    assert task is not None
    assert (task.payload, task.pii, task.pii_note) == ({"text": TEXT, "lang": "en"}, (), None)


def test_the_preview_applies_the_callers_policy(db: Database) -> None:
    """A vendor's manager previews the labeling page with values masked."""
    people = _world(db)
    found = preview_next(db, "sentiment", actor=people["acmeboss"])
    assert found is not None
    assert (found.payload["text"], found.pii) == (SHOWN, ("email", "phone"))


def test_the_report_counts_kinds_and_keys_and_masks_samples(db: Database) -> None:
    """Screening counts findings by kind and key, lists affected items with masked
    samples, and reports progress from 0 to the total."""
    people = _world(db)
    ticks: list[tuple[int, int]] = []
    report = screen_project(
        db, "sentiment", actor=people["boss"], progress=lambda d, t: ticks.append((d, t))
    )
    assert (
        report.configured,
        report.items,
        report.affected,
        report.findings,
        report.by_kind,
        report.items_by_kind,
        report.by_key,
        report.listed,
        report.audiences,
        ticks,
    ) == (
        True,
        2,
        1,
        2,
        {"phone": 1, "email": 1},
        {"email": 1, "phone": 1},
        {"text": 2},
        [AffectedItem(1, None, ["email", "phone"], ["text"], [f"+{MASK * 14}8", f"a{MASK * 13}m"])],
        {
            "vendor": "redact",
            "admin": "show",
            "manager": "show",
            "reviewer": "show",
            "annotator": "flag",
        },
        [(0, 2), (2, 2)],
    )


def test_the_report_uses_the_default_policy_when_the_project_has_none(db: Database) -> None:
    """Without a privacy section the scan still shows what a policy would meet."""
    people = _world(db, policy=None)
    report = screen_project(db, "sentiment", actor=people["boss"])
    assert (report.configured, report.detect, report.affected) == (
        False,
        ["email", "phone", "card", "iban", "ip"],
        1,
    )


def test_only_managers_may_screen(db: Database) -> None:
    """Annotators are refused; people outside the project are told it does not exist."""
    people = _world(db)
    with pytest.raises(PermissionDenied):
        screen_project(db, "sentiment", actor=people["inhouse"])
    with pytest.raises(NotFound):
        screen_project(db, "sentiment", actor=people["outsider"])


def test_a_cancelled_scan_raises_from_its_progress_callback(db: Database) -> None:
    """A progress callback that raises stops the scan; nothing was written to undo."""
    people = _world(db)

    def cancel(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        screen_project(db, "sentiment", actor=people["boss"], progress=cancel, page_size=1)


def test_a_policy_asking_for_an_analyser_uses_the_installed_one(db: Database) -> None:
    """With ``analyser: true`` the installed analyser's kinds are masked too; without one
    installed, the policy is refused rather than screening less than it says."""
    people = _world(db, policy={"detect": ["email"], "analyser": True})
    privacy.install_analyser(None)
    with pytest.raises(InvalidInput, match="LABELWORKS_PII_ANALYSER"):
        next_task_for(db, "sentiment", people["acme"].id)
    privacy.install_analyser(privacy.load_analyser("tests.services.pii_analyser:names"))
    try:
        task = next_task_for(db, "sentiment", people["acme"].id)
    finally:
        privacy.install_analyser(None)
    assert task is not None
    assert (task.payload["text"], task.pii) == (
        f"{MASK * 4} me on +44 20 7946 0958 or mail {MASK * 15}",
        ("capitalised", "email"),
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nothing", "must be 'module:function'"),
        ("tests.services.no_such_module:f", "cannot be loaded"),
        ("tests.services.pii_analyser:missing", "cannot be loaded"),
        ("tests.services.pii_analyser:NOT_CALLABLE", "is not callable"),
    ],
)
def test_a_bad_analyser_setting_is_refused_naming_it(path: str, message: str) -> None:
    """The setting names a callable by module and attribute, or is refused."""
    with pytest.raises(InvalidInput, match=message):
        privacy.load_analyser(path)


def test_suggestions_are_masked_for_those_who_get_masked_payloads(db: Database) -> None:
    """A model's suggested rationale quoting the payload's email is masked for a vendor's
    annotator (the payload's redact audience), and shown as stored in house (flag)."""
    fields = [
        {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative", "neutral"]},
        {"name": "why", "kind": "text", "required": False},
    ]
    make_project(db, overlap=2, privacy=POLICY, fields=fields)
    suggestion = {"sentiment": "negative", "why": "asks for ann@example.com to reply"}
    row = {"text": TEXT, "pre_annotations": [{"model": "m", "value": suggestion}]}
    import_items(db, "sentiment", jsonl([row]), format="jsonl", source="rows.jsonl")
    acme = add_user(db, "acme@example.com", role="annotator", vendor="acme", projects=["sentiment"])
    inhouse = add_user(db, "in@example.com", role="annotator", projects=["sentiment"])
    masked = next_task_for(db, "sentiment", acme.user.id)
    shown = next_task_for(db, "sentiment", inhouse.user.id)
    assert masked is not None and shown is not None
    assert [t.pre_annotations for t in (masked, shown)] == [
        [
            {
                "model": "m",
                "score": None,
                "value": {**suggestion, "why": f"asks for {MASK * 15} to reply"},
            }
        ],
        [{"model": "m", "score": None, "value": suggestion}],
    ]
