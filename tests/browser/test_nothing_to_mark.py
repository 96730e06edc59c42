"""An empty answer to a required spans field in Chromium: refused until the annotator ticks
"Nothing to mark", then stored as ``[]``; with ``min_spans`` there is no such box."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from tests.browser.test_widgets import ANNOTATOR, READY, stored_annotations, submit_and_wait
from tests.services.builders import jsonl

from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion, passwords
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_member

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer, LoginFactory, LogLookup


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for the demo people: these tests are about labeling."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def _project(server: LiveServer, name: str, **extra: int) -> None:
    """A project of one required spans field and two texts, with the demo annotator in it."""
    field = {"name": "entities", "kind": "spans", "labels": ["PER", "ORG"], **extra}
    apply_spec(server.db, spec_from_dict({"name": name, "fields": [field]}), guidelines=None)
    rows = jsonl([{"text": "no names here"}, {"text": "x"}])
    ingestion.import_items(server.db, name, rows, format="jsonl", source="texts.jsonl")
    add_member(server.db, name, ANNOTATOR)


def test_nothing_to_mark_is_said_on_purpose(
    demo_server: LiveServer, page_as: LoginFactory, page_log: LogLookup
) -> None:
    """Ctrl+Enter on no spans is refused with a message naming the box; ticked, the submit
    stores ``{"entities": []}``; a ``min_spans`` project shows no such box."""
    _project(demo_server, "empty-ok")
    _project(demo_server, "needs-one", min_spans=1)
    page = page_as(ANNOTATOR)
    page.goto("/projects/empty-ok/label")
    page.wait_for_function(READY)
    page.keyboard.press("Control+Enter")
    refused = page.locator("[data-testid=status-message]").inner_text()
    page.check("[data-testid=nothing-entities]")
    sent = submit_and_wait(page)
    stored = stored_annotations(demo_server.db, sent["assignmentId"])
    page.goto("/projects/needs-one/label")
    page.wait_for_function(READY)
    boxes = page.locator("[data-testid=nothing-entities]").count()
    page.keyboard.press("Control+Enter")
    at_least = page.locator("[data-testid=status-message]").inner_text()
    assert (
        refused,
        [json.loads(s.value) if isinstance(s.value, str) else s.value for s in stored],
        boxes,
        at_least,
        page_log(page).problems(),
    ) == (
        '"entities": mark something, or tick "Nothing to mark".',
        [{"entities": []}],
        0,
        '"entities": mark at least 1.',
        {},
    )
