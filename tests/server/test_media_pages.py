"""The Media settings page, the item page's media facts and the derived-file routes:
counts and failures with item links, the process button behind CSRF and the manage
right, thumbnails and peaks served only to members, traversal refused, and imported
metadata that only pretends to be media results escaped; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.media_world import make_media_world

from labelworks.config import Settings
from labelworks.jobs import records
from labelworks.server.app import create_app
from labelworks.services import ingestion
from labelworks.services.auth import set_password
from labelworks.services.media_processing import process_media
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.tables import items, projects

PEOPLE = {
    "manager": ("boss@example.com", "manager", ["media"]),
    "reviewer": ("rev@example.com", "reviewer", ["media"]),
    "ann": ("ann@example.com", "annotator", ["media"]),
    "outsider": ("out@example.com", "manager", ["other"]),
}
PAGE = "/projects/media/settings/media"
FORGED = {
    "media": {"image": {"kind": "<script>x</script>", "thumbnail": "../../secret", "width": "w"}},
    "media_error": {"<b>k</b>": "<img src=x onerror=alert(1)>"},
}


@dataclass
class Site:
    app: Any
    db: Database
    data: Path

    def session(self, who: str) -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        return log_in(client, PEOPLE[who][0])

    def ids(self) -> dict[str, int]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(items.c.external_id, items.c.id)
                .join(projects, projects.c.id == items.c.project_id)
                .where(projects.c.name == "media")
            )
            return {r.external_id: r.id for r in rows}


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The media world in the app's data dir, project 'other', a forged-metadata item."""
    fast_passwords(monkeypatch)
    data = tmp_path / "data"
    make_media_world(db, data)
    make_media_world(db, data, name="other")
    row = {"external_id": "forged", "payload": {"image": "", "audio": "", "sensor": "x"}}
    row["metadata"] = FORGED
    ingestion.import_items(
        db, "media", io.BytesIO(json.dumps(row).encode()), format="jsonl", source="f.jsonl"
    )
    for email, role, member_of in PEOPLE.values():
        add_user(db, email, role=role, projects=member_of)
        set_password(db, email, PASSWORD)
    app = create_app(Settings(data_dir=data), database=db, run_jobs=True)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db, data)


def wait_for_job(db: Database, job_id: int) -> None:
    """Until the app's consumer has finished the job (it polls at least once a second)."""
    deadline = time.monotonic() + 60
    while records.get_job(db, job_id).state not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"job {job_id} did not finish"
        time.sleep(0.05)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_the_page_per_role(site: Site) -> None:
    """Managers see the button, reviewers the report only, annotators 403, others 404."""
    seen = {}
    for who in PEOPLE:
        response = site.session(who).get(PAGE)
        seen[who] = (response.status_code, 'data-testid="media-process-button"' in response.text)
    assert seen == {
        "manager": (200, True),
        "reviewer": (200, False),
        "ann": (403, False),
        "outsider": (404, False),
    }


def test_processing_from_the_page_fills_the_report(site: Site) -> None:
    """The button starts a job probing everything pending; once it has run the page lists
    the run, counts and failures, each linked to its item."""
    client = site.session("manager")
    before = client.get(PAGE).text
    token = csrf_of(before)
    done = client.post(f"{PAGE}/process", data={"csrf_token": token})
    started = client.get(PAGE).text
    wait_for_job(site.db, 1)
    after = client.get(PAGE).text
    ids = site.ids()
    failures = re.findall(r'<tr data-testid="media-failure"><td><a href="([^"]+)"', after)
    assert (
        re.search(r'data-testid="media-pending">(\d+)<', before).group(1),  # type: ignore[union-attr]
        done.status_code,
        done.headers["location"],
        "Media processing started (job 1); its progress shows below." in started,
        "probed 9 files: 4 read, 5 failed; 0 done before" in after,
        re.search(r'data-testid="media-count-image">(\d+)<', after).group(1),  # type: ignore[union-attr]
        sorted(failures),
    ) == (
        "9",
        303,
        PAGE,
        True,
        True,
        "2",
        sorted(
            f"/projects/media/items/{ids[k]}" for k in ("cut", "liar", "gone", "escape", "forged")
        ),
    )


