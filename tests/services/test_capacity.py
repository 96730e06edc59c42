"""Capacity planning through the service layer, on every database: the work left, the
forecast and its dates, the deadline and headcount, cost against the budget, vendor walls,
what-if knobs, observed overheads, incremental facts and the cross-project allocation —
each on a small world computed by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from tests.services.builders import load_texts, make_project

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import InvalidInput, PermissionDenied
from labelworks.planning import Forecast, Overheads, Workload
from labelworks.services import capacity_facts, capacity_price
from labelworks.services.allocation import ProjectLine, allocation_plan
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.capacity import Cost, Deadline, Knobs, project_forecast
from labelworks.services.reviews import decide_review, review_queue
from labelworks.services.users import add_user
from labelworks.services.vendors import set_terms
from labelworks.storage.engine import Database
from labelworks.storage.projects import by_name

TODAY = date(2026, 3, 10)
PLAN = {"deadline": "2026-03-20", "confidence": 0.8, "budget": {"amount": 100, "currency": "EUR"}}


@pytest.fixture(autouse=True)
def inline_refreshes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Background recounts run where they are asked for."""
    monkeypatch.setattr(capacity_facts, "runner", lambda work: work())
    yield


def label(db: Database, project: str, who: int, at: datetime, value: str = "positive") -> None:
    task = next_task_for(db, project, who, now=at)
    assert task is not None
    submit_annotation(db, task.assignment_id, who, value={"sentiment": value}, seconds=3.0,
                      idempotency_key=f"{who}-{at.isoformat()}", now=at)  # fmt: skip


def steady_world(db: Database, **spec: object) -> tuple[str, int, int]:
    """Six items at overlap 2; ada (acme) and bo (other) each annotate one item on March 8
    and one on March 9: two a day, items 1 and 2 complete, 8 annotations left."""
    project = make_project(db, overlap=2, plan=PLAN, **spec)
    load_texts(db, project, [f"t{i}" for i in range(6)])
    ada = add_user(db, "ada@acme.example", role="annotator", vendor="acme", projects=[project])
    bo = add_user(db, "bo@other.example", role="annotator", vendor="other", projects=[project])
    for day in (8, 9):
        label(db, project, ada.user.id, datetime(2026, 3, day, 10))
        label(db, project, bo.user.id, datetime(2026, 3, day, 11))
    return project, ada.user.id, bo.user.id


def test_a_steady_project_forecast_by_hand(db: Database) -> None:
    """Two a day for eight: four days (done March 14) whatever the quantile; the deadline
    of March 20 is on track and needs one person; 8 left at 0.5 cost 4, after 2 spent."""
    project, _, _ = steady_world(db)
    found = project_forecast(db, project, Knobs(rate=0.5), today=TODAY)
    assert found.workload == Workload(2.0, 6, 4, 8.0, 0.0, 0.0, 0.0)
    assert (found.done, found.remaining, found.share, found.days) == (
        4,
        8.0,
        1.0,
        [("2026-03-08", 2), ("2026-03-09", 2)],
    )
    assert found.observed == Overheads(0.0, 0.0, 0.0, 0.0)
    assert (found.headcount_observed, found.headcount_planned) == (2.0, None)
    assert found.forecast == Forecast(4.0, 4.0, 4.0)
    assert (found.p10_date, found.p50_date, found.p90_date) == (date(2026, 3, 14),) * 3
    assert found.deadline == Deadline(date(2026, 3, 20), 0.8, 10, date(2026, 3, 14), True,
                                      False, 1)  # fmt: skip
    assert found.cost == Cost(0.5, "EUR", "given", 4.0, 2.0, 100.0, "EUR")
    assert (found.cost.projected, found.cost.over_budget) == (6.0, False)
    assert found.notes == []


def test_without_a_rate_or_rate_card_there_is_no_cost(db: Database) -> None:
    """No rate given and no vendor terms: no cost, and a note says why."""
    project, _, _ = steady_world(db)
    found = project_forecast(db, project, today=TODAY)
    assert found.cost is None
    assert found.notes == ["No cost: no rate was given and no vendor rate card prices this work."]


def test_a_vendor_manager_forecasts_their_vendor_s_share(db: Database) -> None:
    """Acme did 2 of 4 annotations: half of the 8 left, at acme's one a day, is four days;
    the client's budget is not shown behind the wall."""
    project, _, _ = steady_world(db)
    boss = add_user(db, "boss@acme.example", role="manager", vendor="acme", projects=[project])
    actor = Actor(boss.user.id, "boss@acme.example", Role.MANAGER, vendor="acme")
    found = project_forecast(db, project, Knobs(rate=1.0), actor=actor, today=TODAY)
    assert (found.vendor, found.done, found.share, found.remaining) == ("acme", 2, 0.5, 4.0)
    assert found.days == [("2026-03-08", 1), ("2026-03-09", 1)]
    assert found.forecast == Forecast(4.0, 4.0, 4.0)
    assert found.cost == Cost(1.0, None, "given", 4.0, 2.0, None, None)


