"""The Items table's filters, sorts, pages and counts (services.catalog.list_items) on every
database: each filter picks exactly the items it names, in combination too; metadata
values match as strings, numbers or true/false/null, never as a substring or a nested
object; every sort pages forward and back through the same order whichever way the page
is found; the count is exact without filters and capped with them."""

from __future__ import annotations

from typing import Any

import pytest
from tests.services.items_world import ODD_KEY, ODD_VALUE, Shop, build_shop

from labelworks.domain.errors import InvalidInput, NotFound
from labelworks.services import catalog, item_actions
from labelworks.services.item_selection import metadata_filters
from labelworks.storage.engine import Database

ALL = list(range(1, 13))


@pytest.fixture
def shop(db: Database) -> Shop:
    return build_shop(db)


def ids(db: Database, **filters: Any) -> list[int]:
    return [r.id for r in catalog.list_items(db, "shop", **{"limit": 500, **filters}).items]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "", "annotator": "", "label": "", "text": "", "disagreement": ""}, ALL),
        ({"status": "complete"}, [1, 2]),
        ({"status": "in_progress"}, [3]),
        ({"status": "new"}, list(range(4, 13))),
        ({"annotator": "ann0@example.com"}, [1, 2, 3]),
        ({"annotator": " ANN2@example.com "}, [2]),
        ({"annotator": "nobody@example.com"}, []),
        ({"label": "neg"}, [2]),
        ({"label": "neu"}, [3]),
        ({"text": "review 1"}, [2, 11, 12]),
        ({"disagreement": "any"}, [2]),
        ({"disagreement": "sentiment"}, [2]),
        ({"disagreement": "note"}, [1]),  # asked by name, free text counts too
        ({"metadata": (("split", "val"),)}, [1, 4, 7, 10]),
        ({"metadata": (("n", "3"),)}, [4]),
        ({"metadata": (("n", "6"),)}, [7]),  # stored as 6.0
        ({"metadata": (("n", "6.0"),)}, [7]),
        ({"metadata": (("n", "03"),)}, [4]),  # read as a number
        ({"metadata": (("flagged", "true"),)}, [1, 5, 9]),
        ({"metadata": (("flagged", "false"),)}, [2, 3, 4, 6, 7, 8, 10, 11, 12]),
        ({"metadata": ((ODD_KEY, ODD_VALUE),)}, [6]),
        ({"metadata": ((ODD_KEY, "50% off"),)}, []),  # whole values only
        ({"metadata": ((ODD_KEY, "%"),)}, []),  # LIKE's wildcards are plain text
        ({"metadata": (("split", "va_"),)}, []),
        ({"metadata": (("nested", '{"a": 1}'),)}, []),  # objects never match
        ({"metadata": (("nested", '{"a":1}'),)}, []),
        ({"metadata": (("missing", "val"),)}, []),
        ({"metadata": (("split", "val"), ("flagged", "true"))}, [1]),
        ({"score_min": 0.4}, [5, 7, 9, 11]),
        ({"score_max": 0.2}, [1, 3]),
        ({"score_min": 0.4, "score_max": 0.6}, [5, 7]),
        ({"score_min": 2.0}, []),
        ({"status": "new", "metadata": (("split", "val"),), "score_max": 0.6}, [7]),
        ({"status": "complete", "disagreement": "any", "label": "neg"}, [2]),
    ],
)
def test_each_filter_picks_the_items_it_names(
    shop: Shop, filters: dict[str, Any], expected: list[int]
) -> None:
    """Every filter alone and in combination, counted exactly as listed."""
    page = catalog.list_items(shop.db, "shop", limit=500, **filters)
    assert ([r.id for r in page.items], page.total, page.total_capped) == (
        expected,
        len(expected),
        False,
    )