def test_the_form_needs_csrf_and_the_manage_right(site: Site) -> None:
    """Without the token, or as a reviewer, nothing is processed."""
    manager, reviewer = site.session("manager"), site.session("reviewer")
    no_token = manager.post(f"{PAGE}/process", data={"csrf_token": "nope"})
    token = csrf_of(reviewer.get(PAGE).text)
    as_reviewer = reviewer.post(f"{PAGE}/process", data={"csrf_token": token})
    pending = re.search(r'data-testid="media-pending">(\d+)<', manager.get(PAGE).text)
    assert (no_token.status_code, as_reviewer.status_code, pending and pending.group(1)) == (
        403,
        403,
        "9",
    )


def test_the_item_page_shows_facts_thumbnail_and_errors(site: Site) -> None:
    """Item 'a' shows its size, duration and thumbnail; 'liar' its reason as a mark."""
    process_media(
        site.db, "media", media_dir=site.data / "media", thumbnails_dir=site.data / "thumbnails"
    )
    ids = site.ids()
    client = site.session("reviewer")
    good = client.get(f"/projects/media/items/{ids['a']}").text
    bad = client.get(f"/projects/media/items/{ids['liar']}").text
    thumb = re.search(r'<img src="(/media-thumbnails/[^"]+)"', good)
    assert thumb is not None
    picture = client.get(thumb.group(1))
    facts = _text(good[good.index('data-testid="media-facts"') :].split("</div>")[0])
    assert (
        "image · 320×200 px" in facts,
        "audio · 1.00 s · 16,000 Hz · 1 channel" in facts,
        picture.status_code,
        picture.headers["content-type"],
        Image.open(io.BytesIO(picture.content)).size,
        'data-testid="media-error"' in bad and "truncated WAV: the header declares" in bad,
    ) == (True, True, 200, "image/webp", (256, 160), True)


def test_forged_metadata_is_escaped_and_its_thumbnail_stays_inside(site: Site) -> None:
    """Imported metadata shaped like results: markup shown as text, the path refused."""
    ids = site.ids()
    client = site.session("manager")
    html = client.get(f"/projects/media/items/{ids['forged']}").text
    src = re.search(r'<img src="(/media-thumbnails/[^"]+)"', html)
    assert src is not None
    assert (
        "<script>x</script>" in html.split('data-testid="media-facts"')[0],  # only the JSON view
        "&lt;script&gt;x&lt;/script&gt;" in html,
        "&lt;img src=x onerror=alert(1)&gt;" in html,
        "<img src=x onerror" in html,
        client.get(src.group(1)).status_code,
    ) == (False, True, True, False, 404)


def test_derived_files_are_for_members_only(site: Site) -> None:
    """Peaks and display series load for members, not for others (404) or anonymous
    callers (sent to log in); traversal and a missing thumbnail are 404; peaks and a
    display copy processing has not made yet are 204, which the labeling page passes over."""
    process_media(
        site.db, "media", media_dir=site.data / "media", thumbnails_dir=site.data / "thumbnails"
    )
    ann, outsider = site.session("ann"), site.session("outsider")
    anonymous = TestClient(site.app, raise_server_exceptions=False, follow_redirects=False)
    peaks = ann.get("/media-peaks/media/snd/a.wav")
    series = ann.get("/media-series/media/ser/a.csv")
    assert (
        peaks.status_code,
        len(peaks.json()["peaks"]),
        peaks.headers["content-security-policy"].startswith("sandbox"),
        series.text,
        outsider.get("/media-peaks/media/snd/a.wav").status_code,
        anonymous.get("/media-peaks/media/snd/a.wav").status_code,
        ann.get("/media-peaks/media/../../labelworks.db").status_code,
        ann.get("/media-series/media/%2e%2e/%2e%2e/secret.key").status_code,
        ann.get("/media-thumbnails/media/nothing.webp").status_code,
        ann.get("/media-peaks/media/snd/not-yet.wav").status_code,
        ann.get("/media-series/media/ser/not-yet.csv").status_code,
    ) == (200, 1000, True, "t,x\n0.0,1.0\n0.5,2.0\n1.0,0.0\n", 404, 303, 404, 404, 404, 204, 204)
