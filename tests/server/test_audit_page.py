"""The Audit page: managers read the project's quality decisions, newest first, escaped,
filterable; annotators and vendors' staff do not."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.services.builders import jsonl

from labelworks.config import Settings
from labelworks.domain.spec import spec_from_dict
from labelworks.server.app import create_app
from labelworks.services import gold, ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

HOSTILE = "<script>alert('audit')</script>"


def test_managers_read_the_trail_escaped_and_filtered_and_others_are_refused(
    db: Database, tmp_path: Path
) -> None:
    """The pause reason shows literally; the filter keeps one kind; an annotator and an
    acme manager are refused."""
    spec = {"name": "ap", "fields": [{"name": "s", "kind": "choice", "labels": ["a", "b"]}]}
    apply_spec(db, spec_from_dict(spec), guidelines="Rules")
    ingestion.import_items(db, "ap", jsonl([{"text": "x"}]), format="jsonl", source="x")
    tokens = {}
    for who, role, vendor in (
        ("lead", "manager", None),
        ("ann", "annotator", None),
        ("acme", "manager", "acme"),
    ):
        made = add_user(
            db, f"{who}@example.com", role=role, vendor=vendor, projects=["ap"], with_token=True
        )
        assert made.token is not None
        tokens[who] = made.token
    gold.mark_gold(db, "ap", 1, value={"s": "a"})
    gold.pause_annotator(db, "ap", "ann@example.com", reason=HOSTILE)
    app = create_app(Settings(data_dir=tmp_path, database_url=db.url), db)
    with TestClient(app) as http:

        def get(who: str, url: str) -> tuple[int, str]:
            r = http.get(url, headers={"Authorization": f"Bearer {tokens[who]}"})
            return r.status_code, r.text

        code, html = get("lead", "/projects/ap/audit")
        _, only = get("lead", "/projects/ap/audit?action=gold.mark")
        refused = [get(who, "/projects/ap/audit")[0] for who in ("ann", "acme")]
    assert (
        code,
        HOSTILE in html,
        "&lt;script&gt;alert(&#39;audit&#39;)&lt;/script&gt;" in html,
        html.index('pill">paused<') < html.index('pill">marked gold<'),
        only.count('data-testid="audit-row"'),
        refused,
    ) == (200, False, True, True, 1, [403, 403])