def test_filters_behind_a_vendor_wall_see_only_the_vendors_work(shop: Shop) -> None:
    """acme's manager: globex's annotator filters like nobody, item 2's disagreement (with
    globex's answer) is not one, and counts are acme's annotations only."""
    lead = shop.actor("lead")
    by = {
        "ann2": ids(shop.db, actor=lead, annotator="ann2@example.com"),
        "disagreement": ids(shop.db, actor=lead, disagreement="any"),
        "label neg": ids(shop.db, actor=lead, label="neg"),
        "label pos": ids(shop.db, actor=lead, label="pos"),
    }
    counts = {r.id: r.n_submitted for r in catalog.list_items(shop.db, "shop", actor=lead).items}
    assert by == {"ann2": [], "disagreement": [], "label neg": [], "label pos": [1, 2]}
    assert (counts[1], counts[2], counts[3]) == (2, 1, 1)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "done"}, "status must be one of new, in_progress, complete, not 'done'"),
        (
            {"disagreement": "colour"},
            "disagreement must be 'any' or a field of project 'shop' (sentiment, note), "
            "not 'colour'",
        ),
        ({"score_min": 0.5, "score_max": 0.1}, "score_min (0.5) is above score_max (0.1)"),
        ({"score_min": float("nan")}, "score_min must be a finite number"),
        ({"metadata": (("", "x"),)}, "a metadata filter needs a key (meta.KEY=VALUE)"),
        ({"text": "a\x00b"}, "a filter must be at most 500 characters, without NUL"),
        ({"label": "x" * 501}, "a filter must be at most 500 characters, without NUL"),
        ({"metadata": tuple((f"k{i}", "v") for i in range(21))}, "at most 20 metadata filters"),
        (
            {"sort": "created"},
            "sort must be one of id, -id, -priority, priority, n_submitted, -n_submitted, "
            "not 'created'",
        ),
        ({"after": 3, "before": 5}, "give after or before, not both"),
        ({"limit": 0}, "limit must be between 1 and 500"),
    ],
)
def test_bad_filters_are_refused_by_name(shop: Shop, filters: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        catalog.list_items(shop.db, "shop", **filters)
    assert str(refused.value) == message


PRIORITY = {4: 3, 5: 3, 9: -1}  # the rest 0
SUBMITTED = {1: 2, 2: 2, 3: 1}  # the rest 0


def reference(sort: str) -> list[int]:
    """Each sort as written in its definition: its key, ties in import order, and the
    '-' form (or the plain one, for priority) the exact reverse."""
    by_priority = sorted(ALL, key=lambda i: (-PRIORITY.get(i, 0), i))
    by_submitted = sorted(ALL, key=lambda i: (SUBMITTED.get(i, 0), i))
    return {
        "id": ALL,
        "-id": ALL[::-1],
        "-priority": by_priority,
        "priority": by_priority[::-1],
        "n_submitted": by_submitted,
        "-n_submitted": by_submitted[::-1],
    }[sort]


def _walk(
    db: Database, sort: str, limit: int, filters: dict[str, Any]
) -> tuple[list[list[int]], list[list[int]]]:
    """Every page from the first by next_after; then the pages back from the last one by
    prev_before, in reading order."""
    forward, after = [], 0
    while True:
        page = catalog.list_items(db, "shop", sort=sort, limit=limit, after=after, **filters)
        forward.append([r.id for r in page.items])
        if page.next_after is None:
            break
        after = page.next_after
    backward: list[list[int]] = []
    before = page.prev_before
    while before is not None:
        page = catalog.list_items(db, "shop", sort=sort, limit=limit, before=before, **filters)
        backward.insert(0, [r.id for r in page.items])
        before = page.prev_before
    return forward, backward


SORTS = ["id", "-id", "-priority", "priority", "n_submitted", "-n_submitted"]


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_pages_forward_and_back_through_one_order(
    shop: Shop, sort: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unfiltered, filtered with every match counted (pages cut from the matches' keys),
    and filtered past the count's cap (pages read by keyset): whatever the page size, the
    pages forward are the sort's order, and the pages back from the last are the same."""
    item_actions.act_on_items(shop.db, "shop", "priority", ids=[4, 5], priority=3)
    item_actions.act_on_items(shop.db, "shop", "priority", ids=[9], priority=-1)
    seen, expected = {}, {}
    for cap in (1000, 2):
        monkeypatch.setattr(catalog, "COUNT_CAP", cap)
        for filters in ({}, {"text": "review"}):
            for limit in (1, 5, 12):
                forward, backward = _walk(shop.db, sort, limit, filters)
                key = (cap, bool(filters), limit)
                seen[key] = ([i for p in forward for i in p], backward + forward[-1:])
                expected[key] = (reference(sort), forward)
    assert seen == expected


def test_a_page_after_an_item_gone_says_so_for_sorts_by_a_key(shop: Shop) -> None:
    """Sorted by id, a page after a deleted item still follows on; sorted by priority,
    where the deleted item stood is unknown: NotFound, start again."""
    item_actions.act_on_items(shop.db, "shop", "delete", ids=[6])
    follows = ids(shop.db, sort="id", after=6, limit=2)
    with pytest.raises(NotFound) as gone:
        catalog.list_items(shop.db, "shop", sort="-priority", after=6)
    assert (follows, str(gone.value)) == (
        [7, 8],
        "item 6 (after) is not in project 'shop' any more; start again from the first page",
    )


def test_counts_exact_unfiltered_capped_filtered_and_exact_on_request(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without filters every item is counted; with filters the count stops past the cap
    unless the exact count is asked for; the previous link appears once a page is not the
    first."""
    monkeypatch.setattr(catalog, "COUNT_CAP", 5)
    plain = catalog.list_items(shop.db, "shop", limit=4)
    capped = catalog.list_items(shop.db, "shop", status="new", limit=4)
    exact = catalog.list_items(shop.db, "shop", status="new", limit=4, exact_count=True)
    second = catalog.list_items(
        shop.db, "shop", status="new", limit=4, after=capped.next_after or 0
    )
    assert [
        (p.total, p.total_capped, [r.id for r in p.items], p.next_after, p.prev_before)
        for p in (plain, capped, exact, second)
    ] == [
        (12, False, [1, 2, 3, 4], 4, None),
        (5, True, [4, 5, 6, 7], 7, None),
        (9, False, [4, 5, 6, 7], 7, None),
        (5, True, [8, 9, 10, 11], 11, 8),
    ]


def test_rows_carry_status_against_the_items_own_target(shop: Shop) -> None:
    """A re-queued item asks for one more annotation: in progress again, in the table and
    on its own."""
    item_actions.act_on_items(shop.db, "shop", "requeue", ids=[1])
    row = catalog.list_items(shop.db, "shop", limit=1).items[0]
    detail = catalog.item_detail(shop.db, "shop", 1)
    assert (row.status, detail.status, detail.target, ids(shop.db, status="complete")) == (
        "in_progress",
        "in_progress",
        3,
        [2],
    )


def test_metadata_keys_most_common_first(shop: Shop) -> None:
    assert catalog.metadata_keys(shop.db, "shop") == ["flagged", "n", "split", "nested", ODD_KEY]


def test_query_parameters_become_metadata_filters() -> None:
    params = [("meta.split", "val"), ("q", "x"), ("meta.", "y"), ("meta.n", ""), ("meta.a.b", "1")]
    assert metadata_filters(params) == (("split", "val"), ("", "y"), ("a.b", "1"))
