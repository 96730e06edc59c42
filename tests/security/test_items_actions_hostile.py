"""Hostile bodies for the Items table's bulk actions (POST …/items/actions) from a manager
who may act: oversized, deeply nested, NaN, bad UTF-8, unpaired surrogates, huge numbers,
too many ids, ids past what storage holds, unknown keys. Each is refused with a declared
``{code, message}`` answer and changes nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.security.conftest import World

from labelworks.config import Settings
from labelworks.server.app import create_app

URL = "/api/v1/projects/alpha/items/actions"
LIMITS = {"max_request_bytes": 64 * 1024}
HOSTILE: dict[str, bytes] = {
    "oversized": b'{"action":"delete","ids":[' + b"5," * 40_000 + b"5]}",
    # Deep but under the size limit: the decoder's depth limit refuses them.
    "deep": b'{"action":"delete","filter":' + b'{"meta":' * 5_000 + b"{}" + b"}" * 5_001,
    "deep array": b"[" * 30_000 + b"]" * 30_000,
    "NaN score": b'{"action":"delete","filter":{"score_min":NaN}}',
    "Infinity priority": b'{"action":"priority","ids":[5],"priority":Infinity}',
    "bad UTF-8": b'{"action":"delete","filter":{"q":"\xff\xfe"}}',
    "surrogate": b'{"action":"delete","filter":{"meta":{"\\ud800":"x"}}}',
    "NUL": b'{"action":"delete","filter":{"meta":{"k":"a\\u0000b"}}}',
    "5,000 digits": b'{"action":"priority","ids":[5],"priority":1' + b"0" * 5000 + b"}",
    "id past storage": b'{"action":"delete","ids":[2147483648]}',
    "id zero": b'{"action":"delete","ids":[0]}',
    "too many ids": b'{"action":"delete","ids":[' + b"5," * 10_000 + b"5]}",
    "priority not whole": b'{"action":"priority","ids":[5],"priority":1.5}',
    "unknown key": b'{"action":"delete","ids":[5],"where":{}}',
    "unknown action": b'{"action":"explode","ids":[5]}',
    "long filter": b'{"action":"delete","filter":{"label":"' + b"x" * 600 + b'"}}',
    "both": b'{"action":"delete","ids":[5],"filter":{}}',
    "neither": b'{"action":"delete"}',
    "not an object": b'"delete"',
}


@pytest.fixture
def strict(world: World) -> TestClient:
    app = create_app(Settings(data_dir=world.data_dir, **LIMITS), database=world.db)
    return TestClient(app, raise_server_exceptions=False)


def test_hostile_action_bodies_are_refused_and_change_nothing(
    world: World, strict: TestClient
) -> None:
    """Every hostile body, sent by the lead (who may act): 413 or 422 with ``{code,
    message}``; afterwards alpha's items are all there with priority 0."""
    headers = {
        "Authorization": f"Bearer {world.tokens['lead']}",
        "Content-Type": "application/json",
    }
    answers = {}
    for name, body in HOSTILE.items():
        answer = strict.post(URL, content=body, headers=headers)
        payload = answer.json()
        answers[name] = (answer.status_code, sorted(set(payload) & {"code", "message"}))
    listed = world.call("lead", "GET", "/api/v1/projects/alpha/items?limit=500").json()
    expected = {name: (422, ["code", "message"]) for name in HOSTILE}
    expected["oversized"] = (413, ["code", "message"])
    assert answers == expected
    assert ([i["id"] for i in listed["items"]], {i["priority"] for i in listed["items"]}) == (
        list(range(1, 9)),
        {0},
    )


def test_the_route_answers_as_documented(world: World) -> None:
    """200 with what changed, 404 naming unknown items, 409 naming refused ones, 403 for a
    vendor's manager and an annotator (before their body is read)."""
    done = world.call(
        "lead", "POST", URL, json={"action": "priority", "ids": [7, 8], "priority": 3}
    )
    unknown = world.call("lead", "POST", URL, json={"action": "delete", "ids": [8, 99]})
    refused = world.call("lead", "POST", URL, json={"action": "delete", "ids": [1, 8]})
    walled = world.call("acme_lead", "POST", URL, json={"action": "delete", "ids": [8]})
    annotator = world.call(
        "acme_ann", "POST", URL, content=b"\xff", headers={"Content-Type": "application/json"}
    )
    assert (done.status_code, done.json()) == (
        200,
        {
            "action": "priority",
            "selected": 2,
            "changed": 2,
            "message": "Set the priority of 2 items to 3.",
        },
    )
    assert (unknown.status_code, unknown.json()["message"]) == (
        404,
        "item 99 is not in project 'alpha'; nothing was changed",
    )
    assert (refused.status_code, refused.json()["details"]) == (
        409,
        {"refused": {"annotated": [1]}},
    )
    assert (walled.status_code, walled.json()["code"], annotator.status_code) == (
        403,
        "permission_denied",
        403,
    )
