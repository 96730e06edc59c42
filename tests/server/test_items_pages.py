"""The Items tab (server/web/items.py) on every database: filters, sort and page kept in the
URL (htmx told the canonical one), the count and the pager, bad filters shown as such, the
bulk form for managers outside vendor walls only, and its actions: back to the same view
with what happened, or the refusal naming the items; hostile metadata keys and values
rendered as text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from markupsafe import escape
from tests.services.builders import jsonl
from tests.services.items_world import Shop, build_shop

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services import catalog, ingestion, passwords
from labelworks.services.auth import set_password
from labelworks.storage.engine import Database

PASSWORD = "correct horse battery"
HX = {"HX-Request": "true"}
HOSTILE_KEY = '"><script>alert(1)</script>'
HOSTILE_VALUE = "<img src=x onerror=alert(2)>"


@dataclass
class Site:
    shop: Shop
    app: Any
    clients: dict[str, TestClient]

    def get(self, url: str, who: str = "boss", **kwargs: Any) -> Any:
        return self.clients[who].get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any], who: str = "boss") -> Any:
        client = self.clients[who]
        page = client.get("/settings").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return client.post(url, data={**data, "csrf_token": found.group(1)})


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The shop world with a 13th item whose metadata key and value are hostile, and a
    logged-in browser session for the manager, acme's manager and the reviewer."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    shop = build_shop(db)
    row = {"payload": {"text": "hostile"}, "metadata": {HOSTILE_KEY: HOSTILE_VALUE}}
    ingestion.import_items(db, "shop", jsonl([row]), format="jsonl", source="more.jsonl")
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    clients = {}
    for who in ("boss", "lead", "reviewer"):
        set_password(db, f"{who}@example.com", PASSWORD)
        client = TestClient(app, follow_redirects=False)
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        done = client.post(
            "/login",
            data={"email": f"{who}@example.com", "password": PASSWORD, "csrf_token": token[1]},
        )
        assert done.status_code == 303
        clients[who] = client
    with TestClient(app):
        yield Site(shop, app, clients)


def rows(text: str) -> list[int]:
    """The item ids of the table's rows, in order."""
    return [int(i) for i in re.findall(r'<td><a href="/projects/shop/items/(\d+)">', text)]


def count(text: str) -> str:
    found = re.search(r'data-testid="items-count">\s*(.*?)\s*(?:·|</p>)', text, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


def links(text: str) -> dict[str, str]:
    """The pager's links (prev, next) and the exact-count link, unescaped."""
    found = re.findall(r'hx-get="([^"]+)"[^>]*data-testid="items-(prev|next|count-all)"', text)
    return {name: html.unescape(url) for url, name in found}


def test_the_table_pages_forward_and_back_with_a_count(site: Site) -> None:
    """Five to a page in import order: 'items 1–5 of 13', next keeps the view and says
    where it is, previous goes back to exactly the first page."""
    first = site.get("/projects/shop/items?limit=5&q=", headers=HX)
    second = site.get(links(first.text)["next"], headers=HX)
    back = site.get(links(second.text)["prev"], headers=HX)
    assert (first.status_code, first.headers["HX-Push-Url"]) == (
        200,
        "/projects/shop/items?limit=5",
    )
    assert [(rows(p.text), count(p.text), links(p.text)) for p in (first, second, back)] == [
        (
            [1, 2, 3, 4, 5],
            "items 1–5 of 13",
            {"next": "/projects/shop/items?limit=5&after=5&start=6"},
        ),
        (
            [6, 7, 8, 9, 10],
            "items 6–10 of 13",
            {
                "prev": "/projects/shop/items?limit=5&before=6&start=1",
                "next": "/projects/shop/items?limit=5&after=10&start=11",
            },
        ),
        (
            [1, 2, 3, 4, 5],
            "items 1–5 of 13",
            {"next": "/projects/shop/items?limit=5&after=5&start=6"},
        ),
    ]


def test_filters_and_sort_live_in_the_url(site: Site) -> None:
    """Every filter narrows the table, the URL htmx is told keeps only what is set (in a
    fixed order), and the whole page opened from that URL shows the same rows with the
    filters filled in."""
    query = (
        "sort=-id&meta.split=val&status=new&annotator=&disagreement=&score_max=0.6"
        "&q=review&meta.flagged="
    )
    partial = site.get(f"/projects/shop/items?{query}", headers=HX)
    canonical = partial.headers["HX-Push-Url"]
    whole = site.get(canonical)
    filtered = {
        "disagreement": rows(site.get("/projects/shop/items?disagreement=any", headers=HX).text),
        "label": rows(site.get("/projects/shop/items?label=neu", headers=HX).text),
        "annotator": rows(
            site.get("/projects/shop/items?annotator=ann2%40example.com", headers=HX).text
        ),
        "score": rows(
            site.get("/projects/shop/items?score_min=0.4&score_max=0.6", headers=HX).text
        ),
        "meta": rows(site.get("/projects/shop/items?meta.flagged=true", headers=HX).text),
        "sort": rows(site.get("/projects/shop/items?sort=-n_submitted&limit=3", headers=HX).text),
    }
    assert (canonical, rows(partial.text), rows(whole.text)) == (
        "/projects/shop/items?q=review&status=new&score_max=0.6&meta.split=val&sort=-id",
        [7],
        [7],
    )
    assert (
        'name="meta.split" value="val"' in whole.text,
        '<option value="-id" selected>' in whole.text,
        'name="score_max" placeholder="max" value="0.6"' in whole.text,
    ) == (True, True, True)
    assert filtered == {
        "disagreement": [2],
        "label": [3],
        "annotator": [2],
        "score": [5, 7],
        "meta": [1, 5, 9],
        "sort": [2, 1, 3],
    }


def test_a_capped_count_offers_the_whole_count(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "COUNT_CAP", 4)
    capped = site.get("/projects/shop/items?status=new&limit=2", headers=HX)
    exact = site.get(links(capped.text)["count-all"], headers=HX)
    assert (count(capped.text), count(exact.text), exact.headers["HX-Push-Url"]) == (
        "items 1–2 of 4+",
        "items 1–2 of 10",
        "/projects/shop/items?status=new&limit=2&count=exact",
    )


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("status=done", "status must be one of new, in_progress, complete, not &#39;done&#39;"),
        ("score_min=lots", "score_min must be a number, not &#39;lots&#39;"),
        (
            "sort=created",
            "sort must be one of id, -id, -priority, priority, n_submitted, -n_submitted, "
            "not &#39;created&#39;",
        ),
        ("limit=9999", "limit must be between 1 and 500"),
        (
            "disagreement=colour",
            "disagreement must be &#39;any&#39; or a field of project &#39;shop&#39; "
            "(sentiment, note), not &#39;colour&#39;",
        ),
    ],
)
def test_bad_filters_are_shown_not_failed(site: Site, query: str, problem: str) -> None:
    """htmx gets the table's place with the problem (200, so it is swapped in); the whole
    page says it with 422."""
    partial = site.get(f"/projects/shop/items?{query}", headers=HX)
    whole = site.get(f"/projects/shop/items?{query}")
    shown = re.search(r'data-testid="items-problem">([^<]*)<', partial.text)
    assert (partial.status_code, whole.status_code, shown and shown.group(1)) == (200, 422, problem)
    assert problem in whole.text


