"""Hostile prediction pushes and evaluation bodies from a manager who may send them: deep,
NaN, bad UTF-8, surrogates, oversized, unknown keys and out-of-range numbers are each
refused with the reason, and no prediction is stored; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.security.conftest import World

from labelworks.config import Settings
from labelworks.server.app import create_app

LIMITS = {"max_request_bytes": 64 * 1024, "max_spec_bytes": 256 * 1024, "max_import_bytes": 1 << 20}
PUSH = "/api/v1/projects/alpha/predictions"
RUNS = "/api/v1/projects/alpha/eval/runs"
COMPARE = "/api/v1/projects/alpha/eval/compare"
BODY = "request body"


@pytest.fixture
def strict(world: World) -> TestClient:
    """The world's database behind an app with small body limits (so 'oversized' is cheap)."""
    app = create_app(Settings(data_dir=world.data_dir, **LIMITS), database=world.db)
    return TestClient(app, raise_server_exceptions=False)


def _one(value: bytes) -> bytes:
    return b'{"predictions":[{"item_id":1,"model":"m","value":' + value + b"}]}"


def test_hostile_predictions_change_nothing(world: World, strict: TestClient) -> None:
    """Each hostile body is refused with its reason; afterwards no model has predictions."""
    sends = {
        "deep": (PUSH, _one(b'{"a":' * 100 + b"1" + b"}" * 100)),
        "deep value": (PUSH, _one(b'{"sentiment":' + b"[" * 60 + b"]" * 60 + b"}")),
        "NaN score": (
            PUSH,
            b'{"predictions":[{"item_id":1,"model":"m","score":NaN,"value":{"sentiment":"pos"}}]}',
        ),
        "bad UTF-8": (PUSH, _one(b'{"sentiment":"\xff\xfe"}')),
        "surrogate": (PUSH, _one(b'{"note":"\\ud800"}')),
        "oversized": (PUSH, _one(b'{"note":"' + b"x" * (1 << 20) + b'"}')),
        "not a list": (PUSH, b'{"predictions":{"item_id":1}}'),
        "empty": (PUSH, b'{"predictions":[]}'),
        "huge id": (
            PUSH,
            b'{"predictions":[{"item_id":99999999999999999999,"model":"m",'
            b'"value":{"sentiment":"pos"}}]}',
        ),
        "probability 2": (
            PUSH,
            b'{"predictions":[{"item_id":1,"model":"m","value":{"sentiment":'
            b'"pos"},"probabilities":{"sentiment":{"pos":2,"neg":0,'
            b'"meh":0}}}]}',
        ),
        "run unknown key": (RUNS, b'{"model":"m","extra":1}'),
        "run long model": (RUNS, b'{"model":"' + b"m" * 400 + b'"}'),
        "compare NaN": (COMPARE, b'{"a":"m","b":"n","fail_if_worse":NaN}'),
        "compare big": (COMPARE, b'{"a":"m","b":"n","fail_if_worse":5}'),
    }
    seen = {}
    for name, (url, body) in sends.items():
        answer = strict.post(
            url,
            content=body,
            headers={
                "Authorization": f"Bearer {world.tokens['lead']}",
                "Content-Type": "application/json",
            },
        )
        seen[name] = (answer.status_code, answer.json()["message"])
    at = f"{BODY}, field"
    assert seen == {
        "deep": (422, f"{BODY}: {BODY} nests arrays or objects more than 64 deep"),
        "deep value": (
            422,
            f"{at} 'predictions[0].value.sentiment': must be a label (a string), got array",
        ),
        "NaN score": (422, f"{BODY}: invalid JSON: NaN is not valid JSON"),
        "bad UTF-8": (422, f"{BODY}: {BODY} is not UTF-8 (byte 63)"),
        "surrogate": (
            422,
            f"{BODY}: {BODY} holds an unpaired UTF-16 surrogate (such as \\ud800), which is "
            "not valid Unicode",
        ),
        "oversized": (413, "the request body is over this route's limit of 1,048,576 bytes"),
        "not a list": (422, f"{BODY}, field 'predictions': Input should be a valid list"),
        "empty": (
            422,
            f"{BODY}, field 'predictions': List should have at least 1 item after validation, "
            "not 0",
        ),
        "huge id": (
            422,
            f"{at} 'predictions[0].item_id': item_id must be an item id (1 to 2^31 - 1), "
            "got number",
        ),
        "probability 2": (
            422,
            f"{at} 'predictions[0].probabilities.sentiment.pos': a probability must be a "
            "number from 0 to 1, got number",
        ),
        "run unknown key": (422, f"{BODY}, field 'extra': Extra inputs are not permitted"),
        "run long model": (
            422,
            f"{BODY}, field 'model': String should have at most 301 characters",
        ),
        "compare NaN": (422, f"{BODY}: invalid JSON: NaN is not valid JSON"),
        "compare big": (
            422,
            f"{BODY}, field 'fail_if_worse': Input should be less than 1",
        ),
    }
    models = world.call("lead", "GET", "/api/v1/projects/alpha/predictions/models").json()
    assert models == []
