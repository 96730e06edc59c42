"""Coaching pages through the service layer, on every database: mistakes on gold and in
review with the expert answer and the guideline section, the weekly trend against the
team's median, the notes log, and who may see whose page (vendor walls, own page only)."""

from __future__ import annotations

import statistics
from datetime import date

import pytest
from scipy.stats import binomtest
from tests.services.builders import jsonl
from tests.services.coaching_world import (
    ANN,
    BEN,
    BOSS,
    CY,
    GIL,
    GUIDELINES,
    LEAD,
    PROJECT,
    REV,
    SPEC,
    build,
)

from labelworks.domain.access import Actor, Role
from labelworks.domain.coaching import MAX_NOTE
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.spec import spec_from_dict
from labelworks.services import catalog, gold, ingestion
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.coaching import CoachingPage, add_note, coaching_page
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

TODAY = date(2026, 3, 12)  # a Thursday of ISO week 11: the work is in weeks 9 and 10
VENDORS = {ANN: "acme", BEN: "acme", CY: "acme", GIL: "globex", BOSS: "acme"}
ROLES = {BOSS: Role.MANAGER, LEAD: Role.MANAGER, REV: Role.REVIEWER}


def _as(ids: dict[str, int], email: str) -> Actor:
    return Actor(ids[email], email, ROLES.get(email, Role.ANNOTATOR), VENDORS.get(email))


def _mistakes(page: CoachingPage) -> list[tuple[object, ...]]:
    return [
        (
            m.kind,
            m.summary,
            m.value,
            m.expert,
            m.explanation,
            m.wrong_fields,
            m.status,
            m.reason,
            m.comment,
            m.fixed_value,
            m.guideline.version,
            m.guideline.section,
            m.guideline.named_by,
            m.guideline.edge_case_url,
        )
        for m in [*page.gold_mistakes, *page.review_mistakes]
    ]


def test_a_manager_sees_each_mistake_with_the_expert_answer_and_its_section(db: Database) -> None:
    """The in-house manager gets Ann's two wrong gold answers (newest first) with the
    expert's answer, explanation and the section it names, and her rejected and fixed
    annotations with reason, comment, fix and the section a resolved flag or the comment
    named (with the flag's edge-case link)."""
    world = build(db, TODAY)
    page = coaching_page(db, PROJECT, ANN, actor=_as(world.ids, LEAD), today=TODAY)
    sarcasm = "What a lovely day, my car broke down"
    assert (page.gold_mistakes_total, page.review_mistakes_total) == (2, 2)
    assert _mistakes(page) == [
        (
            "gold",
            "Great food, rude staff",
            {"sentiment": "positive"},
            {"sentiment": "neutral"},
            "Praise and complaint: mixed feelings.",
            ["sentiment"],
            None,
            None,
            "",
            None,
            1,
            "Mixed feelings",
            "explanation",
            None,
        ),
        (
            "gold",
            sarcasm,
            {"sentiment": "positive"},
            {"sentiment": "negative"},
            "Sarcasm: read the Sarcasm section.",
            ["sentiment"],
            None,
            None,
            "",
            None,
            1,
            "Sarcasm",
            "explanation",
            None,
        ),
        (
            "review",
            "ordinary review 1",
            {"sentiment": "positive"},
            None,
            None,
            [],
            "fixed",
            None,
            "both at once",
            {"sentiment": "neutral"},
            1,
            "Mixed feelings",
            "escalation",
            f"/projects/{PROJECT}/edge-cases#case-{world.escalation_id}",
        ),
        (
            "review",
            "ordinary review 0",
            {"sentiment": "positive"},
            None,
            None,
            [],
            "rejected",
            "wrong label",
            "Sarcasm again: the words are kind, the meaning is not.",
            None,
            1,
            "Sarcasm",
            "comment",
            None,
        ),
    ]
    guide = f"/projects/{PROJECT}/settings/guidelines/1#:~:text="
    assert [m.guideline.url for m in [*page.gold_mistakes, *page.review_mistakes]] == [
        f"{guide}Mixed%20feelings",
        f"{guide}Sarcasm",
        f"{guide}Mixed%20feelings",
        f"{guide}Sarcasm",
    ]
    assert page.gold_mistakes[1].guideline.text == (
        "## Sarcasm\n\nSarcasm flips the literal words: label what is meant, not what is said."
    )
    assert (page.own, page.may_add_note, page.may_open_guidelines, page.expert_answers_shown) == (
        False,
        True,
        True,
        True,
    )


