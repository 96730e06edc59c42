"""The SDK's coaching methods against the real app, in-process: a manager reads a
person's page and adds a note, the person reads their own with ``my_coaching``, and the
server's refusals come back as the domain's errors (``NotFound`` behind a vendor wall,
``PermissionDenied`` for someone else's page, ``InvalidInput`` for a blank note)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.services.coaching_world import ANN, BEN, BOSS, GIL, LEAD, PROJECT, build

from labelworks.config import Settings
from labelworks.domain import errors as E
from labelworks.sdk import Client
from labelworks.server.app import create_app
from labelworks.storage.engine import Database, utcnow


@pytest.fixture
def clients(db: Database, tmp_path: Path) -> Iterator[dict[str, Client]]:
    """An SDK client per person of the coaching world."""
    world = build(db, utcnow().date(), tokens=True)
    app = create_app(Settings(data_dir=tmp_path / "data"), database=db)
    with TestClient(app) as http:
        yield {email: Client.from_httpx(http, token) for email, token in world.tokens.items()}


def test_coaching_pages_and_notes_through_the_sdk(clients: dict[str, Client]) -> None:
    """The manager's note is on Ann's page as she reads it; her page and the manager's
    view of it differ only where gold answers are kept from her; refusals raise the
    domain's errors."""
    note = clients[LEAD].add_coaching_note(PROJECT, ANN, " Sarcasm: see §2. ")
    managed = clients[LEAD].coaching(PROJECT, ANN)
    own = clients[ANN].my_coaching(PROJECT)
    raised = []
    for call in (
        lambda: clients[BOSS].coaching(PROJECT, GIL),
        lambda: clients[ANN].coaching(PROJECT, BEN),
        lambda: clients[LEAD].add_coaching_note(PROJECT, ANN, "   "),
        lambda: clients[ANN].add_coaching_note(PROJECT, ANN, "me"),
    ):
        with pytest.raises(E.LabelworksError) as caught:
            call()
        raised.append((type(caught.value), str(caught.value)))
    assert (note["body"], note["author"]) == ("Sarcasm: see §2.", LEAD)
    assert [(n["body"], n["author"]) for n in own["notes"]] == [("Sarcasm: see §2.", "a manager")]
    assert (managed["headline"], managed["trend"]) == (own["headline"], own["trend"])
    assert [(m["expert"], m["guideline"]["section"]) for m in own["gold_mistakes"]] == [
        (None, "Mixed feelings"),
        (None, "Sarcasm"),
    ]
    assert [m["expert"] for m in managed["gold_mistakes"]] == [
        {"sentiment": "neutral"},
        {"sentiment": "negative"},
    ]
    assert raised == [
        (E.NotFound, f"user '{GIL}' does not exist"),
        (E.PermissionDenied, "you may see only your own coaching page"),
        (E.InvalidInput, "field 'body': a note must not be empty"),
        (E.PermissionDenied, "an annotator may not manage project 'coach'"),
    ]
