"""Hostile generation bodies and judge names from a manager who may send them: deep, NaN,
bad UTF-8, surrogates, oversized, unknown keys, out-of-range numbers and URLs that are no
endpoint are each refused with the reason, and no job is queued; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.security.conftest import World

from labelworks.config import Settings
from labelworks.server.app import create_app

LIMITS = {"max_request_bytes": 64 * 1024, "max_spec_bytes": 256 * 1024, "max_import_bytes": 1 << 20}
GENERATE = "/api/v1/projects/alpha/generations"
BODY = "request body"
GOOD = b'"prompt":"greeting","endpoint":"http://127.0.0.1:9/v1","model":"m"'


@pytest.fixture
def strict(world: World) -> TestClient:
    """The world's database behind an app with small body limits (so 'oversized' is cheap)."""
    app = create_app(Settings(data_dir=world.data_dir, **LIMITS), database=world.db)
    return TestClient(app, raise_server_exceptions=False)


def test_hostile_generations_queue_nothing(world: World, strict: TestClient) -> None:
    """Each hostile body is refused with its reason; afterwards the project has no job."""
    sends = {
        "deep": b'{"prompt":' + b"[" * 100 + b"]" * 100 + b"}",
        "NaN temperature": b"{" + GOOD + b',"temperature":NaN}',
        "Infinity concurrency": b"{" + GOOD + b',"concurrency":Infinity}',
        "bad UTF-8": b'{"prompt":"\xff\xfe","endpoint":"http://x/v1","model":"m"}',
        "surrogate": b'{"prompt":"greeting","endpoint":"http://x/v1","model":"\\ud800"}',
        # The route takes campaign rows: it has the import limit (1 MiB here).
        "oversized": b"{" + GOOD + b',"field":"' + b"x" * (1 << 20) + b'"}',
        "rows not a list": b"{" + GOOD + b',"as_model":"m","rows":{"id":1}}',
        "rows without a name": b"{" + GOOD + b',"rows":[{"id":"q","prompt":"p"}]}',
        "unknown key": b"{" + GOOD + b',"shell":"rm -rf /"}',
        "hot": b"{" + GOOD + b',"temperature":9}',
        "crowded": b"{" + GOOD + b',"concurrency":100000}',
        "not a URL": b'{"prompt":"greeting","endpoint":"file:///etc/passwd","model":"m"}',
        "credentials in URL": b'{"prompt":"greeting","endpoint":"http://u:p@x/v1","model":"m"}',
        "own secret": b"{" + GOOD + b',"api_key_env":"LABELWORKS_SECRET_KEY"}',
    }
    seen = {}
    for name, body in sends.items():
        answer = strict.post(
            GENERATE,
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
        "NaN temperature": (422, f"{BODY}: invalid JSON: NaN is not valid JSON"),
        "Infinity concurrency": (422, f"{BODY}: invalid JSON: Infinity is not valid JSON"),
        "bad UTF-8": (422, f"{BODY}: {BODY} is not UTF-8 (byte 11)"),
        "surrogate": (
            422,
            f"{BODY}: {BODY} holds an unpaired UTF-16 surrogate (such as \\ud800), which is "
            "not valid Unicode",
        ),
        "oversized": (413, "the request body is over this route's limit of 1,048,576 bytes"),
        "rows not a list": (422, f"{at} 'rows': Input should be a valid list"),
        "rows without a name": (
            422,
            "a campaign's outputs need as_model (one of its models), no field",
        ),
        "unknown key": (422, f"{at} 'shell': Extra inputs are not permitted"),
        "hot": (422, f"{at} 'temperature': Input should be less than or equal to 2"),
        "crowded": (422, f"{at} 'concurrency': Input should be less than or equal to 64"),
        "not a URL": (
            422,
            "endpoint 'file:///etc/passwd' must be an http:// or https:// URL with a host "
            "(the API's base, e.g. …/v1)",
        ),
        "credentials in URL": (
            422,
            "endpoint 'http://u:p@x/v1' must not hold credentials: name the key's environment "
            "variable in api_key_env",
        ),
        "own secret": (
            422,
            "api key variable 'LABELWORKS_SECRET_KEY' is not one labelworks may send: add it to "
            "LABELWORKS_LLM_KEY_VARIABLES (now: OPENAI_API_KEY)",
        ),
    }
    jobs = world.call("lead", "GET", "/api/v1/jobs?project=alpha").json()
    assert jobs == []


def test_hostile_judge_names_are_refused(world: World, strict: TestClient) -> None:
    """A judge name too long, with a NUL or unknown is refused before anything is queued."""
    seen = {}
    for name in ("x" * 65, "a%00b", "nope", "..%2F..%2Fadmin"):
        answer = strict.post(
            f"/api/v1/projects/alpha/judges/{name}/runs",
            headers={"Authorization": f"Bearer {world.tokens['lead']}"},
        )
        seen[name] = answer.status_code
    assert seen == {"x" * 65: 422, "a%00b": 422, "nope": 422, "..%2F..%2Fadmin": 404}
