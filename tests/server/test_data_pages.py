"""A project's Data page (Settings tab) per role, its upload (the file as the body, named by
``?file=``, with the session's CSRF token in ``X-CSRF-Token``) in every format with the
import's counts, a bad file refused whole with the file, line and field named, the CSRF
and role checks before a byte is read, and the export menu's downloads; on SQLite and
PostgreSQL. Hostile uploads: tests/security/test_hostile_uploads.py."""

from __future__ import annotations

import io
import json
import re

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from tests.server import test_members_pages
from tests.server.test_escalation_pages import texts
from tests.server.test_members_pages import PEOPLE, Site

from labelworks.services import exports

# The Members page tests' world: project 'reviews' with three items and its staff.
site = test_members_pages.site
PAGE = "/projects/reviews/settings/data"
UPLOAD = f"{PAGE}/import"
# An upload's rows: one the project has, two new.
ROWS = [{"text": "review 1"}, {"text": "new 1"}, {"text": "new 2"}]


def _items(site: Site) -> int:
    return exports.count_for_export(site.db, "reviews")


def _send(
    client: TestClient, csrf: str | None, name: str, body: bytes, **headers: str
) -> httpx.Response:
    sent = {"Content-Type": "application/octet-stream", **headers}
    if csrf is not None:
        sent["X-CSRF-Token"] = csrf
    return client.post(UPLOAD, params={"file": name}, content=body, headers=sent)


