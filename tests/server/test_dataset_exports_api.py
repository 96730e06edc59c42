"""GET /api/v1/projects/{p}/exports/{format} in-process with Bearer tokens: a file format as
the file, a directory format as a zip, the caller's access as for the JSONL export (a
vendor's manager gets their vendor's annotations), refusals as statuses, and no temporary
files left behind; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import datasets
import pytest
from tests.server.worlds import Bearer, api_client
from tests.services.dataset_world import ITEM1, ITEM2, PROJECT, TEXTS, seed
from tests.services.test_dataset_exports import ACME_ITEM1, parse_conll

from labelworks.domain.spec import spec_from_dict
from labelworks.server.api.dataset_exports import DatasetFormatName
from labelworks.services import projects as project_service
from labelworks.services.dataset_exports import DATASET_FORMATS
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

URL = f"/api/v1/projects/{PROJECT}/exports"


@pytest.fixture
def env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bearer]:
    """The news world with tokens, an admin, and temporary files under ``tmp_path/tmp``."""
    tokens: dict[str, str] = {}
    seed(db, tokens)
    admin = add_user(db, "admin@example.com", role="admin", with_token=True)
    assert admin.token is not None
    tokens["admin@example.com"] = admin.token
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    with api_client(db, tmp_path) as client:
        yield Bearer(client, tokens)


def test_conll_comes_as_the_file_and_leaves_no_temporary_files(env: Bearer, tmp_path: Path) -> None:
    """An admin's CoNLL export is the file with the final labels, named for download,
    and the temporary directory is gone once it has been sent."""
    response = env.call("admin@example.com", "GET", f"{URL}/conll")
    assert (
        response.status_code,
        response.headers["content-type"],
        response.headers["content-disposition"],
        response.headers["x-items"],
        parse_conll(response.text, TEXTS[:2]),
        list((tmp_path / "tmp").iterdir()),
    ) == (
        200,
        "text/plain; charset=utf-8",
        'attachment; filename="news-conll.conll"',
        "2",
        [ITEM1, ITEM2],
        [],
    )


def test_hf_comes_as_a_zip_that_datasets_loads(env: Bearer, tmp_path: Path) -> None:
    """The hf export is a zip of one folder that datasets.load_from_disk reads, a row per
    annotation with labels=all."""
    response = env.call("admin@example.com", "GET", f"{URL}/hf", params={"labels": "all"})
    assert (response.status_code, response.headers["content-type"]) == (200, "application/zip")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path / "unzipped")
    rows = datasets.load_from_disk(str(tmp_path / "unzipped" / "news-hf")).to_list()
    assert [(r["id"], r["annotator"]) for r in rows] == [
        (1, "ann0@example.com"),
        (1, "ann1@example.com"),
        (1, "worker@acme.example"),
        (2, "ann0@example.com"),
        (2, "ann1@example.com"),
        (2, "worker@acme.example"),
        (3, None),
    ]


def test_a_vendor_managers_export_holds_only_their_vendors_annotations(env: Bearer) -> None:
    """acme's manager gets acme's annotations with labels=all and no final labels."""
    every = env.call("boss@acme.example", "GET", f"{URL}/conll", params={"labels": "all"})
    final = env.call("boss@acme.example", "GET", f"{URL}/conll")
    assert (
        every.status_code,
        parse_conll(every.text, TEXTS[:2]),
        final.status_code,
        final.text,
    ) == (200, [ACME_ITEM1, ITEM2], 200, "")


def test_refusals_are_statuses(env: Bearer, db: Database) -> None:
    """COCO on a text project names the field kind it needs (422); an unknown format and
    bad labels are 422; an annotator may not export (403)."""
    project_service.apply_spec(
        db,
        spec_from_dict(
            {"name": "topics", "fields": [{"name": "t", "kind": "choice", "labels": ["a"]}]}
        ),
        guidelines=None,
    )
    coco = env.call("admin@example.com", "GET", "/api/v1/projects/topics/exports/coco")
    unknown = env.call("admin@example.com", "GET", f"{URL}/excel")
    labels = env.call("admin@example.com", "GET", f"{URL}/conll", params={"labels": "some"})
    annotator = env.call("ann0@example.com", "GET", f"{URL}/conll")
    assert (
        coco.status_code,
        coco.json()["message"],
        unknown.status_code,
        labels.status_code,
        annotator.status_code,
    ) == (
        422,
        "the coco format needs a boxes field; project 'topics' has only choice fields",
        422,
        422,
        403,
    )


def test_the_route_names_every_registered_format() -> None:
    """The route's format parameter takes exactly the registry's formats."""
    assert sorted(DatasetFormatName.__args__) == sorted(DATASET_FORMATS)


def test_a_yolo_download_counts_its_missing_images_and_takes_a_val_fraction(
    db: Database, tmp_path: Path
) -> None:
    """The zip's header counts the images it could not include (a web image and a file
    the media folder does not have), and a
    val_fraction out of range is 422 before anything is written."""
    from tests.server.worlds import api_client
    from tests.services.test_yolo_export import CAT, DOG, _seed

    from labelworks.services.users import add_user

    _seed(db, {"a": ("https://example.org/a.png", None, CAT), "b": ("b.png", None, DOG)})
    made = add_user(db, "boss@example.com", role="admin", with_token=True)
    headers = {"Authorization": f"Bearer {made.token}"}
    with api_client(db, tmp_path) as client:
        ok = client.get(
            "/api/v1/projects/shots/exports/yolo?labels=all&val_fraction=0.5", headers=headers
        )
        bad = client.get("/api/v1/projects/shots/exports/yolo?val_fraction=1", headers=headers)
    assert (ok.status_code, ok.headers["x-items"], ok.headers["x-missing-images"]) == (
        200,
        "2",
        "2",
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")
