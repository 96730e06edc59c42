"""The Data page's dataset-format menu: only the formats the project's field kinds allow,
each with a final-labels and an every-annotation download that the session may follow; on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, api_client, fast_passwords, log_in
from tests.services.dataset_world import ITEM1, ITEM2, TEXTS, seed
from tests.services.test_dataset_exports import ACME_ITEM1, parse_conll

from labelworks.domain.spec import spec_from_dict
from labelworks.services import projects as project_service
from labelworks.services.auth import set_password
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

LINK = re.compile(r'href="(/api/v1/projects/[^"]+/exports/[^"]+)"')


@pytest.fixture
def browser(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The news world and a choice-only project 'topics'; an admin and acme's manager
    have passwords."""
    fast_passwords(monkeypatch)
    seed(db)
    add_user(db, "admin@example.com", role="admin")
    for email in ("admin@example.com", "boss@acme.example"):
        set_password(db, email, PASSWORD)
    topics = {"name": "topics", "fields": [{"name": "t", "kind": "choice", "labels": ["a"]}]}
    project_service.apply_spec(db, spec_from_dict(topics), guidelines=None)
    with api_client(db, tmp_path) as client:
        yield client


def test_the_menu_lists_the_formats_the_fields_allow(browser: TestClient) -> None:
    """A spans project offers CoNLL, DocBin, datasets and Label Studio (no box format); a
    choice-only project datasets and Label Studio only."""
    log_in(browser, "admin@example.com")
    news = browser.get("/projects/news/settings/data")
    topics = browser.get("/projects/topics/settings/data")
    assert (news.status_code, LINK.findall(news.text), LINK.findall(topics.text)) == (
        200,
        [
            f"/api/v1/projects/news/exports/{fmt}?labels={labels}"
            for fmt in ("conll", "docbin", "hf", "labelstudio")
            for labels in ("final", "all")
        ],
        [
            f"/api/v1/projects/topics/exports/{fmt}?labels={labels}"
            for fmt in ("hf", "labelstudio")
            for labels in ("final", "all")
        ],
    )
    assert "CoNLL-2003 BIO tags (spans fields)" in news.text


def test_a_menu_link_downloads_with_the_sessions_access(browser: TestClient) -> None:
    """acme's manager follows the CoNLL every-annotation link and gets acme's work only."""
    log_in(browser, "boss@acme.example")
    page = browser.get("/projects/news/settings/data")
    link = next(url for url in LINK.findall(page.text) if "conll?labels=all" in url)
    download = browser.get(link)
    assert (download.status_code, parse_conll(download.text, TEXTS[:2])) == (
        200,
        [ACME_ITEM1, ITEM2],
    )
    assert ITEM1 != ACME_ITEM1
