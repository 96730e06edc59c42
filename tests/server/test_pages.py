"""The manager pages (project counts, items table partial with filters and paging, item page,
settings tokens), the security headers on every page, and hostile item content rendered only
as escaped text; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.server.security import CONTENT_SECURITY_POLICY
from labelworks.services import activity, agreement, assignment, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
JS_URL = "javascript:alert(3)"
SVG = "<svg onload=alert(4)>"
HOSTILE = f"{SCRIPT} {IMG} {SVG} {JS_URL}"
SPEC: dict[str, Any] = {
    "name": "shop",
    "description": f"reviews {SCRIPT}",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 2,
}
GUIDELINES = f"# Rules\n\n{SCRIPT}\n\n[click]({JS_URL}) {IMG}\n"
N_ITEMS = 55  # more than one page of the table (50 rows)


@dataclass
class Site:
    client: TestClient
    item_ids: list[int]
    tokens: dict[str, str]

    def get(self, url: str, who: str = "manager", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, follow_redirects=False, **kwargs)


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[Site]:
    """Project 'shop': 55 items (the last one hostile), two labelled by two annotators."""
    apply_spec(db, spec_from_dict(SPEC), guidelines=GUIDELINES)
    rows: list[dict[str, Any]] = [
        {"external_id": f"e{i}", "payload": {"text": f"plain review {i}"}} for i in range(54)
    ]
    rows.append(
        {
            "external_id": f"x{SCRIPT}",
            "payload": {"text": HOSTILE, "link": JS_URL},
            "metadata": {"origin": IMG},
            "pre_annotations": [{"model": SCRIPT, "value": {"sentiment": "pos", "note": HOSTILE}}],
        }
    )
    ingestion.import_items(db, "shop", jsonl(rows), format="jsonl", source="items.jsonl")
    tokens, ids = {}, {}
    for key, role in (("manager", "manager"), ("ann1", "annotator"), ("ann2", "annotator")):
        made = add_user(db, f"{key}@example.com", role=role, projects=["shop"], with_token=True)
        assert made.token is not None
        tokens[key], ids[key] = made.token, made.user.id
    labelled = []
    for key, sentiment in (("ann1", "pos"), ("ann2", "neg")):
        for n in range(2):
            task = assignment.next_task_for(db, "shop", ids[key])
            assert task is not None
            assignment.submit_annotation(
                db,
                task.assignment_id,
                ids[key],
                value={"sentiment": sentiment, "note": f"{key} says {HOSTILE}"},
                seconds=2.0,
                idempotency_key=f"{key}{n}",
            )
            labelled.append(task.item_id)
    assert sorted(set(labelled)) == labelled[:2]  # both annotators labelled the same two
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as client:
        yield Site(client, sorted(set(labelled)), tokens)


def _rows(table_html: str) -> list[tuple[str, str, str]]:
    """(id, status, annotation count) of each row of the items table (after the tick box
    managers get)."""
    return re.findall(
        r'<tr>(?:<td><input [^>]*></td>)?<td><a href="/projects/shop/items/(\d+)">\d+</a></td>'
        r"<td>[^<]*</td><td>(\w+)</td><td>(\d+)</td>",
        table_html,
    )


def test_project_tabs_split_the_old_page(site: Site) -> None:
    """The Overview has the counts and the charts' data; People the per-person table with
    annotations and the median time per item; Items the first 50 rows; Settings the spec and
    guideline history."""
    overview = site.get("/projects/shop")
    people_tab = site.get("/projects/shop/people")
    items_tab = site.get("/projects/shop/items")
    settings_tab = site.get("/projects/shop/settings")
    counts = re.findall(r'<div class="card stat"><b>([\d.%]+)</b>([^<]*)</div>', overview.text)
    people = re.findall(
        r'data-testid="person-link">([^<]+@example\.com)</a>.*?</td>\s*<td class="num">(\d+)</td>'
        r'\s*<td class="num">.*?</td>\s*<td class="num">([^<]+)</td>',
        people_tab.text,
        re.S,
    )
    tabs = re.findall(r'data-testid="tab-(\w+)"', overview.text)
    assert (overview.status_code, tabs, counts) == (
        200,
        [
            "overview",
            "items",
            "quality",
            "model",
            "evaluation",
            "people",
            "capacity",
            "jobs",
            "settings",
        ],
        [
            ("3.6%", "complete: 2 of 55 items"),
            ("4", "annotations, of 110 needed"),
            ("4", "annotations in the last 7 days"),
            ("0", "working now"),
        ],
    )
    assert people == [("ann1@example.com", "2", "2.0"), ("ann2@example.com", "2", "2.0")]
    rows = _rows(items_tab.text)
    assert (len(rows), rows[:3], "<html" in items_tab.text) == (
        50,
        [
            (str(site.item_ids[0]), "complete", "2"),
            (str(site.item_ids[1]), "complete", "2"),
            (str(site.item_ids[1] + 1), "new", "0"),
        ],
        True,
    )
    assert "revision 1" in settings_tab.text and "v1 · " in settings_tab.text


def test_item_page_lists_every_annotation_escaped(site: Site) -> None:
    """An item page puts both annotators' answers side by side with their notes escaped:
    the raw HTML holds entities, and unescaping it gives back exactly the characters
    submitted; the answer that differs from the first given is marked."""
    page = site.get(f"/projects/shop/items/{site.item_ids[0]}")
    table = page.text.split('data-testid="annotations"', 1)[1].split("<tfoot>", 1)[0]
    who = re.findall(r'<th scope="col">(?:<span[^>]*></span>)?([^<]+@example.com)', table)
    rows = {
        name: [
            (cls, html.unescape(v)) for cls, v in re.findall(r'<td class="(\w+)">(.*?)</td>', row)
        ]
        for name, row in re.findall(r'<th scope="row">(\w+)</th>(.*?)</tr>', table, re.S)
    }
    says = "says <script>alert(1)</script> <img src=x onerror=alert(2)> <svg onload=alert(4)> "
    assert (page.status_code, who, rows) == (
        200,
        ["ann1@example.com", "ann2@example.com"],
        {
            "sentiment": [("same", "pos"), ("off", "neg")],
            "note": [
                ("same", f"ann1 {says}javascript:alert(3)"),
                ("off", f"ann2 {says}javascript:alert(3)"),
            ],
        },
    )


def _hostile_markup(body: str) -> list[str]:
    """Live markup an attacker's content would have produced, if any got through."""
    patterns = {
        "script tag": r"<script>alert",
        "event handler": r"<[a-z]+[^>]*\son(error|load)\s*=",
        "javascript url": r"""(href|src|action)\s*=\s*["']?\s*javascript:""",
    }
    return [name for name, pattern in patterns.items() if re.search(pattern, body, re.I)]


