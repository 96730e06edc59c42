"""``Client.export_dataset`` against the real app, in-process: a file format written as a
file, a directory format unpacked into a folder datasets loads, a vendor manager's export
holding their vendor's annotations, and refusals as the domain's error classes, leaving
nothing behind; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets
import pytest
from fastapi.testclient import TestClient
from tests.services.dataset_world import ITEM1, ITEM2, TEXTS, seed
from tests.services.test_dataset_exports import ACME_ITEM1, parse_conll

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[dict[str, Client]]:
    """An admin's, acme's manager's and an annotator's clients on the news world."""
    tokens: dict[str, str] = {}
    seed(db, tokens)
    admin = add_user(db, "admin@example.com", role="admin", with_token=True).token
    assert admin is not None
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield {
            "admin": Client.from_httpx(http, admin),
            "boss": Client.from_httpx(http, tokens["boss@acme.example"]),
            "ann": Client.from_httpx(http, tokens["ann0@example.com"]),
        }


def test_files_and_folders(clients: dict[str, Client], tmp_path: Path) -> None:
    """CoNLL arrives as a file with the final spans, hf as a folder datasets loads, and
    acme's manager's CoNLL with labels=all holds acme's annotations only."""
    out = tmp_path / "out"
    out.mkdir()
    conll = clients["admin"].export_dataset("news", "conll", out / "news.conll")
    folder = clients["admin"].export_dataset("news", "hf", out / "news-hf", labels="all")
    walled = clients["boss"].export_dataset("news", "conll", out / "acme.conll", labels="all")
    rows = datasets.load_from_disk(str(folder)).to_list()
    assert (
        parse_conll(conll.read_text(encoding="utf-8"), TEXTS[:2]),
        [r["id"] for r in rows],
        parse_conll(walled.read_text(encoding="utf-8"), TEXTS[:2]),
        sorted(p.name for p in out.iterdir()),
    ) == (
        [ITEM1, ITEM2],
        [1, 1, 1, 2, 2, 2, 3],
        [ACME_ITEM1, ITEM2],
        ["acme.conll", "news-hf", "news.conll"],
    )


def test_refusals_raise_the_domains_errors_and_leave_nothing(
    clients: dict[str, Client], tmp_path: Path
) -> None:
    """An annotator is refused (PermissionDenied), a non-empty folder and a project
    without boxes (InvalidInput, naming the field kind); nothing is written."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "full").mkdir()
    (out / "full" / "keep.txt").write_text("mine")
    with pytest.raises(E.PermissionDenied):
        clients["ann"].export_dataset("news", "conll", out / "a.conll")
    with pytest.raises(E.InvalidInput) as coco:
        clients["admin"].export_dataset("news", "coco", out / "c.json")
    with pytest.raises(E.InvalidInput) as full:
        clients["admin"].export_dataset("news", "hf", out / "full")
    assert (str(coco.value), str(full.value), sorted(p.name for p in out.rglob("*"))) == (
        "the coco format needs a boxes field; project 'news' has only choice, spans fields",
        f"{out / 'full'} exists and is not an empty directory; the hf format writes a "
        "directory: give a new path",
        ["full", "keep.txt"],
    )