def test_what_if_knobs_change_the_work_and_the_pace(db: Database) -> None:
    """Twice the people halve the days; overlap 3 asks 2·1 + 4·3 = 14 (seven days); a gold
    rate of one half doubles the 8 to 16 (eight days)."""
    project, _, _ = steady_world(db)
    doubled = project_forecast(db, project, Knobs(headcount=4), today=TODAY)
    assert (doubled.headcount_planned, doubled.forecast) == (4.0, Forecast(2.0, 2.0, 2.0))
    assert doubled.p50_date == date(2026, 3, 12)
    wider = project_forecast(db, project, Knobs(overlap=3), today=TODAY)
    assert (wider.remaining, wider.forecast) == (14.0, Forecast(7.0, 7.0, 7.0))
    gold = project_forecast(db, project, Knobs(gold_rate=0.5), today=TODAY)
    assert (gold.workload.gold, gold.remaining, gold.p50_date) == (8.0, 16.0, date(2026, 3, 18))


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        (Knobs(deadline=TODAY), "deadline 2026-03-10 is not after today (2026-03-10): "
                                "give a day still ahead"),
        (Knobs(confidence=0.3), "confidence must lie between 0.5 and 0.99, not 0.3"),
        (Knobs(headcount=0), "headcount must lie between 1 and 100000, not 0"),
        (Knobs(overlap=0.5), "overlap must lie between 1 and 100, not 0.5"),
        (Knobs(gold_rate=1.0), "gold_rate must lie between 0 and 0.95, not 1.0"),
        (Knobs(rate=-2), "rate must lie between 0 and 1e+09, not -2"),
    ],
)  # fmt: skip
def test_bad_knobs_are_refused_by_name(knobs: Knobs, message: str) -> None:
    """A deadline not ahead, a confidence, headcount, overlap, gold rate or rate out of
    range: InvalidInput naming it (checked before anything is read)."""
    with pytest.raises(InvalidInput) as caught:
        knobs.checked(TODAY)
    assert caught.value.message == message


def test_a_project_without_annotations_says_there_is_no_pace(db: Database) -> None:
    """Twelve annotations left and no forecast; the deadline has no date to be done by."""
    project = make_project(db, overlap=2, plan=PLAN)
    load_texts(db, project, [f"t{i}" for i in range(6)])
    found = project_forecast(db, project, today=TODAY)
    assert (found.done, found.remaining, found.forecast, found.p50_date) == (0, 12.0, None, None)
    assert found.deadline == Deadline(date(2026, 3, 20), 0.8, 10, None, False, False, None)
    assert found.notes[0] == "No annotations yet: there is no pace to forecast from."


def test_a_spec_deadline_gone_is_reported_not_refused(db: Database) -> None:
    """The spec's deadline of March 20 seen on March 25: passed, with a note."""
    project, _, _ = steady_world(db)
    found = project_forecast(db, project, today=date(2026, 3, 25))
    assert found.deadline == Deadline(date(2026, 3, 20), 0.8, 0, None, False, True, None)
    assert "The deadline 2026-03-20 has passed." in found.notes


def test_review_rejections_and_gold_show_as_observed_overheads(db: Database) -> None:
    """Every annotation reviewed: 2 accepted, 1 rejected, 1 pending. Rejection rate 1/3 of
    decided at review rate 1 makes rework half the base; the rejected item waits again."""
    project = make_project(db, overlap=2, plan=PLAN, quality={"review": {"rate": 1.0}})
    load_texts(db, project, [f"t{i}" for i in range(4)])
    ada = add_user(db, "ada@example.com", role="annotator", projects=[project]).user.id
    bo = add_user(db, "bo@example.com", role="annotator", projects=[project]).user.id
    for day, who in ((8, ada), (8, bo), (9, ada), (9, bo)):
        label(db, project, who, datetime(2026, 3, day, 10 + who % 3))
    pending = review_queue(db, project)
    decide_review(db, project, pending[0].id, decision="accept")
    decide_review(db, project, pending[1].id, decision="accept")
    decide_review(db, project, pending[2].id, decision="reject", reason="wrong label")
    found = project_forecast(db, project, today=TODAY)
    assert found.observed == Overheads(0.0, 1.0, 1 / 3, 0.0)
    # Item 1 is complete, item 2 lost its rejected annotation (1 more), items 3 and 4
    # need 2 each: 5; rework 5 · (1/3) / (2/3) = 2.5.
    assert found.workload == Workload(2.0, 4, 3, 5.0, 0.0, pytest.approx(2.5), 0.0)
    assert (found.done, found.remaining) == (4, pytest.approx(7.5))


