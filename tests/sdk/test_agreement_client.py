"""The SDK's ``agreement`` against the real app, in-process: the report as the service
gives it, the field, period and vendor filters, and the errors it raises; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services import agreement
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = {
    "name": "reviews",
    "description": "Sentiment of reviews",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]},
        {"name": "stars", "kind": "rating", "min": 1, "max": 3},
    ],
    "overlap": 2,
}


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[dict[str, Client]]:
    """Project 'reviews' (five items, each labelled by an acme and a globex annotator),
    an admin, an in-house manager and an acme manager."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:

        def client(email: str, role: str, vendor: str | None = None) -> Client:
            projects = None if role == "admin" else ["reviews"]
            made = add_user(db, email, role=role, projects=projects, vendor=vendor, with_token=True)
            assert made.token is not None
            return Client.from_httpx(http, made.token)

        admin = client("root@example.com", "admin")
        admin.apply_spec(SPEC)
        admin.import_items("reviews", [{"text": f"review {i}"} for i in range(5)])
        people = {
            "admin": admin,
            "manager": client("boss@example.com", "manager"),
            "acme_lead": client("lead@acme.example", "manager", "acme"),
        }
        annotators = [
            client("ann1@acme.example", "annotator", "acme"),
            client("ann2@globex.example", "annotator", "globex"),
        ]
        for n, who in enumerate(annotators):
            for k in range(5):
                task = who.next_task("reviews")
                assert task is not None
                label = "neg" if n == 1 and k == 2 else ("pos", "neg")[k % 2]
                who.submit(task.assignment_id, {"sentiment": label, "stars": 1 + (k + n) % 3})
        yield people


def test_agreement_is_the_services_report(db: Database, clients: dict[str, Client]) -> None:
    """The manager's report equals the service's; ``field="stars"`` keeps the stars field."""
    whole = clients["manager"].agreement("reviews")
    stars = clients["manager"].agreement("reviews", field="stars")
    expected = agreement.project_agreement(db, "reviews").to_dict()
    assert whole == expected
    assert stars == {**expected, "fields": {"stars": expected["fields"]["stars"]}}
    assert (whole["fields"]["stars"]["level"], whole["fields"]["sentiment"]["items"]) == (
        "ordinal",
        5,
    )


def test_period_and_vendor_reach_the_service(db: Database, clients: dict[str, Client]) -> None:
    """``since``/``until`` (datetimes or text) and ``vendor`` give the service's report with
    those filters; a vendor's manager gets their own vendor's report."""
    since = datetime(2000, 1, 1)
    until = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    got = clients["manager"].agreement("reviews", since=since, until=until.isoformat())
    acme = clients["manager"].agreement("reviews", vendor="acme")
    walled = clients["acme_lead"].agreement("reviews")
    expected = agreement.project_agreement(db, "reviews", since=since, until=until)
    assert got == expected.to_dict()
    assert acme == walled == agreement.project_agreement(db, "reviews", vendor="acme").to_dict()
    assert (acme["filters"]["vendor"], acme["fields"]["sentiment"]["items"]) == ("acme", 0)


def test_agreement_raises_the_servers_errors(clients: dict[str, Client]) -> None:
    """An unknown field or vendor, or a bad date, raises InvalidInput, a vendor-walled
    manager asking for another vendor PermissionDenied, a missing project NotFound."""
    with pytest.raises(E.InvalidInput) as unknown:
        clients["manager"].agreement("reviews", field="mood")
    with pytest.raises(E.InvalidInput) as vendor:
        clients["manager"].agreement("reviews", vendor="initech")
    with pytest.raises(E.InvalidInput):
        clients["manager"].agreement("reviews", since="yesterday")
    with pytest.raises(E.PermissionDenied):
        clients["acme_lead"].agreement("reviews", vendor="globex")
    with pytest.raises(E.NotFound):
        clients["admin"].agreement("nope")
    assert unknown.value.message == "unknown field 'mood' (fields: 'sentiment', 'stars')"
    assert vendor.value.message == "unknown vendor 'initech'"