def test_the_trend_sets_each_week_against_the_median_of_the_team(db: Database) -> None:
    """Per ISO week: Ann's gold accuracy with its Wilson interval (as scipy computes it)
    against the median of her acme team's accuracies, and her median seconds against the
    median of their medians (rejected work counted); the headline counts all her work."""
    world = build(db, TODAY)
    page = coaching_page(db, PROJECT, ANN, actor=_as(world.ids, LEAD), today=TODAY)
    wilson = binomtest(1, 3).proportion_ci(method="wilson")
    first, second = page.trend
    assert (first.week, second.week) == ("2026-W09", "2026-W10")
    assert (first.low, first.high) == pytest.approx((wilson.low, wilson.high), abs=1e-12)
    assert [
        (
            w.gold_answered,
            w.gold_correct,
            w.accuracy,
            w.team_accuracy,
            w.team_gold_people,
            w.annotations,
            w.median_seconds,
            w.team_median_seconds,
            w.team_seconds_people,
        )
        for w in page.trend
    ] == [
        (
            3,
            1,
            pytest.approx(1 / 3),
            pytest.approx(statistics.median([1 / 3, 1.0, 2 / 3])),
            3,
            3,
            6.0,
            statistics.median([6.0, 3.0, 12.0]),
            3,
        ),
        (0, 0, None, None, 0, 2, 40.0, statistics.median([40.0, 21.0, 70.0]), 3),
    ]
    h = page.headline
    assert (
        h.annotations,
        h.gold_answered,
        h.gold_correct,
        h.reviews_decided,
        h.accepted,
        h.fixed,
        h.rejected,
        h.acceptance,
        page.team_vendor,
    ) == (5, 3, 1, 2, 0, 1, 1, 0.0, "acme")
    assert h.gold_interval == pytest.approx((wilson.low, wilson.high), abs=1e-12)
    # People analytics' figures of her agree on the gold and review counts.
    figures = page.figures or {}
    assert (
        figures["gold"]["successes"],
        figures["gold"]["trials"],
        figures["review"]["successes"],
        figures["review"]["trials"],
    ) == (1, 3, 0, 2)


def test_a_team_of_one_has_no_median(db: Database) -> None:
    """Gil is globex's only annotator: his week has his own figures and no team median,
    as a median of fewer than three people would give one person's figures away."""
    world = build(db, TODAY)
    page = coaching_page(db, PROJECT, GIL, actor=_as(world.ids, LEAD), today=TODAY)
    assert [
        (w.week, w.accuracy, w.team_accuracy, w.team_gold_people, w.median_seconds)
        for w in page.trend
    ] == [("2026-W09", 0.0, None, 1, 9.0)]
    assert [(w.team_median_seconds, w.team_seconds_people) for w in page.trend] == [(None, 1)]


def test_a_vendor_manager_sees_their_people_without_expert_answers(db: Database) -> None:
    """Acme's manager gets Ann's page with the expert's answers and the edge-case link
    kept from them; globex's Gil is "does not exist", worded as for an unknown address,
    to read and to write about, and nothing is written."""
    world = build(db, TODAY)
    boss = _as(world.ids, BOSS)
    page = coaching_page(db, PROJECT, ANN, actor=boss, today=TODAY)
    refused = []
    for email in (GIL, "nobody@example.com"):
        for attempt in (
            lambda e=email: coaching_page(db, PROJECT, e, actor=boss),
            lambda e=email: add_note(db, PROJECT, e, "hello", actor=boss),
        ):
            with pytest.raises(NotFound) as caught:
                attempt()
            refused.append(str(caught.value))
    lead_view = coaching_page(db, PROJECT, GIL, actor=_as(world.ids, LEAD))
    assert [(m.expert, m.explanation) for m in page.gold_mistakes] == [(None, None)] * 2
    assert [m.guideline.edge_case_url for m in page.review_mistakes] == [None, None]
    assert [m.guideline.section for m in page.gold_mistakes] == ["Mixed feelings", "Sarcasm"]
    assert (page.expert_answers_shown, page.may_add_note, page.may_open_guidelines) == (
        False,
        True,
        True,
    )
    assert refused == [
        f"user '{GIL}' does not exist",
        f"user '{GIL}' does not exist",
        "user 'nobody@example.com' does not exist",
        "user 'nobody@example.com' does not exist",
    ]
    assert lead_view.notes == []


