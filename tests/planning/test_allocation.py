"""The allocation LP on cases solved by hand, its reasons, refusals and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelworks.domain.errors import InvalidInput
from labelworks.planning import Demand, Move, Person, ProjectPlan, allocate

ADA = Person("ada", "annotator", "Acme", {"A": 50, "B": 100}, {"B": 1.0})
BOB = Person("bob", "annotator", "Acme", {"A": 100})
CY = Person("cy", "annotator", None, {"B": 100}, {"B": 0.5})


def test_the_urgent_project_takes_everyone_who_can_help_then_the_next_gets_the_rest() -> None:
    """A (priority 2) needs 200/day: bob (100) and ada (50 there) give 150, short 50; B
    needs 100/day and cy's whole day covers it. By hand: three moves."""
    plan = allocate([ADA, BOB, CY], [Demand("A", 2000, 10, 2), Demand("B", 1000, 10, 1)])
    assert plan.shares == {"ada": {"A": 1.0}, "bob": {"A": 1.0}, "cy": {"B": 1.0}}
    assert plan.projects == [
        ProjectPlan("A", 2, 200.0, current=0.0, planned=150.0),
        ProjectPlan("B", 1, 100.0, current=150.0, planned=100.0),
    ]
    assert [(p.shortfall, p.on_track) for p in plan.projects] == [(50.0, False), (0.0, True)]
    assert plan.moves == [
        Move("ada", "annotator", "Acme", "B", "A", 1.0,
             "A (priority 2) needs 200/day to meet its deadline and has 0/day; ada does "
             "50/day there; B stays on track without it (100/day planned)"),
        Move("bob", "annotator", "Acme", None, "A", 1.0,
             "A (priority 2) needs 200/day to meet its deadline and has 0/day; bob does "
             "100/day there; from time bob has spare"),
        Move("cy", "annotator", None, None, "B", 0.5,
             "B (priority 1) needs 100/day to meet its deadline and has 150/day; cy does "
             "100/day there; from time cy has spare"),
    ]  # fmt: skip


@pytest.mark.parametrize(("first", "second"), [("A", "B"), ("B", "A")])
def test_priority_decides_who_gets_the_one_person_both_need(first: str, second: str) -> None:
    """One person, two projects that each need all of them: the higher priority wins, and
    the move says the other has a lower priority."""
    dee = Person("dee", "annotator", None, {"A": 100, "B": 100}, {second: 1.0})
    plan = allocate([dee], [Demand(first, 1000, 10, 5), Demand(second, 1000, 10, 1)])
    assert plan.shares == {"dee": {first: 1.0}}
    assert [m.source for m in plan.moves] == [second]
    assert plan.moves[0].reason.endswith(f"{second} has a lower priority (1)")


def test_nobody_moves_when_every_deadline_is_met_as_things_are() -> None:
    """Everyone on track: the shares stay the current ones and there are no moves."""
    eve = Person("eve", "annotator", None, {"A": 100, "B": 100}, {"A": 0.6, "B": 0.4})
    plan = allocate([eve], [Demand("A", 300, 10, 1), Demand("B", 200, 10, 1)])
    assert plan.shares == {"eve": {"A": 0.6, "B": 0.4}}
    assert plan.moves == []


def test_a_project_without_deadline_gives_way_and_says_so() -> None:
    """Work on a project without a deadline moves to one that needs it."""
    fay = Person("fay", "reviewer", "Beta", {"A": 100, "C": 80}, {"C": 1.0})
    plan = allocate([fay], [Demand("A", 500, 10, 0), Demand("C", 5000, None, 9)])
    assert plan.shares == {"fay": {"A": 0.5, "C": 0.5}}
    assert plan.projects[1] == ProjectPlan("C", 9, None, current=80.0, planned=40.0)
    assert plan.projects[1].on_track is None
    assert plan.moves == [
        Move("fay", "reviewer", "Beta", "C", "A", 0.5,
             "A (priority 0) needs 50/day to meet its deadline and has 0/day; fay does "
             "100/day there; C has no deadline"),
    ]  # fmt: skip


def test_people_only_go_where_they_are_qualified() -> None:
    """Nobody qualified for A: A stays short by all it needs, nobody is moved."""
    plan = allocate([CY], [Demand("A", 100, 1, 1), Demand("B", 0, 5, 0)])
    assert plan.shares == {"cy": {"B": 0.5}}
    assert plan.projects[0].shortfall == 100.0


@pytest.mark.parametrize(
    ("people", "demands", "message"),
    [
        ([], [Demand("A", 1, 1), Demand("A", 2, 2)], "each project may appear once"),
        ([CY, CY], [Demand("B", 1, 1)], "each person may appear once"),
        ([], [Demand("A", -1, 1)], "A: remaining must be a number ≥ 0"),
        ([], [Demand("A", 1, 0)], "A: days_left must be at least 1"),
        ([Person("x", "annotator", None, {"A": -5})], [Demand("A", 1, 1)],
         "x: the rate on A must be a number ≥ 0"),
        ([Person("x", "annotator", None, {"A": 5}, {"A": 0.7, "B": 0.7})], [Demand("A", 1, 1)],
         "x: current shares must be ≥ 0 and sum to at most 1"),
    ],
)  # fmt: skip
def test_inconsistent_inputs_are_refused_by_name(
    people: list[Person], demands: list[Demand], message: str
) -> None:
    """Duplicates, negative work, no days, negative rates, over-full days: InvalidInput."""
    with pytest.raises(InvalidInput) as caught:
        allocate(people, demands)
    assert caught.value.message == message


people_st = st.lists(
    st.dictionaries(st.sampled_from("ABC"), st.integers(1, 200), min_size=1),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None)
@given(people_st, st.integers(0, 5000))
def test_the_top_priority_project_gets_all_the_help_it_can(
    rates: list[dict[str, int]], remaining: int
) -> None:
    """Every day is at most full, shares sit on qualified projects only, and the single
    top-priority project is short only by what its qualified people cannot cover."""
    people = [Person(f"p{i}", "annotator", None, r) for i, r in enumerate(rates)]
    demands = [Demand("A", remaining, 5, 3), Demand("B", 2000, 5, 1), Demand("C", 100, None)]
    plan = allocate(people, demands)
    for p in people:
        mine = plan.shares[p.name]
        assert sum(mine.values()) <= 1 + 1e-6
        assert set(mine) <= set(p.rates)
    top = plan.projects[0]
    capacity = sum(p.rates.get("A", 0) for p in people)
    assert top.shortfall == pytest.approx(max(remaining / 5 - capacity, 0), abs=1e-3)