def test_hostile_content_is_only_ever_escaped(site: Site) -> None:
    """Script, event-handler, SVG and javascript: payloads in items, metadata,
    pre-annotations, annotations, descriptions and guidelines render as text on every page."""
    hostile_id = max(int(r[0]) for r in _rows(site.get("/projects/shop/items?q=alert").text))
    pages = {
        "index": site.get("/"),
        "project": site.get("/projects/shop"),
        "items": site.get("/projects/shop/items?q=alert"),
        "hostile item": site.get(f"/projects/shop/items/{hostile_id}"),
        "labelled item": site.get(f"/projects/shop/items/{site.item_ids[0]}"),
        "label page": site.get("/projects/shop/label", who="ann1"),
    }
    assert {k: (p.status_code, _hostile_markup(p.text)) for k, p in pages.items()} == {
        k: (200, []) for k in pages
    }
    escaped = html.escape(SCRIPT, quote=False)
    assert (
        escaped in pages["items"].text,
        escaped in pages["index"].text,
        escaped in pages["hostile item"].text,
        "&lt;script&gt;" in pages["label page"].text,
    ) == (True, True, True, True)


def test_every_page_carries_the_security_headers(site: Site) -> None:
    """Pages, partials, error pages and the login page all send the CSP and friends."""
    urls = {
        "/login": None,
        "/": "manager",
        "/settings": "manager",
        "/projects/shop": "manager",
        "/projects/shop/items": "manager",
        f"/projects/shop/items/{site.item_ids[0]}": "manager",
        "/projects/shop/label": "ann1",
        "/projects/nope": "manager",
        "/projects/shop/items/999999": "manager",
    }
    headers = {}
    for url, who in urls.items():
        r = site.client.get(url) if who is None else site.get(url, who=who)
        headers[url] = (
            r.status_code,
            r.headers.get("content-security-policy"),
            r.headers.get("x-frame-options"),
            r.headers.get("x-content-type-options"),
        )
    ok = (CONTENT_SECURITY_POLICY, "DENY", "nosniff")
    assert headers == {
        url: ((404,) if "nope" in url or "999999" in url else (200,)) + ok for url in urls
    }


