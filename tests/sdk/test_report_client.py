"""The weekly report over the SDK, in-process on every database: this week's six
annotations by vendor as data, the same report as one HTML file and as Markdown, the
page with its charts drawn on the server, and refusals (an annotator, a bad week)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.sdk.test_quality_client import World

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.server.app import create_app
from labelworks.storage.engine import Database


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[tuple[World, TestClient]]:
    """The SDK tests' world: six annotations today, three from acme and three from globex."""
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield World(db, http), http


def test_the_report_as_data_html_and_markdown(world: tuple[World, TestClient]) -> None:
    """The manager's report counts the six annotations by vendor; acme's manager sees
    acme's three; the HTML file has its charts inline; an annotator and a malformed week
    are refused."""
    w, _ = world
    found = w.manager.report("reviews")
    walled = w.vendor_lead.report("reviews")
    html = w.manager.report_file("reviews", format="html")
    markdown = w.manager.report_file("reviews", format="md")
    with pytest.raises(E.PermissionDenied):
        w.ann1.report("reviews")
    with pytest.raises(E.InvalidInput) as bad:
        w.manager.report("reviews", period="2026-48")
    assert (
        found.progress["period_annotations"],
        found.progress["by_vendor"],
        walled.progress["by_vendor"],
        found.quality["alpha"]["field"],
        html.startswith("<!doctype html>"),
        html.count("<svg") >= 1,
        markdown.startswith(f"# reviews — weekly report {found.period.week}"),
        str(bad.value),
    ) == (
        6,
        [{"vendor": "acme", "annotations": 3}, {"vendor": "globex", "annotations": 3}],
        [{"vendor": "acme", "annotations": 3}],
        "sentiment",
        True,
        True,
        True,
        "field 'period': '2026-48' is not an ISO week such as 2026-W48",
    )