def test_annotators_and_reviewers_see_only_their_own_page(db: Database) -> None:
    """Ann's own page has her mistakes without expert answers and the team's medians, and
    names nobody else; anyone else's page (existing or not) is refused alike, for her and
    for a reviewer, who has an empty page of their own."""
    world = build(db, TODAY)
    ann, rev = _as(world.ids, ANN), _as(world.ids, REV)
    add_note(db, PROJECT, ANN, "Read the sarcasm section again.", actor=_as(world.ids, LEAD))
    own = coaching_page(db, PROJECT, ANN, actor=ann, today=TODAY)
    refused = []
    for who, email in ((ann, BEN), (ann, "nobody@example.com"), (rev, ANN)):
        with pytest.raises(PermissionDenied) as caught:
            coaching_page(db, PROJECT, email, actor=who)
        refused.append(str(caught.value))
    reviewer_page = coaching_page(db, PROJECT, REV, actor=rev, today=TODAY)
    others = [e for e in (BEN, CY, GIL, BOSS, LEAD, REV, "Ben", "Lead") if e in repr(own)]
    assert (own.own, own.may_add_note, own.may_open_guidelines, own.expert_answers_shown) == (
        True,
        False,
        False,
        False,
    )
    assert [(m.expert, m.explanation) for m in own.gold_mistakes] == [(None, None)] * 2
    assert [
        (m.guideline.section, m.guideline.url, m.guideline.edge_case_url)
        for m in [*own.gold_mistakes, *own.review_mistakes]
    ] == [
        ("Mixed feelings", None, None),
        ("Sarcasm", None, None),
        ("Mixed feelings", None, None),
        ("Sarcasm", None, None),
    ]
    assert [(w.team_accuracy, w.team_median_seconds) for w in own.trend] == [
        (pytest.approx(2 / 3), 6.0),
        (None, 40.0),
    ]
    assert [(n.body, n.author) for n in own.notes] == [
        ("Read the sarcasm section again.", "a manager")
    ]
    assert (others, refused) == ([], ["you may see only your own coaching page"] * 3)
    # In-house staff's team is everyone: all four annotators' figures.
    assert (reviewer_page.gold_mistakes, reviewer_page.review_mistakes) == ([], [])
    assert [
        (w.week, w.accuracy, w.team_accuracy, w.team_gold_people, w.team_median_seconds)
        for w in reviewer_page.trend
    ] == [
        ("2026-W09", None, pytest.approx(statistics.median([1 / 3, 1.0, 2 / 3, 0.0])), 4, 7.5),
        ("2026-W10", None, None, 0, 40.0),
    ]


def test_notes_are_a_log_newest_first_with_authors_shown_to_those_who_see_them(
    db: Database,
) -> None:
    """Notes come back newest first, trimmed; the in-house manager sees every author,
    acme's manager sees their own name and "a manager" for in-house staff, a local
    operator's note is "an operator"; bad bodies and non-managers are refused and leave
    the log as it was."""
    world = build(db, TODAY)
    boss, lead = _as(world.ids, BOSS), _as(world.ids, LEAD)
    added = [
        add_note(db, PROJECT, ANN, "  First talk: sarcasm.  ", actor=boss).body,
        add_note(db, PROJECT, ANN, "Follow-up: better.", actor=lead).body,
        add_note(db, PROJECT, ANN, "x" * MAX_NOTE).body,
    ]
    errors = []
    for body in ("", "   \n ", "x" * (MAX_NOTE + 1), "bad\x00note"):
        with pytest.raises(InvalidInput) as caught:
            add_note(db, PROJECT, ANN, body, actor=lead)
        errors.append((str(caught.value), caught.value.location and caught.value.location.field))
    for who in (_as(world.ids, ANN), _as(world.ids, REV)):
        with pytest.raises(PermissionDenied):
            add_note(db, PROJECT, ANN, "self-praise", actor=who)
    seen_by_lead = coaching_page(db, PROJECT, ANN, actor=lead).notes
    seen_by_boss = coaching_page(db, PROJECT, ANN, actor=boss).notes
    assert added == ["First talk: sarcasm.", "Follow-up: better.", "x" * MAX_NOTE]
    assert [(n.body[:20], n.author) for n in seen_by_lead] == [
        ("x" * 20, "an operator"),
        ("Follow-up: better.", LEAD),
        ("First talk: sarcasm.", BOSS),
    ]
    assert [n.author for n in seen_by_boss] == ["an operator", "a manager", BOSS]
    assert errors == [
        ("field 'body': a note must not be empty", "body"),
        ("field 'body': a note must not be empty", "body"),
        (f"field 'body': a note must be at most {MAX_NOTE} characters, not {MAX_NOTE + 1}", "body"),
        ("field 'body': a note must not contain a NUL character", "body"),
    ]


