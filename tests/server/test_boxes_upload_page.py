"""Settings → Data's boxes upload (COCO, YOLO, VOC): the card shows for projects with a boxes
field and managers only; a COCO file imports every image as an item with its boxes as
pre-annotations; a bad or hostile file is refused with its reason and imports nothing; the
upload needs the CSRF header and the manage right; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import make_project
from tests.services.test_dataset_imports import COCO_DOC, SPEC

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import projects as project_service
from labelworks.services.auth import set_password
from labelworks.services.exports import count_for_export
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

UPLOAD = "/projects/shots/settings/data/boxes"
EEL = {"id": 2, "name": "eel"}
PEOPLE = {"manager": "boss@example.com", "reviewer": "rev@example.com"}


@dataclass
class Site:
    app: Any
    db: Database

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who], PASSWORD)
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'shots' (a boxes field, labels cat and dog), 'sentiment' (text only), and a
    manager and a reviewer of both."""
    fast_passwords(monkeypatch)
    project_service.apply_spec(db, spec_from_dict(SPEC), guidelines="# Boxes")
    make_project(db)
    for role, email in PEOPLE.items():
        add_user(db, email, role=role, projects=["shots", "sentiment"])
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db)


def _send(client: TestClient, csrf: str, body: bytes, name: str = "instances.json") -> Any:
    return client.post(
        f"{UPLOAD}?file={name}&format=coco&as=pre",
        content=body,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/octet-stream"},
    )


def _text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">(.*?)</', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def test_the_card_shows_where_boxes_can_go(site: Site) -> None:
    """Managers see the card on a boxes project only; reviewers never."""
    manager, _ = site.session("manager")
    reviewer, _ = site.session("reviewer")
    seen = {
        (who, project): 'data-testid="boxes-import"'
        in client.get(f"/projects/{project}/settings/data").text
        for who, client in (("manager", manager), ("reviewer", reviewer))
        for project in ("shots", "sentiment")
    }
    assert seen == {
        ("manager", "shots"): True,
        ("manager", "sentiment"): False,
        ("reviewer", "shots"): False,
        ("reviewer", "sentiment"): False,
    }


def test_a_coco_file_imports_its_images_with_their_boxes(site: Site) -> None:
    """Two images, three boxes: two items with pre-annotations; the fragment says so."""
    manager, csrf = site.session("manager")
    answer = _send(manager, csrf, json.dumps(COCO_DOC).encode())
    assert (answer.status_code, _text(answer.text, "import-inserted")) == (200, "2")
    assert count_for_export(site.db, "shots") == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            json.dumps(
                {**COCO_DOC, "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "eel"}]}
            ),
            "eel",
        ),
        (b'{"images": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "instances.json"),
        (b'{"images": [{"id": 1, "file_name": "\xff\xfe"}]}', "instances.json"),
        (b'{"images": [{"id": NaN}]}', "instances.json"),
    ],
    ids=["unknown category", "deep", "bad UTF-8", "NaN"],
)
def test_a_bad_file_is_refused_and_imports_nothing(
    site: Site, body: bytes | str, reason: str
) -> None:
    """The fragment names the file or the field; no item is added; never a server error."""
    manager, csrf = site.session("manager")
    raw = body.encode() if isinstance(body, str) else body
    answer = _send(manager, csrf, raw)
    assert (answer.status_code // 100, reason in answer.text) == (4, True)
    assert count_for_export(site.db, "shots") == 0


def test_the_upload_needs_csrf_and_the_manage_right(site: Site) -> None:
    """Without the header, or as a reviewer: 403, and nothing is imported."""
    manager, _ = site.session("manager")
    reviewer, reviewer_csrf = site.session("reviewer")
    body = json.dumps(COCO_DOC).encode()
    no_header = manager.post(f"{UPLOAD}?file=a.json&format=coco", content=body)
    as_reviewer = _send(reviewer, reviewer_csrf, body)
    assert (no_header.status_code, as_reviewer.status_code) == (403, 403)
    assert count_for_export(site.db, "shots") == 0
