"""The spec's routing on every database: uncertainty serves the least sure open item first
after each training, random serves a fixed permutation (imports included), sequential
restores import order, and a priority a manager set by hand is kept throughout."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.services.builders import SENTIMENT, jsonl, load_texts, make_project

from labelworks.domain.routing import Shuffle, shuffle_of, uncertainty_priority
from labelworks.services import assist
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.item_actions import act_on_items
from labelworks.services.users import add_user
from labelworks.storage import items as item_store
from labelworks.storage import projects as project_store
from labelworks.storage.engine import Database
from labelworks.storage.tables import items

WORD = {"positive": "superb", "negative": "broken"}
ASSIST = {"field": "sentiment", "every": 1000, "min_labels": 10}


def _spec(**extra: object) -> dict[str, object]:
    return {"overlap": 1, "quality": {"consensus": "majority"}, "assist": ASSIST, **extra}


def _serve(db: Database, n: int, who: str) -> list[int]:
    """A new annotator takes and submits the next n tasks; the items in the order served,
    each labelled as its word says (positive when it has none)."""
    person = add_user(db, f"{who}@x.example", role="annotator", projects=["sentiment"]).user.id
    served = []
    for k in range(n):
        task = next_task_for(db, "sentiment", person)
        assert task is not None
        text = str(task.payload["text"])
        label = "negative" if WORD["negative"] in text else "positive"
        submit_annotation(db, task.assignment_id, person, value={"sentiment": label},
                          seconds=1.0, idempotency_key=f"{who}{k}")  # fmt: skip
        served.append(task.item_id)
    return served


def _priorities(db: Database) -> dict[int, tuple[int, bool]]:
    with db.read() as conn:
        rows = conn.execute(select(items.c.id, items.c.priority, items.c.routed).order_by("id"))
        return {int(r.id): (int(r.priority), bool(r.routed)) for r in rows}


def _shuffle(db: Database) -> Shuffle:
    with db.read() as conn:
        project = project_store.by_name(conn, "sentiment")
    assert project is not None
    return shuffle_of(project.id)


def _reviews() -> list[str]:
    """20 clear reviews to learn from, then 12 open ones: clear, mixed and wordless."""
    clear = [f"review {i} was {WORD[('positive', 'negative')[i % 2]]}" for i in range(20)]
    open_ = [
        *(f"later {i} was {WORD[('positive', 'negative')[i % 2]]}" for i in range(6)),
        *(f"mixed {i}: superb but broken" for i in range(3)),
        *(f"plain {i}: it came in a box" for i in range(3)),
    ]
    return clear + open_


def test_uncertainty_serves_the_least_sure_open_item_first(db: Database) -> None:
    """After a training the open items are served by the model's doubt (1 - score, ties in
    import order): first an item with neither or both telling words, the clear ones last."""
    make_project(db, **_spec(routing={"order": "uncertainty"}))
    load_texts(db, "sentiment", _reviews())
    assert _serve(db, 20, "a") == list(range(1, 21))  # no model yet: import order
    assist.train(db, "sentiment")
    with db.read() as conn:
        found = item_store.pre_annotations_by_item(conn, list(range(21, 33)))
    doubt = {i: uncertainty_priority(p[0]["score"]) for i, p in found.items()}
    expected = sorted(doubt, key=lambda i: (-doubt[i], i))
    served = _serve(db, 12, "b")
    assert served == expected
    assert served[0] in range(27, 33) and set(served[-6:]) == set(range(21, 27))
    assert {i: _priorities(db)[i] for i in doubt} == {i: (doubt[i], True) for i in doubt}


def test_a_later_training_reroutes_and_switching_to_uncertainty_uses_the_suggestions(
    db: Database,
) -> None:
    """A project that turns uncertainty on after its training is routed at once from the
    current suggestions; turning it off gives every routed item priority 0 back."""
    make_project(db, **_spec())
    load_texts(db, "sentiment", _reviews())
    _serve(db, 20, "a")
    assist.train(db, "sentiment")
    assert {p for p, _ in _priorities(db).values()} == {0}
    make_project(db, **_spec(routing={"order": "uncertainty"}))
    routed = _priorities(db)
    with db.read() as conn:
        found = item_store.pre_annotations_by_item(conn, list(range(21, 33)))
    assert {i: routed[i] for i in found} == {
        i: (uncertainty_priority(p[0]["score"]), True) for i, p in found.items()
    }
    make_project(db, **_spec(routing={"order": "sequential"}))
    assert set(_priorities(db).values()) == {(0, False)}
    assert _serve(db, 12, "b") == list(range(21, 33))


def test_random_order_is_a_fixed_permutation_including_later_imports(db: Database) -> None:
    """Switching to random shuffles the waiting items and each later import joins the
    shuffle: served, they are every item once, in the project's shuffle and not in import
    order; back to sequential, what is left is served in import order."""
    make_project(db, **{**SENTIMENT, "overlap": 1})
    load_texts(db, "sentiment", [f"first {i}" for i in range(30)])
    make_project(db, **{**SENTIMENT, "overlap": 1, "routing": {"order": "random"}})
    body = jsonl([{"text": f"second {i}"} for i in range(20)])
    import_items(db, "sentiment", body, format="jsonl", source="more.jsonl")
    order = _shuffle(db)
    expected = sorted(range(1, 51), key=lambda i: (-order.priority(i), i))
    served = _serve(db, 40, "a")
    assert served == expected[:40]
    assert sorted(served + expected[40:]) == list(range(1, 51))
    assert served != sorted(served)
    make_project(db, **{**SENTIMENT, "overlap": 1})
    assert _serve(db, 10, "b") == sorted(expected[40:])


def test_a_managers_own_priorities_are_kept(db: Database) -> None:
    """Priorities set by hand (5,000 and -1) survive a shuffle and going back to
    sequential; a hand-set 0 hands the item back to routing, and a routed item given a
    priority by hand keeps it: the 5,000 item is served first, the -1 item last."""
    make_project(db, **{**SENTIMENT, "overlap": 1})
    load_texts(db, "sentiment", [f"text {i}" for i in range(12)])
    act_on_items(db, "sentiment", "priority", ids=[4], priority=5000)
    act_on_items(db, "sentiment", "priority", ids=[7], priority=-1)
    act_on_items(db, "sentiment", "priority", ids=[9], priority=0)
    make_project(db, **{**SENTIMENT, "overlap": 1, "routing": {"order": "random"}})
    shuffled = _priorities(db)
    changed = act_on_items(db, "sentiment", "priority", ids=[2], priority=shuffled[2][0])
    order = _shuffle(db)
    assert changed.changed == 1
    assert shuffled == {
        i: (5000, False) if i == 4 else (-1, False) if i == 7 else (order.priority(i), True)
        for i in range(1, 13)
    }
    make_project(db, **{**SENTIMENT, "overlap": 1})
    assert _priorities(db) == {
        i: {4: (5000, False), 7: (-1, False), 2: (shuffled[2][0], False)}.get(i, (0, False))
        for i in range(1, 13)
    }
    served = _serve(db, 12, "a")
    assert (served[0], served[-1]) == (4, 7)


def test_shuffle_in_sql_matches_the_domain(db: Database) -> None:
    """The shuffle the database computes in one UPDATE is ``Shuffle.priority`` exactly, for
    ids far apart too (no overflow on 32-bit integers)."""
    make_project(db, **{**SENTIMENT, "overlap": 1})
    load_texts(db, "sentiment", [f"text {i}" for i in range(5)])
    with db.write() as conn:
        conn.execute(items.update().where(items.c.id == 5).values(id=2_000_000_000))
    make_project(db, **{**SENTIMENT, "overlap": 1, "routing": {"order": "random"}})
    order = _shuffle(db)
    assert _priorities(db) == {i: (order.priority(i), True) for i in (1, 2, 3, 4, 2_000_000_000)}


@pytest.mark.parametrize("order", ["random", "uncertainty"])
def test_annotated_items_are_not_routed(db: Database, order: str) -> None:
    """Only items still waiting for their first annotation get a routed priority: those
    already annotated keep 0."""
    make_project(db, **_spec())
    load_texts(db, "sentiment", _reviews())
    _serve(db, 20, "a")
    assist.train(db, "sentiment")
    make_project(db, **_spec(routing={"order": order}))
    routed = {i for i, (_, r) in _priorities(db).items() if r}
    assert routed == set(range(21, 33))