def test_someone_without_work_in_the_project_has_no_page(db: Database) -> None:
    """A person who is neither a member nor has work in the project is not found there."""
    build(db, TODAY)
    add_user(db, "elsewhere@example.com", role="annotator")
    with pytest.raises(NotFound) as caught:
        coaching_page(db, PROJECT, "elsewhere@example.com")
    assert str(caught.value) == "user 'elsewhere@example.com' has no work in project 'coach'"


def test_a_training_project_shows_its_annotator_the_expert_answer(db: Database) -> None:
    """In a training project the expert's answer and explanation, which the annotator got
    as feedback when answering, are on their own page too."""
    spec = {
        "name": "drill",
        "fields": [{"name": "sentiment", "kind": "choice", "labels": ["positive", "negative"]}],
        "quality": {"training": True},
    }
    apply_spec(db, spec_from_dict(spec), guidelines="# Tone\nRead the tone.")
    ingestion.import_items(db, "drill", jsonl([{"text": "meh"}]), format="jsonl", source="d")
    (item,) = catalog.list_items(db, "drill").items
    gold.mark_gold(db, "drill", item.id, value={"sentiment": "negative"}, explanation="Tone.")
    who = add_user(db, "trainee@example.com", role="annotator", projects=["drill"]).user.id
    task = next_task_for(db, "drill", who)
    assert task is not None
    submit_annotation(
        db,
        task.assignment_id,
        who,
        value={"sentiment": "positive"},
        seconds=2.0,
        idempotency_key="k",
    )
    me = Actor(who, "trainee@example.com", Role.ANNOTATOR)
    page = coaching_page(db, "drill", "trainee@example.com", actor=me)
    assert [(m.expert, m.explanation, m.guideline.section) for m in page.gold_mistakes] == [
        ({"sentiment": "negative"}, "Tone.", "Tone")
    ]


def test_personal_data_is_masked_for_those_the_privacy_policy_masks_it_for(
    db: Database,
) -> None:
    """Under a privacy policy (vendors' staff redact), the address in a gold item Cy
    missed is masked on his own page and on acme's manager's view of it, and shown as
    stored to the in-house manager."""
    world = build(db, TODAY)
    apply_spec(db, spec_from_dict({**SPEC, "privacy": {}}), guidelines=GUIDELINES)
    text = "Write to jo@example.org, loved it"
    ingestion.import_items(db, PROJECT, jsonl([{"text": text}]), format="jsonl", source="p")
    (item,) = catalog.list_items(db, PROJECT, text="jo@example").items
    gold.mark_gold(db, PROJECT, item.id, value={"sentiment": "positive"})
    task = next_task_for(db, PROJECT, world.ids[CY])
    assert task is not None and task.item_id == item.id
    submit_annotation(
        db, task.assignment_id, world.ids[CY], value={"sentiment": "negative"}, seconds=2.0,
        idempotency_key="pii",
    )  # fmt: skip
    seen = {
        who: coaching_page(db, PROJECT, CY, actor=_as(world.ids, who)).gold_mistakes[0].summary
        for who in (CY, BOSS, LEAD)
    }
    assert seen[LEAD] == text
    assert [("jo@example.org" in s, len(s)) for s in (seen[CY], seen[BOSS])] == [
        (False, len(text)),
        (False, len(text)),
    ]