def test_kept_facts_take_new_annotations_incrementally(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every count dear (no recount on the spot, none due in the background), a
    view after new annotations adds them to the kept person-days; those equal a recount
    from scratch."""
    monkeypatch.setattr(capacity_facts, "CHEAP_SECONDS", 0.0)
    project, ada, _ = steady_world(db)
    first = project_forecast(db, project, today=TODAY)
    label(db, project, ada, datetime(2026, 3, 9, 15))
    second = project_forecast(db, project, today=TODAY)
    assert (first.done, second.done, second.days[-1]) == (4, 5, ("2026-03-09", 3))
    with db.read() as conn:
        found = by_name(conn, project)
    assert found is not None
    kept = capacity_facts.facts_of(db, found.id)
    assert kept.counted_newest < kept.newest  # the rest was not recounted
    capacity_facts.forget(db, found.id)
    assert capacity_facts.facts_of(db, found.id).person_days == kept.person_days


def test_allocation_moves_the_person_a_late_project_needs(db: Database) -> None:
    """Urgent (priority 5, 2 left in 2 days: 1 a day) has nobody; ada, who may work on
    both, did 4 every fourth day on Steady (1 a day, no deadline) and moves there; bo
    (1 every fourth day) stays."""
    steady = make_project(db, name="steady", overlap=1)
    urgent = make_project(db, name="urgent", overlap=1, priority=5,
                          plan={"deadline": "2026-03-12"})  # fmt: skip
    load_texts(db, steady, [f"s{i}" for i in range(50)])
    load_texts(db, urgent, ["u0", "u1"])
    ada = add_user(db, "ada@example.com", role="annotator", projects=[steady, urgent]).user.id
    bo = add_user(db, "bo@example.com", role="annotator", projects=[steady]).user.id
    for k in range(0, 28, 4):
        at = datetime(2026, 2, 10, 9) + timedelta(days=k)
        for j in range(4):
            label(db, steady, ada, at + timedelta(minutes=j))
        label(db, steady, bo, at + timedelta(minutes=9))
    plan = allocation_plan(db, today=TODAY)
    assert (plan.people, plan.window) == (2, 28)
    assert plan.projects == [
        ProjectLine("urgent", 5, date(2026, 3, 12), False, 2.0, 1.0, 0.0, 1.0, True),
        ProjectLine("steady", 0, None, False, 15.0, None, 1.25, 0.25, None),
    ]
    assert plan.shares == {"ada@example.com": {"urgent": 1.0}, "bo@example.com": {"steady": 1.0}}
    assert [(m.person, m.source, m.target, m.share) for m in plan.moves] == [
        ("ada@example.com", "steady", "urgent", 1.0)
    ]
    assert plan.moves[0].reason == (
        "urgent (priority 5) needs 1/day to meet its deadline and has 0/day; ada@example.com "
        "does 1/day there; steady has no deadline"
    )


def test_allocation_is_for_managers_and_admins(db: Database) -> None:
    """A reviewer asking for the cross-project plan is refused."""
    actor = Actor(7, "rev@example.com", Role.REVIEWER)
    with pytest.raises(PermissionDenied) as caught:
        allocation_plan(db, actor, today=TODAY)
    assert caught.value.message == "capacity planning across projects is for managers and admins"


def test_a_big_project_s_price_is_worked_out_in_the_background(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the inline size the first view says the price is being worked out and queues
    it; once worked out, the next view prices the work at acme's 0.05 USD."""
    queued: list[Callable[[], None]] = []
    monkeypatch.setattr(capacity_facts, "runner", queued.append)
    monkeypatch.setattr(capacity_price, "PRICE_INLINE_UP_TO", 0)
    project, _, _ = steady_world(db)
    set_terms(db, "acme", {"currency": "USD", "per_annotation": {"choice": 0.05}})
    first = project_forecast(db, project, today=TODAY)
    assert (first.cost, first.notes) == (
        None, ["The price from the vendors' rate cards is being worked out: reload in a minute."]
    )  # fmt: skip
    assert len(queued) == 1
    queued.pop()()
    second = project_forecast(db, project, today=TODAY)
    assert second.cost == Cost(0.05, "USD", "rate cards", pytest.approx(0.4),
                               pytest.approx(0.2), 100.0, "EUR")  # fmt: skip
    assert second.notes == ["The budget is in EUR and the rate in USD: they are not compared."]