def test_settings_page_creates_a_token(site: Site) -> None:
    """A token created on the settings page is shown once and then authenticates."""
    page = site.get("/settings")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    made = site.client.post(
        "/settings/tokens",
        data={"label": "laptop", "csrf_token": csrf.group(1)},
        headers={"Authorization": f"Bearer {site.tokens['manager']}"},
    )
    token = re.search(r'<code data-testid="new-token">([^<]+)</code>', made.text)
    assert (made.status_code, token is not None) == (200, True)
    assert token is not None
    me = site.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert (me.status_code, me.json()["email"]) == (200, "manager@example.com")


def test_every_page_links_the_favicon_it_serves(site: Site) -> None:
    """The project page names the SVG favicon, and the app serves it as SVG."""
    page = site.get("/projects/shop").text
    icon = site.client.get("/static/favicon.svg")
    assert (
        bool(re.search(r'rel="icon" type="image/svg\+xml" href="[^"]*/static/favicon\.svg"', page)),
        icon.status_code,
        icon.headers["content-type"].split(";")[0],
    ) == (True, 200, "image/svg+xml")


def test_the_project_list_shows_open_work_the_week_and_kept_agreement(
    site: Site, db: Database
) -> None:
    """Each project's open items and last 7 days; its alpha once a report is kept (before
    that, a link to measure it)."""

    def cells() -> tuple[str, ...]:
        page = site.get("/").text
        row = page.split('data-project="shop"', 1)[1].split("</tr>", 1)[0]
        return tuple(
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r'data-testid="(?:open|last-week|alpha)">(.*?)</td>', row, re.S)
        )

    before = cells()
    report = agreement.project_agreement(db, "shop")
    alpha = report.fields[0].coefficients["krippendorff_alpha"].value
    assert alpha is not None
    assert (before, cells()) == (
        ("53 items", "4 annotations", "measure"),
        ("53 items", "4 annotations", f"α {alpha:.2f}"),
    )


def test_a_big_overview_answers_at_once_and_reloads_when_counted(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the inline threshold the Overview answers without its charts and polls; the
    poll says 204 until the background count is kept, then asks htmx to reload; the page
    then has its three charts."""
    jobs: list[Any] = []
    monkeypatch.setattr(activity, "INLINE_UP_TO", 0)
    monkeypatch.setattr(activity, "_cache", {})
    monkeypatch.setattr(activity, "runner", jobs.append)
    first = site.get("/projects/shop").text
    waiting = site.get("/projects/shop/overview/ready").status_code
    for job in jobs:
        job()
    ready = site.get("/projects/shop/overview/ready")
    counted = site.get("/projects/shop").text
    assert (
        'data-testid="overview-counting"' in first,
        'data-chart="chart-burn-up"' in first,
        len(jobs),
        waiting,
        (ready.status_code, ready.headers.get("hx-refresh")),
        'data-testid="overview-counting"' in counted,
        re.findall(r'data-chart="(chart-[\w-]+)"', counted),
    ) == (
        True,
        False,
        1,
        204,
        (200, "true"),
        False,
        ["chart-burn-up", "chart-throughput", "chart-labels"],
    )
