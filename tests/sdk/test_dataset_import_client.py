"""The SDK's dataset import against the real app, in-process: a COCO file as predictions, a
VOC folder (zipped by the client) as an annotator's annotations, a bad source refused as
``InvalidImport`` naming the file inside the archive, and an annotator refused the route;
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = {
    "name": "shots",
    "fields": [{"name": "objects", "kind": "boxes", "labels": ["cat", "dog"]}],
    "overlap": 1,
}
COCO_DOC = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 80}],
    "categories": [{"id": 1, "name": "dog"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 40]}],
}
VOC = (
    "<annotation><filename>b.jpg</filename><size><width>50</width><height>40</height></size>"
    "<object><name>cat</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>{xmax}</xmax>"
    "<ymax>10</ymax></bndbox></object></annotation>"
)


@pytest.fixture
def admin(db: Database, tmp_path: Path) -> Iterator[tuple[Client, Client]]:
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        made = add_user(db, "root@example.com", role="admin", with_token=True)
        assert made.token is not None
        client = Client.from_httpx(http, made.token)
        client.apply_spec(SPEC)
        ann = add_user(db, "ann@example.com", role="annotator", projects=["shots"], with_token=True)
        assert ann.token is not None
        yield client, Client.from_httpx(http, ann.token)


def test_coco_and_voc_import_through_the_api(admin: tuple[Client, Client], tmp_path: Path) -> None:
    """COCO arrives as predictions; a VOC folder as the named annotator's annotation."""
    client, _ = admin
    coco = tmp_path / "in.json"
    coco.write_text(json.dumps(COCO_DOC))
    first = client.import_dataset("shots", coco, format="coco")
    voc = tmp_path / "voc" / "Annotations"
    voc.mkdir(parents=True)
    (voc / "b.xml").write_text(VOC.format(xmax=20))
    second = client.import_dataset(
        "shots", voc.parent, format="voc", as_="annotations", annotator="ann@example.com"
    )
    items = list(client.items("shots"))
    assert (
        (first.inserted, second.inserted, second.annotations),
        [(i.payload_preview, i.n_submitted) for i in items],
    ) == ((1, 1, 1), [('{"image":"a.jpg"}', 0), ('{"image":"b.jpg"}', 1)])


def test_bad_sources_and_callers_are_refused(admin: tuple[Client, Client], tmp_path: Path) -> None:
    """A box leaving its image is refused naming the file in the archive; an annotator may
    not import."""
    client, annotator = admin
    voc = tmp_path / "voc" / "Annotations"
    voc.mkdir(parents=True)
    (voc / "b.xml").write_text(VOC.format(xmax=60))
    with pytest.raises(E.InvalidImport) as caught:
        client.import_dataset("shots", voc.parent, format="voc")
    coco = tmp_path / "in.json"
    coco.write_text(json.dumps(COCO_DOC))
    with pytest.raises(E.PermissionDenied):
        annotator.import_dataset("shots", coco, format="coco")
    assert str(caught.value) == (
        "request body/Annotations/b.xml, field 'object[0].bndbox': object 0 (cat) leaves the "
        "image: it reaches x 60, y 10 in an image of 50 by 40"
    )