def _jsonl(rows: list[dict[str, str]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def _parquet(rows: list[dict[str, str]]) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


def test_the_page_per_role(site: Site) -> None:
    """Those who manage the project get the drop zone and the export menu, reviewers the
    export menu only; annotators are refused, a manager of another project is told it does
    not exist."""
    seen = {}
    for who in PEOPLE:
        client, _ = site.session(who)
        answer = client.get(PAGE)
        seen[who] = (
            answer.status_code,
            'data-testid="dropzone"' in answer.text,
            "js/upload.js" in answer.text,
            len(re.findall(r'href="/api/v1/projects/reviews/export\?[^"]+" download', answer.text)),
        )
    assert seen == {
        "admin": (200, True, True, 4),
        "manager": (200, True, True, 4),
        "acme_lead": (200, True, True, 4),
        "reviewer": (200, False, False, 4),
        "ann1": (403, False, False, 0),
        "ann2": (403, False, False, 0),
        "outsider": (404, False, False, 0),
    }
    client, _ = site.session("manager")
    page = client.get(PAGE).text
    assert re.findall(r'href="(/api/v1/projects/reviews/export\?[^"]+)"', page) == [
        "/api/v1/projects/reviews/export?format=jsonl",
        "/api/v1/projects/reviews/export?format=csv",
        "/api/v1/projects/reviews/export?format=csv&amp;csv_formulas=raw",
        "/api/v1/projects/reviews/export?format=parquet",
    ]
    assert 'accept=".jsonl,.ndjson,.json,.csv,.parquet"' in page
    assert 'data-max-bytes="536870912"' in page and "512.0 MiB" in page
    assert 'data-testid="settings-tab-data"' in page


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("new.jsonl", _jsonl(ROWS)),
        ("new.ndjson", _jsonl(ROWS)),
        ("NEW.JSON", json.dumps(ROWS).encode()),
        ("new.csv", b"text\n" + b"".join(r["text"].encode() + b"\n" for r in ROWS)),
        ("new.parquet", _parquet(ROWS)),
    ],
)
def test_an_upload_imports_the_file_and_shows_the_counts(
    site: Site, name: str, body: bytes
) -> None:
    """Each format, told by the file's suffix whatever the Content-Type: three rows read,
    two new items, one duplicate of an item the project had; the file's name is the
    import's source."""
    client, csrf = site.session("manager")
    answer = _send(client, csrf, name, body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    counts = [
        texts(answer.text, t) for t in ("import-rows", "import-inserted", "import-duplicates")
    ]
    assert (counts, texts(answer.text, "import-id"), _items(site)) == (
        [["3"], ["2"], ["1"]],
        ["#3"],
        5,
    )
    assert texts(answer.text, "import-summary") == [f"Imported 2 new items from {name}."]


def test_a_bad_file_imports_nothing_and_names_the_line_and_field(site: Site) -> None:
    """A bad third row refuses the whole file (its good rows too) with the file, line and
    field named; a name whose suffix says no format is refused; the project is as it was."""
    client, csrf = site.session("manager")
    bad = _jsonl([{"text": "new 1"}, {"text": "new 2"}, {"txt": "typo"}])
    answers = {
        "row": _send(client, csrf, "reviews <b>.jsonl", bad),
        "csv": _send(client, csrf, "r.csv", b'text\nnew 1\n"unclosed\n'),
        "suffix": _send(client, csrf, "reviews.txt", _jsonl([{"text": "new 1"}])),
        "empty json": _send(client, csrf, "r.json", b""),
    }
    seen = {k: (a.status_code, texts(a.text, "import-error-message")) for k, a in answers.items()}
    assert seen == {
        "row": (
            422,
            [
                "reviews <b>.jsonl, line 3, field 'payload.text': payload has no key 'text', "
                "which the project's fields need"
            ],
        ),
        "csv": (422, ["r.csv, line 3: malformed CSV: unexpected end of data"]),
        "suffix": (
            422,
            ["cannot tell the format of reviews.txt; name it .jsonl, .json, .csv or .parquet"],
        ),
        "empty json": (422, ["r.json: r.json is not a JSON array of row objects"]),
    }
    assert "Nothing was imported from reviews &lt;b&gt;.jsonl." in answers["row"].text
    assert "reviews <b>" not in answers["row"].text
    assert _items(site) == 3


def test_an_upload_needs_the_csrf_header_and_the_manage_right(site: Site) -> None:
    """Without the session's CSRF token in the header (even posted as a form, which a
    cross-site page could send), with a wrong one, as a reviewer, an annotator, a manager
    of another project or nobody: refused, and nothing imported; a manager's API token
    needs no CSRF token."""
    body = _jsonl([{"text": "new 1"}])
    manager, csrf = site.session("manager")
    reviewer, reviewer_csrf = site.session("reviewer")
    annotator, annotator_csrf = site.session("ann1")
    outsider, outsider_csrf = site.session("outsider")
    anonymous = TestClient(site.app, raise_server_exceptions=False)
    form = "application/x-www-form-urlencoded"
    answers = {
        "no header": _send(manager, None, "a.jsonl", body),
        "no header, form": _send(manager, None, "a.jsonl", body, **{"Content-Type": form}),
        "form field": manager.post(
            UPLOAD, params={"file": "a.jsonl"}, data={"csrf_token": csrf, "x": "1"}
        ),
        "wrong header": _send(manager, "forged", "a.jsonl", body),
        "reviewer": _send(reviewer, reviewer_csrf, "a.jsonl", body),
        "annotator": _send(annotator, annotator_csrf, "a.jsonl", body),
        "outsider": _send(outsider, outsider_csrf, "a.jsonl", body),
        "anonymous": _send(anonymous, None, "a.jsonl", body),
        "no file name": manager.post(UPLOAD, content=body, headers={"X-CSRF-Token": csrf}),
        "a folder": _send(manager, csrf, "../a.jsonl", body),
    }
    seen = {k: (a.status_code, a.json()["code"]) for k, a in answers.items()}
    assert (seen, _items(site)) == (
        {
            "no header": (403, "permission_denied"),
            "no header, form": (403, "permission_denied"),
            "form field": (403, "permission_denied"),
            "wrong header": (403, "permission_denied"),
            "reviewer": (403, "permission_denied"),
            "annotator": (403, "permission_denied"),
            "outsider": (404, "not_found"),
            "anonymous": (401, "unauthenticated"),
            "no file name": (422, "invalid_input"),
            "a folder": (422, "invalid_input"),
        },
        3,
    )
    by_token = _send(
        anonymous, None, "api.jsonl", body, Authorization=f"Bearer {site.tokens['manager']}"
    )
    assert (by_token.status_code, texts(by_token.text, "import-inserted"), _items(site)) == (
        200,
        ["1"],
        4,
    )


def test_the_export_menu_downloads_every_format(site: Site) -> None:
    """Each link of the menu downloads the project in its format, for a reviewer too."""
    client, _ = site.session("reviewer")
    page = client.get(PAGE).text
    links = [
        u.replace("&amp;", "&")
        for u in re.findall(r'href="(/api/v1/projects/reviews/export\?[^"]+)"', page)
    ]
    seen = []
    for link in links:
        answer = client.get(link)
        seen.append((answer.status_code, answer.headers["content-type"].split(";")[0]))
        assert b"review 2" in answer.content
    assert seen == [
        (200, "application/x-ndjson"),
        (200, "text/csv"),
        (200, "text/csv"),
        (200, "application/vnd.apache.parquet"),
    ]


def test_deleting_the_project_from_the_page(site: Site) -> None:
    """A wrong name is refused (422), a project with annotations without force too (409), a
    vendor's manager may not (403); the admin's forced delete leads to the project list,
    which says so, and the project is gone."""
    delete = "/projects/reviews/settings/delete"
    answers = {}
    for who, form in (
        ("manager", {"confirm": "review"}),
        ("acme_lead", {"confirm": "reviews"}),
    ):
        client, csrf = site.session(who)
        answer = client.post(delete, data={**form, "csrf_token": csrf})
        error = re.search(r'data-testid="delete-error">([^<]*)<', answer.text)
        answers[who] = (answer.status_code, error.group(1) if error else None)
    client, csrf = site.session("admin")
    done = client.post(delete, data={"confirm": "reviews", "force": "1", "csrf_token": csrf})
    listed = client.get(done.headers["location"]).text
    notice = re.search(r'data-testid="notice">([^<]*)<', listed)
    assert (
        answers,
        done.status_code,
        notice.group(1) if notice else None,
        client.get(PAGE).status_code,
    ) == (
        {
            "manager": (
                422,
                "type the project&#39;s name, reviews, to confirm. Nothing was deleted.",
            ),
            "acme_lead": (403, None),
        },
        303,
        "Deleted project reviews with its 1 annotation.",
        404,
    )


def test_archiving_from_the_page(site: Site) -> None:
    """Without force the open work is named (409); forced, the project leaves the list for
    the archived one and its Overview says so; brought back, it is listed again."""
    client, csrf = site.session("manager")
    refused = client.post("/projects/reviews/settings/archive", data={"csrf_token": csrf})
    done = client.post(
        "/projects/reviews/settings/archive", data={"force": "1", "csrf_token": csrf}
    )
    listed = (
        "/projects/reviews/label" in client.get("/").text,
        'href="/projects/reviews"' in client.get("/?archived=1").text,
        'data-testid="archived-banner"' in client.get("/projects/reviews").text,
    )
    back = client.post("/projects/reviews/settings/unarchive", data={"csrf_token": csrf})
    assert (
        refused.status_code,
        "waiting for annotations" in refused.text,
        done.status_code,
        listed,
        back.status_code,
        "/projects/reviews/label" in client.get("/").text,
    ) == (409, True, 303, (False, True, True), 303, True)
