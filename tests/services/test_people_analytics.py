"""People analytics through the service layer, on every database: the hand-computed
project of ``people_world`` (figures, intervals, percentiles, warning signs, weeks,
Dawid–Skene), periods, vendor walls, one person's record, the overall report across
projects, retest consistency against the consistency report, and the kept reports."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from scipy.stats import binomtest
from tests.services import people_world
from tests.services.builders import add_annotators, load_texts, make_project
from tests.services.people_world import PeopleWorld

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.domain.period import date_range, iso_week
from labelworks.services import kept_reports
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.people_analytics import (
    kept_people_overall,
    kept_people_report,
    people_overall,
    people_report,
    person_figures,
)
from labelworks.services.retests import retest_report
from labelworks.services.users import add_member
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database) -> PeopleWorld:
    return people_world.build(db)


def _row(p: dict[str, Any]) -> tuple[Any, ...]:
    def share(name: str) -> tuple[int, int]:
        return p[name]["successes"], p[name]["trials"]

    return (
        p["email"],
        p["vendor"],
        p["annotations"],
        p["median_seconds"],
        round(p["throughput"]["value"] or 0, 6),
        share("gold"),
        share("gold_before"),
        share("gold_after"),
        share("review"),
        share("agreement"),
        [w["code"] for w in p["warnings"]],
    )


def test_the_hand_computed_project(world: PeopleWorld, db: Database) -> None:
    """Each person's figures as worked out in people_world's docstring, signs first."""
    report = people_report(db, world.project).to_dict()
    assert (report["empty"], report["message"], report["kinds"], report["label_field"]) == (
        False,
        None,
        ["choice"],
        "sentiment",
    )
    assert report["guideline_version"] == 2
    assert [_row(p) for p in report["people"]] == [
        ("cy@globex.example", "globex", 20, 2.0, 1800.0, (6, 12), (6, 6), (0, 6), (0, 6),
         (3, 8), ["too_fast", "straight_lining", "guideline_drop"]),
        ("dee@inhouse.example", None, 0, None, 0, (0, 0), (0, 0), (0, 0), (0, 0), (0, 0),
         ["idle_leases"]),
        ("ada@acme.example", "acme", 20, 20.0, 180.0, (12, 12), (6, 6), (6, 6), (8, 8), (8, 8),
         []),
        ("ben@acme.example", "acme", 20, 30.0, 120.0, (11, 12), (6, 6), (5, 6), (6, 8), (6, 8),
         []),
    ]  # fmt: skip
    team = report["team"]
    assert (team["people"], team["warned"], team["annotations"], team["median_seconds"]) == (
        4,
        2,
        60,
        20.0,
    )
    assert [(team[k]["successes"], team[k]["trials"]) for k in ("gold", "review", "agreement")] == [
        (29, 36),
        (14, 22),
        (17, 24),
    ]
    assert team["throughput"]["value"] == pytest.approx(60 / ((400 + 600 + 40) / 3600))
    assert [p["reviews"] for p in report["people"]] == [
        {"accepted": 0, "rejected": 0, "fixed": 6, "pending": 2},
        {"accepted": 0, "rejected": 0, "fixed": 0, "pending": 0},
        {"accepted": 8, "rejected": 0, "fixed": 0, "pending": 0},
        {"accepted": 6, "rejected": 0, "fixed": 2, "pending": 0},
    ]


def test_signs_percentiles_weeks_and_confusions(world: PeopleWorld, db: Database) -> None:
    """Cy's straight-lining p-value is scipy's binomtest of 14 'positive' of 20 against
    the others' 4 of 40, tripled; her gold fell from 6/6 to 0/6; the floor is a quarter
    of the median person's 20 s; gold percentiles rank ada, ben, cy among the other two;
    weeks split the version-1 work from the rest; her matrix says 'positive' throughout."""
    report = people_report(db, world.project)
    cy, dee, ada, ben = report.people
    signs = {s.code: s for _, s in cy.signs}
    expected = binomtest(14, 20, 0.1, alternative="greater").pvalue
    assert signs["straight_lining"].evidence["p_value"] == pytest.approx(expected, rel=1e-9)
    assert signs["straight_lining"].evidence["p_adjusted"] == pytest.approx(3 * expected)
    assert signs["too_fast"].evidence["floor_seconds"] == 5.0
    assert (
        signs["guideline_drop"].evidence["before_correct"],
        signs["guideline_drop"].evidence["after_total"],
    ) == (6, 6)
    (idle,) = [s for _, s in dee.signs]
    assert idle.evidence["held_seconds"] is not None and idle.evidence["held_seconds"] > 600
    assert [p.figures.percentiles["gold"].value for p in (ada, ben, cy)] == [100.0, 50.0, 0.0]
    assert [p.figures.percentiles["throughput"].value for p in (ada, ben, cy)] == [50.0, 0.0, 100.0]
    assert dee.figures.percentiles["gold"].value is None
    assert [(w.week, w.annotations, w.gold.successes, w.gold.trials) for w in ben.weeks] == [
        (world.week_a, 6, 6, 6),
        (world.week_b, 14, 5, 6),
    ]
    assert [(w.week, w.annotations, w.median_annotations, w.median_gold) for w in report.weeks] == [
        (world.week_a, 18, 6.0, 1.0),
        (world.week_b, 42, 14.0, 5 / 6),
    ]
    assert cy.confusion is not None
    assert (cy.confusion.field, cy.confusion.labels, cy.confusion.matrix) == (
        "sentiment",
        ["positive", "negative", "neutral"],
        [[1.0, 0.0, 0.0]] * 3,
    )
    assert dee.confusion is None


def test_a_period_keeps_its_own_work(world: PeopleWorld, db: Database) -> None:
    """Week A holds the version-1 gold only; dates covering week B hold the rest; a week
    with no work is an explicit empty report."""
    first = people_report(db, world.project, period=iso_week(world.week_a))
    by_email = {p.email: p for p in first.people}
    assert sorted(by_email) == [
        "ada@acme.example",
        "ben@acme.example",
        "cy@globex.example",
        "dee@inhouse.example",
    ]
    assert [
        (by_email[e].figures.annotations, by_email[e].figures.gold.successes)
        for e in ("ada@acme.example", "cy@globex.example")
    ] == [(6, 6), (6, 6)]
    assert (first.team.review.trials, first.team.agreement.trials, first.period.label) == (
        0,
        0,
        world.week_a,
    )
    monday, sunday = people_world.week_dates(world.week_b)
    second = people_report(
        db, world.project, period=date_range(monday.isoformat(), sunday.isoformat())
    )
    assert (second.team.annotations, second.team.gold.trials, second.team.review.trials) == (
        42,
        18,
        22,
    )
    nothing = people_report(db, world.project, period=iso_week("2020-W01"))
    assert (nothing.empty, nothing.people, nothing.team.annotations) == (True, [], 0)
    assert nothing.message == (
        "Nobody worked on project 'people-demo' in 2020-W01: there is nothing to measure."
    )
    assert nothing.team.gold.value is None and nothing.team.throughput.value is None


def test_a_vendor_manager_sees_their_vendor_only(world: PeopleWorld, db: Database) -> None:
    """Acme's manager gets ada and ben, compared with each other; nothing of cy or dee,
    not in the team figures either."""
    report = people_report(db, world.project, actor=world.acme)
    assert [p.email for p in report.people] == ["ada@acme.example", "ben@acme.example"]
    assert (report.wall, report.team.annotations, report.team.gold.trials) == ("acme", 40, 24)
    assert [p.figures.percentiles["gold"].value for p in report.people] == [100.0, 0.0]
    assert [p.signs for p in report.people] == [[], []]
    assert "cy@" not in str(report.to_dict())


def test_one_persons_record(world: PeopleWorld, db: Database) -> None:
    """A manager gets the report's record; an annotator their own (compared within their
    wall) and nobody else's; a member without work a record of zeros; someone behind
    another wall, or nobody, is not found."""
    ada_id = world.ids["ada@acme.example"]
    ada = Actor(ada_id, "ada@acme.example", Role.ANNOTATOR, "acme")
    mine = person_figures(db, world.project, "ada@acme.example", actor=ada)
    walled = people_report(db, world.project, actor=world.acme).person("ada@acme.example")
    assert mine == walled
    as_admin = person_figures(db, world.project, "ADA@acme.example", actor=world.admin)
    assert as_admin.to_dict()["gold"]["successes"] == 12
    assert as_admin.figures.percentiles["gold"].among == 2
    with pytest.raises(PermissionDenied):
        person_figures(db, world.project, "ben@acme.example", actor=ada)
    with pytest.raises(NotFound, match=r"nobody with the email 'cy@globex\.example'"):
        person_figures(db, world.project, "cy@globex.example", actor=world.acme)
    with pytest.raises(NotFound):
        person_figures(db, world.project, "nobody@example.com", actor=world.admin)
    idle = person_figures(db, world.project, "rita@inhouse.example", actor=world.admin)
    assert (idle.figures.annotations, idle.figures.gold.value, idle.signs, idle.weeks) == (
        0,
        None,
        [],
        [],
    )
    nothing = person_figures(db, world.project, "ada@acme.example", period=iso_week("2020-W01"))
    assert nothing.figures.annotations == 0


def test_overall_pools_each_person_across_projects(world: PeopleWorld, db: Database) -> None:
    """Ada's work on a second project adds to her pooled counts; her time per item is
    given per kind of task; each sign is named with its project; annotators are refused."""
    other = make_project(db, name="second", overlap=1)
    load_texts(db, other, ["one", "two"])
    ada = world.ids["ada@acme.example"]
    add_member(db, other, "ada@acme.example")
    at = datetime.now() - timedelta(days=1)
    for k in range(2):
        task = next_task_for(db, other, ada, now=at)
        assert task is not None
        submit_annotation(
            db, task.assignment_id, ada, value={"sentiment": "positive"}, seconds=4.0,
            idempotency_key=f"s{k}", now=at,
        )  # fmt: skip
    overall = people_overall(db)
    assert overall.project is None and sorted(overall.projects) == ["people-demo", "second"]
    found = overall.person("ada@acme.example")
    assert found is not None
    assert (found.figures.annotations, found.figures.median_seconds) == (22, 20.0)
    assert found.figures.median_by_kind == {"choice": 20.0}
    cy = overall.person("cy@globex.example")
    assert cy is not None and [(p, s.code) for p, s in cy.signs] == [
        ("people-demo", "too_fast"),
        ("people-demo", "straight_lining"),
        ("people-demo", "guideline_drop"),
    ]
    walled = people_overall(db, actor=world.acme)
    assert [p.email for p in walled.people] == ["ada@acme.example", "ben@acme.example"]
    with pytest.raises(PermissionDenied):
        people_overall(db, actor=Actor(ada, "ada@acme.example", Role.ANNOTATOR, "acme"))


def test_retest_consistency_matches_the_consistency_report(db: Database) -> None:
    """Retest pairs counted here are the consistency report's: same answers of pairs."""
    project = make_project(
        db, name="retested", overlap=1, quality={"retest": {"rate": 0.3, "after": 3}}
    )
    load_texts(db, project, [f"text {i}" for i in range(30)])
    (a,) = add_annotators(db, project, 1)
    rng = random.Random(5)
    seen: set[int] = set()
    at = datetime(2026, 1, 5, 12)
    for k in range(200):
        task = next_task_for(db, project, a, now=at + timedelta(seconds=k), rng=rng)
        if task is None:
            break
        label = "negative" if task.item_id in seen and task.item_id % 2 else "positive"
        seen.add(task.item_id)
        submit_annotation(
            db, task.assignment_id, a, value={"sentiment": label}, seconds=1.0,
            idempotency_key=f"k{k}", now=at + timedelta(seconds=k), rng=rng,
        )  # fmt: skip
    (mine,) = people_report(db, project).people
    (theirs,) = retest_report(db, project).annotators
    assert theirs.retests > 0
    assert (mine.figures.retest.successes, mine.figures.retest.trials) == (
        theirs.same.correct,
        theirs.same.total,
    )


