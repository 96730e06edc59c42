"""The Duplicates and Sampling pages (Settings) per role: managers see the clusters side by
side with texts escaped and image thumbnails, keep one per cluster through the CSRF form,
preview a stratified sample's allocation and copy it; others are refused; refused forms
say what went wrong and change nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import duplicates, ingestion
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "dp",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
}
PEOPLE = {
    "manager": ("boss@example.com", "manager", None),
    "acme_lead": ("lead@acme.example", "manager", "acme"),
    "reviewer": ("rev@example.com", "reviewer", None),
    "ann": ("ann@acme.example", "annotator", "acme"),
}
LONG = "the kettle boils fast <script>x</script> but the lid rattles and the handle gets hot"
ROWS = [
    {"text": LONG, "split": "a", "image": "one.png"},
    {"text": "the blender is loud and leaks from its base", "split": "a", "image": "two.png"},
    {"text": LONG.replace("fast", "quickly"), "split": "b", "image": "one_copy.png"},
]
DUP = "/projects/dp/settings/duplicates"
SAMPLE = "/projects/dp/settings/sample"


@dataclass
class Site:
    app: Any
    db: Database

    def session(self, who: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Projects 'dp' (three reviews with images; items 1 and 3 near-duplicates in text and
    image) and an empty 'batch'."""
    fast_passwords(monkeypatch)
    for name in ("dp", "batch"):
        apply_spec(db, spec_from_dict({**SPEC, "name": name}), guidelines=None)
    ingestion.import_items(db, "dp", jsonl(ROWS), format="jsonl", source="items.jsonl")
    media = tmp_path / "data" / "media" / "dp"
    media.mkdir(parents=True)
    for name, seed in (("one.png", 1), ("two.png", 2)):
        pixels = np.random.default_rng(seed).random((48, 64, 3)) * 255
        Image.fromarray(pixels.astype("uint8")).save(media / name)
    Image.open(media / "one.png").resize((128, 96)).save(media / "one_copy.png")
    for email, role, vendor in PEOPLE.values():
        add_user(db, email, role=role, vendor=vendor, projects=["dp", "batch"])
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db)


def test_pages_per_role(site: Site) -> None:
    """Managers outside vendor walls get both pages; the others are refused."""
    seen = {}
    for who in PEOPLE:
        client, _ = site.session(who)
        seen[who] = (client.get(DUP).status_code, client.get(SAMPLE).status_code)
    assert seen == {
        "manager": (200, 200),
        "acme_lead": (403, 200),
        "reviewer": (403, 403),
        "ann": (403, 403),
    }


def test_text_clusters_are_escaped_and_keep_one_deletes(site: Site) -> None:
    """The cluster shows both texts escaped; keep-one deletes item 3 and the page says so."""
    client, csrf = site.session("manager")
    shown = client.get(DUP, params={"kind": "text", "key": "text", "threshold": "0.7"})
    assert shown.status_code == 200
    assert shown.text.count('data-testid="duplicate-member"') == 2
    assert "<script>x</script>" not in shown.text and "&lt;script&gt;x&lt;/script&gt;" in shown.text
    form = {"csrf_token": csrf, "kind": "text", "key": "text", "threshold": "0.7"}
    done = client.post(f"{DUP}/keep-one", data=form)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "Kept one item per cluster: deleted 1 item." in after.text
    assert duplicates.find_duplicates(site.db, "dp", text_key="text").scanned == 2


def test_image_clusters_show_thumbnails(site: Site) -> None:
    """Images cluster by perceptual hash and are shown through the media route."""
    client, _ = site.session("manager")
    shown = client.get(DUP, params={"kind": "image", "key": "image"})
    assert shown.status_code == 200
    assert 'src="/media/dp/one.png"' in shown.text and 'src="/media/dp/one_copy.png"' in shown.text
    assert 'src="/media/dp/two.png"' not in shown.text


def test_refusals_change_nothing(site: Site) -> None:
    """A NaN threshold is shown as an error; a form without its CSRF token is refused."""
    client, _ = site.session("manager")
    bad = client.get(DUP, params={"kind": "text", "key": "text", "threshold": "nan"})
    forged = client.post(
        f"{DUP}/keep-one", data={"kind": "text", "key": "text", "threshold": "0.7"}
    )
    assert bad.status_code == 422 and "threshold must be a number greater than 0" in bad.text
    assert forged.status_code == 403
    assert duplicates.find_duplicates(site.db, "dp", text_key="text").scanned == 3


def test_sampling_preview_then_copy(site: Site) -> None:
    """The preview shows the allocation per stratum and the seed it drew with; sampling
    with that seed copies the previewed items into 'batch'; bad n is shown, not copied."""
    client, csrf = site.session("manager")
    form = {
        "csrf_token": csrf,
        "strategy": "stratified",
        "n": "2",
        "into": "batch",
        "by": "split",
        "seed": "9",
    }
    preview = client.post(SAMPLE, data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert (
        'data-testid="sample-allocation"' in preview.text and "nothing copied yet" in preview.text
    )
    bad = client.post(SAMPLE, data={**form, "n": "-5", "action": "sample"})
    assert bad.status_code == 422 and "n must be a whole number from 1 to 100,000" in bad.text
    done = client.post(SAMPLE, data={**form, "action": "sample"})
    assert done.status_code == 303
    assert "Copied 2 of 2 sampled items into batch." in client.get(SAMPLE).text
    listed = client.get("/api/v1/projects/batch/items")
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2
    assert json.dumps(listed.json()).count('"sampled_from"') in (0, 2)
