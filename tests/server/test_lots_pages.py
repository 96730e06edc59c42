"""The Lots pages per role: managers see the list and the make-a-lot form, reviewers the
list and the lot (no form), vendors' staff and annotators are refused; making a lot and
marking samples OK or Defect through CSRF forms until the lot is decided, the decision
and its evidence shown; refused forms show what went wrong and change nothing; item
content is escaped; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.server.test_escalation_pages import texts
from tests.server.worlds import PASSWORD, csrf_of, fast_passwords, log_in
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import assignment, ingestion, lots
from labelworks.services.auth import set_password
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC: dict[str, Any] = {
    "name": "lp",
    "fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}],
    "overlap": 1,
}
PEOPLE = {
    "admin": ("root@example.com", "admin", None),
    "manager": ("boss@example.com", "manager", None),
    "reviewer": ("rev@example.com", "reviewer", None),
    "acme_rev": ("rev@acme.example", "reviewer", "acme"),
    "ann": ("ann@acme.example", "annotator", "acme"),
}
N = 20
LIST = "/projects/lp/lots"


@dataclass
class Site:
    app: Any
    db: Database

    def session(self, who: str) -> tuple[TestClient, str]:
        """A browser-like client logged in through the login form, and its CSRF token."""
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        log_in(client, PEOPLE[who][0])
        return client, csrf_of(client.get("/settings").text)


@pytest.fixture
def site(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Project 'lp': 20 items (one with markup in its text), all labelled pos by an acme
    annotator."""
    fast_passwords(monkeypatch)
    apply_spec(db, spec_from_dict(SPEC), guidelines=None)
    rows = [{"text": f"review {i} <script>x</script>"} for i in range(N)]
    ingestion.import_items(db, "lp", jsonl(rows), format="jsonl", source="items.jsonl")
    ids = {}
    for key, (email, role, vendor) in PEOPLE.items():
        made = add_user(
            db, email, role=role, vendor=vendor, projects=None if role == "admin" else ["lp"]
        )
        ids[key] = made.user.id
        set_password(db, email, PASSWORD)
    for k in range(N):
        task = assignment.next_task_for(db, "lp", ids["ann"])
        assert task is not None
        assignment.submit_annotation(
            db, task.assignment_id, ids["ann"], value={"sentiment": "pos"}, seconds=1.0,
            idempotency_key=str(k),
        )  # fmt: skip
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app, raise_server_exceptions=False):
        yield Site(app, db)


def test_the_pages_per_role(site: Site) -> None:
    lot = lots.create_lot(site.db, "lp", name="batch <1>", aql=0.02, ltpd=0.3, import_id=1, seed=4)
    seen = {}
    for who in PEOPLE:
        client, _ = site.session(who)
        listed, shown = client.get(LIST), client.get(f"{LIST}/{lot.id}")
        seen[who] = (listed.status_code, shown.status_code, 'data-testid="lot-form"' in listed.text)
    assert seen == {
        "admin": (200, 200, True),
        "manager": (200, 200, True),
        "reviewer": (200, 200, False),
        "acme_rev": (403, 403, False),
        "ann": (403, 403, False),
    }
    client, _ = site.session("reviewer")
    listed = client.get(LIST).text
    n = lot.plan["sample_size"]
    assert texts(listed, "lot-status") == ["auditing"]
    assert texts(listed, "lot-plan") == [f"{n} / {lot.plan['acceptance_number']}"]
    assert texts(listed, "lot-progress") == [f"0 of {n}"]
    assert "batch &lt;1&gt;" in listed and 'data-testid="lots-tab"' in listed
    page = client.get(f"{LIST}/{lot.id}").text
    assert len(texts(page, "sample")) == n and texts(page, "verdict") == ["to audit"] * n
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert '<svg class="oc"' in page and texts(page, "summary")[0].startswith("Inspect")


def test_make_a_lot_and_audit_it_to_a_rejection(site: Site) -> None:
    client, csrf = site.session("manager")
    form = {"name": "web lot", "aql": "2", "ltpd": "30", "import_id": "1", "seed": "1"}
    made = client.post(LIST, data={**form, "csrf_token": csrf})
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    page = client.get(url).text
    assert "web lot" in page and "made: 20 annotations" in page
    ids = [int(x) for x in re.findall(r'data-annotation="(\d+)"', page)]
    for a in ids:
        done = client.post(
            f"{url}/samples/{a}", data={"verdict": "defect", "note": "no", "csrf_token": csrf}
        )
        assert done.status_code == 303, done.text
    page = client.get(url).text
    assert texts(page, "lot-status") == ["rejected"]
    assert texts(page, "decision")[0].startswith("Rejected")
    assert "at most" in texts(page, "upper-bound")[0]
    assert 'data-testid="audit-form"' not in page


def test_refused_forms_change_nothing(site: Site) -> None:
    client, csrf = site.session("manager")
    bad = {"name": "x", "aql": "nan", "ltpd": "10", "import_id": "1", "csrf_token": csrf}
    refused = client.post(LIST, data=bad)
    assert refused.status_code == 422 and "aql must be a finite number" in refused.text
    assert 'value="nan"' in refused.text  # the form as it was sent
    nothing = client.post(LIST, data={**bad, "aql": "1", "import_id": ""})
    assert nothing.status_code == 422 and "say which annotations" in nothing.text
    nul = client.post(LIST, data={**bad, "aql": "1", "name": "a\x00b"})
    assert nul.status_code == 422 and "name must not contain a NUL" in nul.text
    far = client.post(LIST, data={**bad, "aql": "1", "since": "0001-01-01T00:00+01:00"})
    assert far.status_code == 422 and "since must be a date" in far.text
    no_csrf = client.post(LIST, data={**bad, "aql": "1", "csrf_token": "forged"})
    assert no_csrf.status_code == 403
    assert lots.project_lots(site.db, "lp") == []
    lot = lots.create_lot(site.db, "lp", name="l", aql=0.02, ltpd=0.3, import_id=1, seed=4)
    first = lots.lot_view(site.db, "lp", lot.id).samples[0].annotation_id
    url = f"{LIST}/{lot.id}/samples/{first}"
    forged = client.post(url, data={"verdict": "ok", "csrf_token": "forged"})
    assert forged.status_code == 403
    odd = client.post(url, data={"verdict": "maybe", "note": "kept", "csrf_token": csrf})
    assert odd.status_code == 422 and "choose OK or Defect" in texts(odd.text, "sample-error")[0]
    assert lots.lot_view(site.db, "lp", lot.id).audited == 0
    ann, ann_csrf = site.session("ann")
    assert ann.post(url, data={"verdict": "ok", "csrf_token": ann_csrf}).status_code == 403
    assert lots.lot_view(site.db, "lp", lot.id).audited == 0
