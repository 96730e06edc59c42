"""Bulk actions on the Items table (services.item_actions) on every database: priority,
re-queue (one more annotation, served to someone new, decided again) and delete (items
nobody worked on), chosen by id or by filter; all or nothing, with the refused items named
by reason; the audit trail records each; only managers outside vendor walls may act."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from tests.services.items_world import Shop, build_shop, label

from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.domain.escalation import Flag
from labelworks.services import adjudication, assignment, audit, catalog, gold, item_actions
from labelworks.services.item_selection import ItemSelection
from labelworks.storage import consensus as consensus_store
from labelworks.storage.engine import Database
from labelworks.storage.tables import items, pre_annotations


@pytest.fixture
def shop(db: Database) -> Shop:
    return build_shop(db)


def act(shop: Shop, action: str, **kwargs: Any) -> item_actions.ItemsChanged:
    return item_actions.act_on_items(shop.db, "shop", action, **kwargs)


def table(shop: Shop) -> dict[int, tuple[str, int, int]]:
    """item id -> (status, annotations, priority) as the Items table shows it."""
    page = catalog.list_items(shop.db, "shop", limit=500)
    return {r.id: (r.status, r.n_submitted, r.priority) for r in page.items}


def refusal(call: Any) -> tuple[str, str, dict[str, Any]]:
    with pytest.raises((Conflict, NotFound, InvalidInput, PermissionDenied)) as refused:
        call()
    return type(refused.value).__name__, str(refused.value), refused.value.details


def test_priority_by_ids_and_by_filter_is_recorded(shop: Shop) -> None:
    """Items 4 and 5 get priority 7, then every val item 2 (item 4 among them); setting a
    priority items have already changes none of them; each action is in the audit trail."""
    first = act(shop, "priority", ids=[5, 4, 4], priority=7)
    by_filter = act(
        shop, "priority", selection=ItemSelection(metadata=(("split", "val"),)), priority=2
    )
    again = act(shop, "priority", ids=[1, 4], priority=2)
    shown = table(shop)
    events = audit.audit_trail(shop.db, "shop", action="items.priority")
    assert [(d.selected, d.changed, d.describe()) for d in (first, by_filter, again)] == [
        (2, 2, "Set the priority of 2 items to 7."),
        (4, 4, "Set the priority of 4 items to 2."),
        (2, 0, "Set the priority of 0 of 2 items to 2 (2 had it already)."),
    ]
    assert {i: shown[i][2] for i in (1, 4, 5, 7, 10, 12)} == {1: 2, 4: 2, 5: 7, 7: 2, 10: 2, 12: 0}
    assert [(e.subject, e.details["ids"], e.details["priority"]) for e in events] == [
        ("2 items", [4, 5], 7),
        ("4 items", [1, 4, 7, 10], 2),
        ("2 items", [1, 4], 2),
    ]


def test_requeue_asks_complete_items_for_one_more_annotation(shop: Shop) -> None:
    """Item 1 (complete, its final label decided by majority) goes back for a third
    annotation, which the one annotator who has not labelled it gets next; the label is
    decided again from three. Item 3 (one of two) was in the queue already: unchanged."""
    with shop.db.read() as conn:
        before = consensus_store.final_of(conn, 1)
    done = act(shop, "requeue", ids=[1, 3])
    with shop.db.read() as conn:
        dropped = consensus_store.final_of(conn, 1)
    after = table(shop)
    served = label(shop.db, shop.ids["ann2"], {"sentiment": "neg"})
    with shop.db.read() as conn:
        decided = consensus_store.final_of(conn, 1)
    assert before is not None and decided is not None
    assert (done.selected, done.changed, done.describe()) == (
        2,
        1,
        "Re-queued 1 of 2 items for one more annotation; 1 still short of its annotations "
        "was in the queue already.",
    )
    assert (len(before.annotation_ids), dropped, after[1], after[3], served) == (
        2,
        None,
        ("in_progress", 2, 0),
        ("in_progress", 1, 0),
        1,
    )
    assert len(decided.annotation_ids) == 3
    assert table(shop)[1] == ("complete", 3, 0)


def test_requeue_refuses_gold_and_adjudicated_items_changing_nothing(shop: Shop) -> None:
    """Item 12 is gold and item 2's label was decided by an adjudicator: a re-queue with
    either (and item 1) is refused naming them by reason, and item 1 stays complete."""
    gold.mark_gold(shop.db, "shop", 12, value={"sentiment": "pos"})
    adjudication.adjudicate(shop.db, "shop", 2, value={"sentiment": "neg"}, note="expert")
    refused = refusal(lambda: act(shop, "requeue", ids=[12, 1, 2]))
    assert refused == (
        "Conflict",
        "cannot re-queue 2 of the 3 items, so nothing was changed: item 12 is a gold "
        "question; item 2 has a final label an adjudicator decided",
        {"refused": {"gold": [12], "adjudicated": [2]}},
    )
    assert table(shop)[1] == ("complete", 2, 0)


def test_delete_removes_items_nobody_worked_on_and_their_pre_annotations(shop: Shop) -> None:
    """Items 5 and 6 go, with item 5's pre-annotation; the table and the count follow."""
    done = act(shop, "delete", ids=[5, 6])
    with shop.db.read() as conn:
        left = conn.execute(
            select(func.count()).select_from(pre_annotations).where(pre_annotations.c.item_id == 5)
        ).scalar_one()
    page = catalog.list_items(shop.db, "shop", limit=500)
    with pytest.raises(NotFound):
        catalog.item_detail(shop.db, "shop", 5)
    assert (done.describe(), left, page.total, [r.id for r in page.items]) == (
        "Deleted 2 items.",
        0,
        10,
        [1, 2, 3, 4, 7, 8, 9, 10, 11, 12],
    )


