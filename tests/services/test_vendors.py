"""Vendors through the service layer, on every database: terms, scorecards (volume, gold
accuracy, turnaround against the SLA, cost, breaches), statements that reconcile with the
export, billing by review outcome, the comparison on gold, the project's price of an
annotation, vendor walls, and periods without data. Figures are worked out by hand in
``vendor_world``'s docstring."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tests.services.builders import jsonl, make_project
from tests.services.vendor_world import (
    ACME_TERMS,
    IMPORTED,
    MONDAY,
    build,
    work,
)

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.vendor_terms import Money, period_of
from labelworks.services import ingestion, vendor_facts
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.exports import export_project
from labelworks.services.reviews import decide_review, review_queue
from labelworks.services.users import add_member, add_user
from labelworks.services.vendor_comparison import compare_vendors, reading
from labelworks.services.vendor_statements import statement_csv, usage_statement
from labelworks.services.vendor_usage import cost_per_annotation, scorecard, scorecards
from labelworks.services.vendors import get_terms, list_vendors, set_terms
from labelworks.stats.vendor_comparison import independent, paired
from labelworks.storage.engine import Database

APRIL = datetime(2026, 4, 1)


def test_scorecards_volume_quality_turnaround_cost_and_breaches(db: Database) -> None:
    """acme: 5 billed for 1.25 USD (0.25 each), gold 1/2, lease→submit P50 30 min and
    P90 50 min against a 45-minute target (4 of 5 within: breached), the quality floor
    missed but not certainly; beta: 5 for 0.20 EUR, no targets; both 28–30 h import→final."""
    build(db)
    found = scorecards(db, now=APRIL)
    cards = {c.vendor: c for c in found.cards}
    acme, beta = cards["acme"], cards["beta"]
    # Totals per currency, never added across them.
    assert found.totals == [Money(Decimal("0.20"), "EUR"), Money(Decimal("1.25"), "USD")]
    assert list(cards) == ["acme", "beta"]  # in-house staff did no work: no card
    assert (acme.delivered, acme.billed, acme.held, acme.reworked, acme.rejected) == (5, 5, 0, 0, 0)
    assert (acme.cost.amount, acme.cost.per_accepted) == (
        Money(Decimal("1.25"), "USD"),
        Money(Decimal("0.25"), "USD"),
    )
    assert (acme.accuracy.hits, acme.accuracy.n) == (1, 2)
    assert (round(acme.accuracy.low or 0, 4), round(acme.accuracy.high or 0, 4)) == (0.0945, 0.9055)
    lease = acme.lease
    assert (lease.n, lease.p50, lease.p90, lease.within, lease.met) == (5, 0.5, 50 / 60, 0.8, False)
    assert (acme.final.n, acme.final.p50, acme.final.p90) == (3, 29.0, 30.0)
    assert [(b.week, b.target, b.certain) for b in acme.breaches] == [
        ("2026-W10", "lease_to_submit", True),
        ("2026-W10", "quality_floor", False),
    ]
    assert acme.sla == "breached"
    assert [(w.week, w.delivered, w.accuracy.hits, w.accuracy.n) for w in acme.weeks] == [
        ("2026-W10", 5, 1, 2)
    ]
    assert (beta.cost.amount, beta.accuracy.hits, beta.lease.p90, beta.final.p50, beta.sla) == (
        Money(Decimal("0.20"), "EUR"),
        2,
        1.0,
        29.0,
        "no targets",
    )


def test_weekly_volume_is_judged_on_full_weeks_only(db: Database) -> None:
    """5 delivered in week 10 against 10 a week: a breach once the week is over, not while
    it runs. All time ends with their last week of work; March is judged to its last full
    week (13), so the empty weeks 11–13 are breaches too."""
    build(db)
    set_terms(db, "acme", {**ACME_TERMS, "sla": {"weekly_volume": 10}})

    def volume_breaches(period: str | None, now: datetime) -> list[tuple[str, float]]:
        card = scorecard(db, "acme", period=period_of(period), now=now)
        return [(b.week, b.observed) for b in card.breaches if b.target == "weekly_volume"]

    assert volume_breaches(None, APRIL) == [("2026-W10", 5.0)]
    assert volume_breaches("2026-03", APRIL) == [
        ("2026-W10", 5.0),
        ("2026-W11", 0.0),
        ("2026-W12", 0.0),
        ("2026-W13", 0.0),
    ]
    assert volume_breaches(None, datetime(2026, 3, 5)) == []
    # Week 9 (Feb 23 – Mar 1) holds no work of theirs and comes before it: not judged.
    assert volume_breaches("2026-02-23..2026-03-08", APRIL) == [("2026-W10", 5.0)]


def test_statement_lines_total_csv_and_the_export(db: Database) -> None:
    """March's statement for acme: a line per annotation at 0.25, 1.25 USD in all, and
    exactly acme's annotations of the export (item, annotator, submit time)."""
    world = build(db)
    found = usage_statement(db, "acme", period=period_of("2026-03"))
    assert found.total == Money(Decimal("1.25"), "USD")
    assert [(x.status, x.kinds, x.rate, x.amount) for x in found.lines] == [
        ("billed", ("choice",), Decimal("0.05"), Decimal("0.2500"))
    ] * 5
    assert [x.submitted_at for x in found.lines] == [
        MONDAY + timedelta(hours=k, minutes=10 * (k + 1)) for k in range(5)
    ]
    rows = statement_csv(found).splitlines()
    assert rows[0] == (
        "annotation_id,project,item_id,external_id,annotator,submitted_at,field_kinds,"
        "status,active_seconds,rate,amount,currency"
    )
    first = found.lines[0]
    assert rows[1] == (
        f"{first.annotation_id},sentiment,{first.item_id},,ann@acme.example,"
        "2026-03-02T09:10:00Z,choice,billed,60.0,0.05,0.2500,USD"
    )
    out = io.BytesIO()
    export_project(db, world.project, out, format="jsonl")
    exported = {
        (record["id"], a["annotator"], a["created_at"])
        for record in map(json.loads, out.getvalue().decode().splitlines())
        for a in record["annotations"]
        if a["annotator"].endswith("@acme.example")
    }
    stated = {
        (x.item_id, x.annotator, x.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")) for x in found.lines
    }
    assert stated == exported and len(stated) == 5


def test_review_outcomes_decide_what_is_billed(db: Database) -> None:
    """Of acme's five annotations the first four are reviewed: accepted (billed), fixed
    (reworked, not billed), rejected (set aside, not billed), still pending (held); the
    fifth was never reviewed (billed). The redo of the rejected item is in-house work."""
    project = make_project(
        db,
        overlap=1,
        quality={"review": {"first_n": 4, "rate": 0.0, "rejected_to": "others"}},
    )
    ingestion.import_items(
        db, project, jsonl([{"text": f"t{i}"} for i in range(5)]), format="jsonl", source="x"
    )
    ann = add_user(db, "a@acme.example", role="annotator", vendor="acme", projects=[project])
    staff = add_user(db, "s@inhouse.example", role="annotator", projects=[project])
    add_user(db, "rev@inhouse.example", role="reviewer", projects=[project])
    set_terms(db, "acme", {"currency": "USD", "per_annotation": {"choice": 0.1}})
    work(db, project, ann.user.id, MONDAY, [5] * 5, 20.0)
    queue = review_queue(db, project)
    decide_review(db, project, queue[0].id, decision="accept")
    decide_review(db, project, queue[1].id, decision="fix", value={"sentiment": "negative"})
    decide_review(db, project, queue[2].id, decision="reject", reason="wrong label")
    work(db, project, staff.user.id, MONDAY + timedelta(hours=8), [5], 20.0)
    card = scorecard(db, "acme", now=APRIL)
    assert (card.billed, card.held, card.reworked, card.rejected, card.delivered) == (
        2,
        1,
        1,
        1,
        3,
    )
    assert (card.review_acceptance.hits, card.review_acceptance.n) == (1, 3)
    assert card.cost.amount == Money(Decimal("0.2"), "USD")
    found = usage_statement(db, "acme", period=period_of("2026-W10"))
    assert [x.status for x in found.lines] == ["billed", "reworked", "held", "billed"]
    assert [x.amount for x in found.lines] == [Decimal("0.1000"), 0, 0, Decimal("0.1000")]
    assert (found.total, found.rejected, found.set_aside) == (Money(Decimal("0.2"), "USD"), 1, 0)
    # The redo is in-house work, itself among its annotator's first four: held in review.
    internal = scorecard(db, "internal", now=APRIL)
    assert (internal.vendor, internal.in_house, internal.held, internal.cost.amount) == (
        "internal",
        True,
        1,
        None,
    )


def test_each_answered_field_is_priced_and_missing_kinds_named(db: Database) -> None:
    """A choice and an optional text field: an annotation with a note costs 0.05 + 0.50,
    one without 0.05; with no text rate, the noted ones are unpriced and named."""
    project = make_project(
        db,
        overlap=1,
        fields=[
            {"name": "sentiment", "kind": "choice", "labels": ["positive", "negative"]},
            {"name": "note", "kind": "text", "required": False},
        ],
    )
    ingestion.import_items(
        db, project, jsonl([{"text": f"t{i}"} for i in range(3)]), format="jsonl", source="x"
    )
    ann = add_user(db, "a@acme.example", role="annotator", vendor="acme", projects=[project])
    for k, value in enumerate(
        [
            {"sentiment": "positive", "note": "sarcastic"},
            {"sentiment": "negative"},
            {"sentiment": "positive", "note": None},
        ]
    ):
        task = next_task_for(db, project, ann.user.id, now=MONDAY + timedelta(hours=k))
        assert task is not None
        submit_annotation(
            db, task.assignment_id, ann.user.id, value=value, seconds=None,
            idempotency_key=str(k), now=MONDAY + timedelta(hours=k, minutes=1),
        )  # fmt: skip
    set_terms(db, "acme", {"currency": "USD", "per_annotation": {"choice": 0.05, "text": 0.5}})
    found = usage_statement(db, "acme", period=period_of("2026-03"))
    assert [(x.kinds, x.rate, x.amount) for x in found.lines] == [
        (("choice", "text"), Decimal("0.55"), Decimal("0.5500")),
        (("choice",), Decimal("0.05"), Decimal("0.0500")),
        (("choice",), Decimal("0.05"), Decimal("0.0500")),
    ]
    assert found.total == Money(Decimal("0.65"), "USD")
    assert scorecard(db, "acme", now=APRIL).cost.amount == Money(Decimal("0.65"), "USD")
    set_terms(db, "acme", {"currency": "USD", "per_annotation": {"choice": 0.05}})
    found = usage_statement(db, "acme", period=period_of("2026-03"))
    cost = scorecard(db, "acme", now=APRIL).cost
    assert (found.total, found.unpriced, found.missing) == (
        Money(Decimal("0.1"), "USD"),
        1,
        ("text",),
    )
    assert (cost.amount, cost.priced, cost.unpriced, cost.missing) == (
        Money(Decimal("0.1"), "USD"),
        2,
        1,
        ("text",),
    )


def test_cost_per_annotation_of_a_project(db: Database) -> None:
    """Two currencies cannot be averaged; in one, (5 × 0.25 + 5 × 0.04) / 10 = 0.145 USD;
    a project with no priced work has no price."""
    world = build(db)
    with pytest.raises(InvalidInput, match="two currencies"):
        cost_per_annotation(db, world.project)
    set_terms(db, "beta", {"currency": "USD", "per_annotation": {"choice": 0.04}})
    assert cost_per_annotation(db, world.project) == pytest.approx((0.145, "USD"))
    # Behind acme's wall, acme's price only.
    assert cost_per_annotation(db, world.project, actor=world.acme_boss) == (0.25, "USD")
    empty = make_project(db, name="empty")
    assert cost_per_annotation(db, empty) is None


def test_comparison_is_paired_on_shared_gold(db: Database) -> None:
    """Twelve gold items answered by both: 6 both right, 4 only acme, 2 only beta, so
    acme − beta = 2/12 with Newcombe's paired interval and McNemar p = 44/64."""
    project = make_project(db, name="golden", overlap=1, quality={"gold_rate": 1.0})
    truth = {f"g{i}": "positive" if i % 2 else "negative" for i in range(12)}
    flip = {"positive": "negative", "negative": "positive"}
    rows = [{"text": t, "gold": {"sentiment": v}} for t, v in truth.items()]
    ingestion.import_items(
        db, project, jsonl([*rows, {"text": "plain"}]), format="jsonl", source="x"
    )
    acme = add_user(db, "a@acme.example", role="annotator", vendor="acme", projects=[project])
    beta = add_user(db, "b@beta.example", role="annotator", vendor="beta", projects=[project])
    acme_says = {t: (flip[v] if t in ("g10", "g11") else v) for t, v in truth.items()}
    beta_says = {t: (flip[v] if t in ("g6", "g7", "g8", "g9") else v) for t, v in truth.items()}
    work(db, project, acme.user.id, MONDAY, [5] * 12, 10.0, acme_says)
    work(db, project, beta.user.id, MONDAY, [5] * 12, 10.0, beta_says)
    found = compare_vendors(db, "acme", "beta", project=project)
    assert (found.items_a, found.items_b, found.shared) == (12, 12, 12)
    assert found.difference == paired(6, 4, 2, 0)
    assert found.difference is not None and found.difference.p_value == pytest.approx(44 / 64)
    assert found.reading == (
        "No clear difference: acme 83.3%, beta 66.7%; acme − beta = +16.7 points, 95% "
        "interval -22.3 to +50.0 points, which includes 0 (paired on the 12 gold items both "
        "answered, McNemar p = 0.688)."
    )
    assert reading("acme", "beta", independent(48, 80, 56, 70), 80, 70) == (
        "beta is more accurate than acme by 20.0 points (acme 60.0%, beta 80.0%; 95% interval "
        "-33.4 to -5.2 points; 80 and 70 gold items, fewer than 10 of them shared: compared "
        "as independent samples)."
    )
    solo = compare_vendors(db, "acme", "internal", project=project)
    assert (solo.difference, solo.reading) == (
        None,
        "No comparison: internal answered no gold item of this project.",
    )
    with pytest.raises(InvalidInput, match="two different"):
        compare_vendors(db, "acme", "acme", project=project)


def test_vendor_walls_and_roles(db: Database) -> None:
    """A vendor's manager sees their own vendor only and another's does not exist; only
    admins set terms; reviewers read no vendor figures; managers outside walls read all."""
    world = build(db)
    boss = world.acme_boss
    assert [v.vendor for v in list_vendors(db, actor=boss)] == ["acme"]
    assert [c.vendor for c in scorecards(db, actor=boss).cards] == ["acme"]
    for attempt in (
        lambda: scorecard(db, "beta", actor=boss),
        lambda: get_terms(db, "beta", actor=boss),
        lambda: usage_statement(db, "beta", period=period_of("2026-03"), actor=boss),
        lambda: compare_vendors(db, "acme", "beta", project=world.project, actor=boss),
        lambda: scorecard(db, "internal", actor=boss),
        lambda: set_terms(db, "beta", {"currency": "USD"}, actor=boss),
    ):
        with pytest.raises(NotFound, match="does not exist"):
            attempt()
    with pytest.raises(PermissionDenied, match="only admins"):
        set_terms(db, "acme", {"currency": "USD"}, actor=boss)
    with pytest.raises(PermissionDenied, match="managers and admins"):
        list_vendors(db, actor=world.reviewer)
    assert get_terms(db, "acme", actor=boss).terms == get_terms(db, "acme").terms
    assert [c.vendor for c in scorecards(db, actor=world.manager).cards] == ["acme", "beta"]
    admin = add_user(db, "root@inhouse.example", role="admin").user
    root = Actor(admin.id, admin.email, Role.ADMIN)
    changed = set_terms(db, "beta", {"currency": "USD", "per_hour": 20}, actor=root)
    assert (changed.terms and changed.terms.per_hour, get_terms(db, "beta").terms) == (
        20.0,
        changed.terms,
    )
    # A manager of no project sees the vendors, and no work of theirs.
    other = add_user(db, "far@inhouse.example", role="manager").user
    far = Actor(other.id, other.email, Role.MANAGER)
    assert [(c.vendor, c.delivered) for c in scorecards(db, actor=far).cards] == [
        ("acme", 0),
        ("beta", 0),
    ]


def test_unknown_vendor_and_a_period_without_data(db: Database) -> None:
    """An unknown vendor is not found; a month without work gives an empty scorecard whose
    SLA status says there is no data, and an empty statement with no total."""
    build(db)
    with pytest.raises(NotFound, match="vendor 'gamma' does not exist"):
        scorecard(db, "gamma")
    with pytest.raises(InvalidInput, match="no rate card"):
        usage_statement(db, "internal", period=period_of("2026-03"))
    card = scorecard(db, "acme", period=period_of("2025-01"), now=APRIL)
    assert (card.empty, card.sla, card.cost.per_accepted, card.lease.p50, card.weeks) == (
        True,
        "no data",
        None,
        None,
        [],
    )
    found = usage_statement(db, "acme", period=period_of("2025-01"))
    assert (found.empty, found.lines, found.total) == (True, [], None)


def _more_acme_work(db: Database, acme: int) -> None:
    extra = make_project(db, name="extra", overlap=1)
    ingestion.import_items(db, extra, jsonl([{"text": "x"}]), format="jsonl", source="x")
    add_member(db, extra, "ann@acme.example")
    work(db, extra, acme, IMPORTED + timedelta(days=1), [5], 10.0)


def test_figures_follow_new_work(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Figures that were cheap to gather are gathered again once the newest annotation
    changed."""
    monkeypatch.setattr(vendor_facts, "CHEAP_SECONDS", float("inf"))
    world = build(db)
    assert scorecard(db, "acme", now=APRIL).delivered == 5
    _more_acme_work(db, world.acme)
    assert scorecard(db, "acme", now=APRIL).delivered == 6


def test_dear_figures_are_refreshed_in_the_background(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Figures that took long are shown as kept while one refresh is queued; once it ran,
    the new work counts."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(vendor_facts, "CHEAP_SECONDS", 0.0)
    monkeypatch.setattr(vendor_facts, "REFRESH_EVERY", 0.0)
    monkeypatch.setattr(vendor_facts, "REFRESH_FACTOR", 0.0)
    monkeypatch.setattr(vendor_facts, "runner", queued.append)
    world = build(db)
    first = scorecard(db, "acme", now=APRIL).delivered
    _more_acme_work(db, world.acme)
    stale = scorecard(db, "acme", now=APRIL).delivered
    again = scorecard(db, "acme", now=APRIL).delivered
    n_queued = len(queued)
    for job in queued:
        job()
    assert (first, stale, again, n_queued, scorecard(db, "acme", now=APRIL).delivered) == (
        5,
        5,
        5,
        1,
        6,
    )