def test_the_bulk_form_is_for_managers_outside_vendor_walls(site: Site) -> None:
    forms = {
        who: ('data-testid="items-bulk"' in site.get("/projects/shop/items", who).text)
        for who in ("boss", "lead", "reviewer")
    }
    assert forms == {"boss": True, "lead": False, "reviewer": False}


def test_ticked_rows_get_a_priority_and_the_view_comes_back(site: Site) -> None:
    """Two rows ticked, priority 4: back (303) to the same filtered, sorted view with what
    happened said once; the rows show their new priority first."""
    query = "meta.split=val&sort=-priority"
    done = site.post(
        "/projects/shop/items/actions",
        {"action": "priority", "priority": "4", "ids": ["7", "10"], "query": query},
    )
    shown = site.get(done.headers["location"])
    again = site.get(done.headers["location"])
    flash = re.search(r'data-testid="items-notice">([^<]*)<', shown.text)
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/projects/shop/items?meta.split=val&sort=-priority",
    )
    assert (flash and flash.group(1), rows(shown.text), "items-notice" in again.text) == (
        "Set the priority of 2 items to 4.",
        [7, 10, 1, 4],
        False,
    )


def test_all_matching_acts_on_the_filter_and_a_refusal_names_the_items(site: Site) -> None:
    """'All matching' re-queues every complete item; deleting items 1 and 4 is refused
    (409) naming item 1, and item 4 is still there; nothing ticked is refused too."""
    requeued = site.post(
        "/projects/shop/items/actions",
        {"action": "requeue", "all_matching": "1", "query": "status=complete"},
    )
    refused = site.post(
        "/projects/shop/items/actions", {"action": "delete", "ids": ["1", "4"], "query": ""}
    )
    empty = site.post("/projects/shop/items/actions", {"action": "delete", "query": ""})
    notice = re.search(r'data-testid="items-notice">([^<]*)<', refused.text)
    assert requeued.status_code == 303
    assert (refused.status_code, notice and html.unescape(notice.group(1))) == (
        409,
        "cannot delete 1 of the 2 items, so nothing was changed: item 1 has annotations",
    )
    assert (empty.status_code, "tick the items to act on" in empty.text) == (422, True)
    assert rows(site.get("/projects/shop/items?status=in_progress", headers=HX).text) == [1, 2, 3]
    assert 4 in rows(site.get("/projects/shop/items", headers=HX).text)


def test_actions_need_the_form_token_and_the_manage_right(site: Site) -> None:
    """Without the session's token: refused (403); the reviewer and acme's manager: 403."""
    forged = site.clients["boss"].post(
        "/projects/shop/items/actions", data={"action": "delete", "ids": ["4"], "query": ""}
    )
    statuses = {
        who: site.post(
            "/projects/shop/items/actions",
            {"action": "delete", "ids": ["4"], "query": ""},
            who=who,
        ).status_code
        for who in ("reviewer", "lead")
    }
    assert (forged.status_code, statuses) == (403, {"reviewer": 403, "lead": 403})
    assert 4 in rows(site.get("/projects/shop/items", headers=HX).text)


def test_hostile_metadata_keys_and_values_render_as_text(site: Site) -> None:
    """The hostile key is offered as a filter, escaped in its label and input name; its
    value, filtered on, comes back escaped in the input and the URL encoded."""
    url = "/projects/shop/items?" + urlencode({f"meta.{HOSTILE_KEY}": HOSTILE_VALUE})
    whole = site.get(url)
    partial = site.get(url, headers=HX)
    assert (whole.status_code, rows(whole.text)) == (200, [13])
    for raw in ("<script>alert(1)", "<img src=x"):
        assert raw not in whole.text and raw not in partial.text
    assert f'name="meta.{escape(HOSTILE_KEY)}" value="{escape(HOSTILE_VALUE)}"' in whole.text
    assert "%3Cscript%3E" in partial.headers["HX-Push-Url"]
