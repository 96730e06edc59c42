"""The SDK's vendor methods against the real app, in-process: scorecards, terms, the
statement (JSON with decimal amounts, and CSV), the comparison, and refusals as the
domain's error classes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.vendor_world import World, build

from labelworks.config import Settings
from labelworks.domain.errors import InvalidInput, NotFound, PermissionDenied
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user, issue_token
from labelworks.storage.engine import Database


@pytest.fixture
def http(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as client:
        yield client


def _client(db: Database, http: TestClient, email: str) -> Client:
    return Client.from_httpx(http, issue_token(db, email, "sdk"))


def test_vendor_methods(db: Database, http: TestClient) -> None:
    """Scorecards, one vendor, terms set by an admin and read back, March's statement with
    Decimal amounts and as CSV, and the comparison on gold."""
    world: World = build(db)
    add_user(db, "root@inhouse.example", role="admin")
    lead = _client(db, http, "lead@inhouse.example")
    root = _client(db, http, "root@inhouse.example")
    cards = lead.vendors()["cards"]
    assert [(c["vendor"], c["delivered"], c["cost"]["amount"]) for c in cards] == [
        ("acme", 5, {"amount": Decimal("1.25"), "currency": "USD"}),
        ("beta", 5, {"amount": Decimal("0.20"), "currency": "EUR"}),
    ]
    acme = lead.vendor("acme", period="2026-W10")
    assert (acme["period"], acme["lease"]["p90"], acme["final"]["p50"]) == (
        "2026-W10",
        50 / 60,
        29.0,
    )
    saved = root.set_vendor_terms(
        "beta",
        "EUR",
        per_annotation={"choice": 0.06},
        sla={"weekly_volume": 100},
        contact="beta ops",
    )
    assert saved["terms"] == lead.vendor_terms("beta")["terms"]
    assert (saved["terms"]["sla"]["weekly_volume"], saved["terms"]["contact"]) == (100, "beta ops")
    statement = lead.vendor_statement("beta", "2026-03")
    assert (statement["total"], statement["currency"], len(statement["lines"])) == (
        {"amount": Decimal("0.30"), "currency": "EUR"},
        "EUR",
        5,
    )
    csv = lead.vendor_statement_csv("beta", "2026-03").splitlines()
    assert (len(csv), csv[1].split(",")[-3:]) == (6, ["0.06", "0.0600", "EUR"])
    compared = lead.compare_vendors("beta", "acme", world.project)
    assert (compared["a"], compared["difference"]["estimate"]) == ("beta", 0.5)


def test_refusals_are_domain_errors(db: Database, http: TestClient) -> None:
    """A vendor's manager cannot find another vendor, cannot set terms, a reviewer cannot
    read vendors, and bad terms are InvalidInput."""
    build(db)
    add_user(db, "root@inhouse.example", role="admin")
    boss = _client(db, http, "boss@acme.example")
    with pytest.raises(NotFound):
        boss.vendor("beta")
    with pytest.raises(PermissionDenied):
        boss.set_vendor_terms("acme", "USD")
    with pytest.raises(PermissionDenied):
        _client(db, http, "rev@inhouse.example").vendors()
    with pytest.raises(InvalidInput, match="unknown field kind"):
        _client(db, http, "root@inhouse.example").set_vendor_terms(
            "acme", "USD", per_annotation={"polygons": 1.0}
        )