def _one_more(db: Database, world: PeopleWorld) -> None:
    (extra,) = add_annotators(db, world.project, 1, prefix="late")
    task = next_task_for(db, world.project, extra)
    assert task is not None
    submit_annotation(
        db, task.assignment_id, extra, value={"sentiment": "negative"}, seconds=5.0,
        idempotency_key="late",
    )  # fmt: skip


def test_a_cheap_report_is_made_again_when_the_count_moves(
    world: PeopleWorld, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same report while nothing changed; a new one at once after a new annotation."""
    monkeypatch.setattr(kept_reports, "CHEAP_SECONDS", 1e9)
    first = people_report(db, world.project)
    assert people_report(db, world.project) is first
    _one_more(db, world)
    again = people_report(db, world.project)
    assert (again is first, first.team.annotations, again.team.annotations) == (False, 60, 61)


def test_a_dear_report_is_refreshed_in_the_background(
    world: PeopleWorld, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report that took long is handed back unchanged for a minute, new work or not;
    after that a view gets it once more and queues one refresh, and once that ran the
    fresh report is returned."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(kept_reports, "CHEAP_SECONDS", 0.0)
    monkeypatch.setattr(kept_reports, "REFRESH_EVERY", 0.0)
    monkeypatch.setattr(kept_reports, "runner", queued.append)
    first = people_report(db, world.project)
    _one_more(db, world)
    within = people_report(db, world.project)
    n_within = len(queued)
    monkeypatch.setattr(kept_reports, "MAX_AGE", 0.0)
    stale = people_report(db, world.project)
    again = people_report(db, world.project)
    n_queued = len(queued)
    for work in queued:
        work()
    fresh = people_report(db, world.project)
    assert (within is first, n_within, stale is first, again is first, n_queued) == (
        True,
        0,
        True,
        True,
        1,
    )
    assert fresh.team.annotations == 61


def test_bad_input_is_refused(world: PeopleWorld, db: Database) -> None:
    """A floor outside (0, 3600] names the field; a set floor replaces the derived one."""
    with pytest.raises(InvalidInput, match="floor_seconds"):
        people_report(db, world.project, floor_seconds=0)
    with pytest.raises(NotFound):
        people_report(db, "no-such-project")
    strict = people_report(db, world.project, floor_seconds=25.0)
    flagged = {p.email for p in strict.people if any(s.code == "too_fast" for _, s in p.signs)}
    assert flagged == {"ada@acme.example", "cy@globex.example"}


def test_a_page_does_not_wait_for_a_big_projects_first_report(
    world: PeopleWorld, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the inline limit the page gets nothing while the report is made in the
    background, then the kept report."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(kept_reports, "runner", queued.append)
    assert kept_people_report(db, world.project, inline_up_to=10) is None
    assert kept_people_overall(db, inline_up_to=10) is None
    assert len(queued) == 2
    for work in queued:
        work()
    found = kept_people_report(db, world.project, inline_up_to=10)
    overall = kept_people_overall(db, inline_up_to=10)
    assert found is not None and found.team.annotations == 60
    assert overall is not None and overall.team.annotations == 60