def test_delete_refuses_items_with_work_naming_each_and_deletes_nothing(shop: Shop) -> None:
    """Annotated items (1, 2, 3), leased ones (3, by ann1; 4, by ann0), one flagged by a
    skip (4, ann2's) and a gold question (12): each named by reason; items 5 and 6 of the
    same request stay too."""
    leased = assignment.next_task_for(shop.db, "shop", shop.ids["ann1"])
    flagged = assignment.next_task_for(shop.db, "shop", shop.ids["ann2"])
    assert leased is not None and flagged is not None
    assignment.skip_task(
        shop.db, flagged.assignment_id, shop.ids["ann2"], flag=Flag("ambiguous", "which?")
    )
    again = assignment.next_task_for(shop.db, "shop", shop.ids["ann0"])
    assert again is not None
    gold.mark_gold(shop.db, "shop", 12, value={"sentiment": "pos"})
    refused = refusal(lambda: act(shop, "delete", ids=[1, 2, 3, 4, 5, 6, 12]))
    with shop.db.read() as conn:
        kept = conn.execute(select(func.count()).select_from(items)).scalar_one()
    assert (leased.item_id, flagged.item_id, again.item_id) == (3, 4, 4)
    assert refused == (
        "Conflict",
        "cannot delete 5 of the 7 items, so nothing was changed: items 1, 2 and 3 have "
        "annotations; items 3 and 4 are being labelled now; item 12 is a gold question; "
        "item 4 has work kept for it (set-aside annotations, late submissions, retests "
        "or flags)",
        {"refused": {"annotated": [1, 2, 3], "leased": [3, 4], "gold": [12], "kept_work": [4]}},
    )
    assert kept == 12


def test_unknown_ids_are_named_and_nothing_changes(shop: Shop) -> None:
    """Item 999 does not exist and the other project's items are not shop's: not found,
    and item 4's priority is untouched."""
    refused = refusal(lambda: act(shop, "priority", ids=[4, 999, 13], priority=5))
    assert refused == (
        "NotFound",
        "items 13 and 999 are not in project 'shop'; nothing was changed",
        {"missing": [13, 999]},
    )
    assert table(shop)[4] == ("new", 0, 0)


def test_by_filter_acts_on_every_match_or_refuses_too_many(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New val items (4, 7, 10) are deleted by their filter; a filter matching nothing
    changes nothing; one matching more than the limit is refused."""
    deleted = act(
        shop, "delete", selection=ItemSelection(status="new", metadata=(("split", "val"),))
    )
    nothing = act(shop, "delete", selection=ItemSelection(annotator="nobody@example.com"))
    monkeypatch.setattr(item_actions, "MAX_ITEMS", 3)
    too_many = refusal(lambda: act(shop, "requeue", selection=ItemSelection(status="new")))
    assert (deleted.selected, deleted.changed, sorted(set(range(1, 13)) - set(table(shop)))) == (
        3,
        3,
        [4, 7, 10],
    )
    assert (nothing.describe(), too_many[:2]) == (
        "No items match the filter; nothing changed.",
        ("InvalidInput", "the filter matches more than 3 items; narrow it, or act in steps"),
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"action": "explode", "ids": [4]},
            "action must be one of requeue, priority, delete, not 'explode'",
        ),
        (
            {"action": "priority", "ids": [4]},
            "give a priority with the priority action, and only then",
        ),
        (
            {"action": "delete", "ids": [4], "priority": 1},
            "give a priority with the priority action, and only then",
        ),
        (
            {"action": "priority", "ids": [4], "priority": 10**10},
            "priority must be between -1,000,000,000 and 1,000,000,000",
        ),
        ({"action": "delete"}, "choose the items by ids or by a filter (one of them)"),
        (
            {"action": "delete", "ids": [4], "selection": ItemSelection()},
            "choose the items by ids or by a filter (one of them)",
        ),
        ({"action": "delete", "ids": []}, "no items selected"),
        (
            {"action": "delete", "selection": ItemSelection(status="gone")},
            "status must be one of new, in_progress, complete, not 'gone'",
        ),
    ],
)
def test_bad_requests_are_refused_by_name(shop: Shop, kwargs: dict[str, Any], message: str) -> None:
    kwargs = dict(kwargs)
    action = kwargs.pop("action")
    assert refusal(lambda: act(shop, action, **kwargs))[:2] == ("InvalidInput", message)
    assert len(table(shop)) == 12


def test_only_managers_outside_vendor_walls_may_act(shop: Shop) -> None:
    """A reviewer may not manage; acme's manager may not change what every vendor works
    on; another project's manager is told shop does not exist; the admin may."""
    outcomes = {
        who: refusal(lambda a=shop.actor(who): act(shop, "priority", ids=[4], priority=1, actor=a))[
            :2
        ]
        for who in ("reviewer", "lead")
    }
    stranger = Actor(shop.ids["stranger"], "stranger@example.com", Role.MANAGER)
    outcomes["stranger"] = refusal(
        lambda: act(shop, "priority", ids=[4], priority=1, actor=stranger)
    )[:2]
    done = act(shop, "priority", ids=[4], priority=1, actor=shop.actor("admin"))
    assert outcomes == {
        "reviewer": ("PermissionDenied", "a reviewer may not manage project 'shop'"),
        "lead": (
            "PermissionDenied",
            "bulk actions change items every vendor works on; vendors' staff may not use them",
        ),
        "stranger": ("NotFound", "project 'shop' does not exist"),
    }
    assert (done.changed, table(shop)[4]) == (1, ("new", 0, 1))
