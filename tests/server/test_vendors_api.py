"""``/api/v1/vendors`` over HTTP: scorecards, terms (read, set by admins, bad bodies
refused whole), statements as JSON and CSV, comparisons, and vendor walls (another
vendor is a 404, reviewers a 403)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.vendor_world import World, build

from labelworks.config import Settings
from labelworks.server.app import create_app
from labelworks.services.users import add_user, issue_token
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database) -> World:
    found = build(db)
    add_user(db, "root@inhouse.example", role="admin")
    return found


@pytest.fixture
def http(db: Database, tmp_path: Path, world: World) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as client:
        yield client


def _as(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(db, email, 'test')}"}


def test_scorecards_and_terms(db: Database, http: TestClient) -> None:
    """A manager outside vendors sees both vendors' headline figures; amounts are decimal
    strings beside their currency."""
    lead = _as(db, "lead@inhouse.example")
    listed = http.get("/api/v1/vendors", headers=lead)
    assert listed.status_code == 200
    cards = {c["vendor"]: c for c in listed.json()["cards"]}
    acme = cards["acme"]
    assert (
        listed.json()["period"],
        sorted(cards),
        acme["delivered"],
        acme["cost"]["amount"],
        acme["cost"]["per_accepted"],
        acme["accuracy"]["hits"],
        acme["lease"]["p50"],
        acme["sla"],
        [b["target"] for b in acme["breaches"]],
    ) == (
        "all time",
        ["acme", "beta"],
        5,
        {"amount": "1.25", "currency": "USD"},
        {"amount": "0.25", "currency": "USD"},
        1,
        0.5,
        "breached",
        ["lease_to_submit", "quality_floor"],
    )
    one = http.get("/api/v1/vendors/beta?period=2026-03", headers=lead).json()
    assert (one["vendor"], one["period"], one["cost"]["amount"]) == (
        "beta",
        "2026-03",
        {"amount": "0.20", "currency": "EUR"},
    )
    terms = http.get("/api/v1/vendors/acme/terms", headers=lead).json()
    assert (terms["vendor"], terms["terms"]["per_annotation"], terms["terms"]["per_hour"]) == (
        "acme",
        {"choice": 0.05},
        12.0,
    )


def test_admins_set_terms_and_bad_bodies_change_nothing(db: Database, http: TestClient) -> None:
    """An admin replaces beta's terms; a manager is refused; a NaN, an unknown kind or a
    bad currency is a 422 naming the field, and the terms stay as they were."""
    root, lead = _as(db, "root@inhouse.example"), _as(db, "lead@inhouse.example")
    body = {"currency": "USD", "per_annotation": {"choice": 0.03, "spans": 0.1}, "per_hour": 9}
    saved = http.put("/api/v1/vendors/beta/terms", json=body, headers=root)
    assert (saved.status_code, saved.json()["terms"]["per_annotation"]) == (
        200,
        {"choice": 0.03, "spans": 0.1},
    )
    refused = http.put("/api/v1/vendors/beta/terms", json=body, headers=lead)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    for raw, field in (
        ('{"currency": "USD", "per_hour": NaN}', None),
        ('{"currency": "USD", "per_annotation": {"box": 1}}', "per_annotation"),
        ('{"currency": "usd"}', "currency"),
        ('{"currency": "USD", "per_annotation": {"choice": -1}}', "per_annotation.choice"),
    ):
        bad = http.put(
            "/api/v1/vendors/beta/terms",
            content=raw,
            headers={**root, "Content-Type": "application/json"},
        )
        assert bad.status_code == 422, raw
        if field is not None:
            assert bad.json()["location"]["field"] == field, raw
    after = http.get("/api/v1/vendors/beta/terms", headers=root).json()["terms"]
    assert (after["currency"], after["per_annotation"], after["per_hour"]) == (
        "USD",
        {"choice": 0.03, "spans": 0.1},
        9.0,
    )


def test_statement_json_and_csv(db: Database, http: TestClient) -> None:
    """March's statement: five lines at 0.25, total 1.2500 USD; as CSV, a header and a row
    per annotation; a period is required and checked."""
    lead = _as(db, "lead@inhouse.example")
    found = http.get("/api/v1/vendors/acme/statement?period=2026-03", headers=lead).json()
    assert (found["total"], found["billed"], [x["amount"] for x in found["lines"]]) == (
        {"amount": "1.2500", "currency": "USD"},
        5,
        ["0.2500"] * 5,
    )
    csv = http.get("/api/v1/vendors/acme/statement?period=2026-03&format=csv", headers=lead)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.headers["content-disposition"] == 'attachment; filename="acme-2026-03.csv"'
    lines = csv.text.splitlines()
    assert (
        len(lines),
        lines[0].split(",")[0],
        lines[1].endswith(",billed,60.0,0.05,0.2500,USD"),
    ) == (
        6,
        "annotation_id",
        True,
    )
    missing = http.get("/api/v1/vendors/acme/statement", headers=lead)
    wrong = http.get("/api/v1/vendors/acme/statement?period=March", headers=lead)
    assert (missing.status_code, wrong.status_code, wrong.json()["location"]["field"]) == (
        422,
        422,
        "period",
    )


def test_compare_on_gold(db: Database, http: TestClient, world: World) -> None:
    """acme against beta on the project's gold: 1/2 against 2/2, independent samples (two
    shared items are too few to pair), no clear difference."""
    lead = _as(db, "lead@inhouse.example")
    found = http.get(
        f"/api/v1/vendors/acme/compare/beta?project={world.project}", headers=lead
    ).json()
    assert (found["shared"], found["difference"]["design"], found["difference"]["estimate"]) == (
        2,
        "independent",
        -0.5,
    )
    assert found["reading"].startswith("No clear difference")


def test_vendor_walls_over_http(db: Database, http: TestClient, world: World) -> None:
    """acme's manager lists acme only and finds no beta anywhere; a reviewer reads no
    vendor figures; an unknown vendor is a 404."""
    boss, reviewer = _as(db, "boss@acme.example"), _as(db, "rev@inhouse.example")
    listed = http.get("/api/v1/vendors", headers=boss).json()
    assert [c["vendor"] for c in listed["cards"]] == ["acme"]
    for url in (
        "/api/v1/vendors/beta",
        "/api/v1/vendors/beta/terms",
        "/api/v1/vendors/beta/statement?period=2026-03",
        f"/api/v1/vendors/acme/compare/beta?project={world.project}",
        "/api/v1/vendors/internal",
        "/api/v1/vendors/gamma",
    ):
        answer = http.get(url, headers=boss)
        assert (answer.status_code, json.loads(answer.text)["code"]) == (404, "not_found"), url
    put = http.put("/api/v1/vendors/beta/terms", json={"currency": "USD"}, headers=boss)
    assert put.status_code == 404
    assert http.get("/api/v1/vendors", headers=reviewer).status_code == 403
    assert http.get("/api/v1/vendors").status_code == 401
