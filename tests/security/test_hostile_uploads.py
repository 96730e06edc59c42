"""Hostile files uploaded on the Data page (``POST /projects/{p}/settings/data/import``, the
file as the body) by a manager who may import: oversized (declared, or streamed without a
length), bad UTF-8, deeply nested JSON, NaN, an unpaired surrogate, 5,000 digits, a deep
JSON array, broken CSV and Parquet, and hostile file names. Each is refused with the
reason (the file and line named), never a server error, and nothing is imported; on
SQLite and PostgreSQL. The API's own import route: test_hostile_input.py."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient
from tests.security import test_hostile_input
from tests.security.conftest import PASSWORD, World
from tests.security.test_hostile_input import HOSTILE, LIMITS

# The world behind an app with small body limits (so 'oversized' is cheap).
strict = test_hostile_input.strict
UPLOAD = "/projects/alpha/settings/data/import"


def _logged_in(client: TestClient, email: str) -> str:
    """Log ``client`` in through the login form; the session's CSRF token."""

    def token(page: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    form = {"email": email, "password": PASSWORD, "csrf_token": token(client.get("/login").text)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return token(client.get("/settings").text)


def _message(answer: httpx.Response) -> str:
    """The reason given: the fragment's error, or the JSON error's message."""
    if answer.headers.get("content-type", "").startswith("text/html"):
        found = re.search(r'data-testid="import-error-message">([^<]*)<', answer.text)
        return html.unescape(found.group(1)) if found else answer.text[:80]
    message: str = answer.json()["message"]
    return message


def test_hostile_uploads_are_refused_and_import_nothing(world: World, strict: TestClient) -> None:
    """Every hostile file and name from a manager: the reason, never a 5xx, no item."""
    csrf = _logged_in(strict, world.email("lead"))
    before = world.call("lead", "GET", "/api/v1/projects/alpha/status").json()["items"]

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    limit = LIMITS["max_import_bytes"]
    sends: dict[str, tuple[str, bytes | Iterator[bytes]]] = {
        "oversized": ("a.jsonl", b" " * (limit + 1)),
        "streamed oversized": ("a.jsonl", chunks()),
        "bad UTF-8": ("a.jsonl", b'{"text":"ok"}\n{"text":"\xff\xfe"}\n'),
        "deep JSON": ("a.jsonl", b'{"text":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"),
        "NaN": ("a.jsonl", b'{"text":"ok"}\n{"text":NaN}\n'),
        "surrogate": ("a.jsonl", b'{"text":"\\ud800"}\n'),
        "5,000 digits": ("a.jsonl", b'{"text":1' + b"0" * 5000 + b"}\n"),
        "deep array": ("a.json", HOSTILE["deep array"]),
        "array of NaN rows": ("a.json", HOSTILE["array of NaN rows"]),
        "broken CSV": ("a.csv", b"text\n\xff\xfe\n"),
        "broken Parquet": ("a.parquet", b"PAR1 not really parquet PAR1"),
        "NUL in the name": ("a\x00.jsonl", b'{"text":"ok"}\n'),
        "over-long name": ("a" * 250 + ".jsonl", b'{"text":"ok"}\n'),
        "no suffix": ("jsonl", b'{"text":"ok"}\n'),
    }
    seen = {}
    for name, (file, body) in sends.items():
        headers = {"X-CSRF-Token": csrf, "Content-Type": "application/octet-stream"}
        answer = strict.post(UPLOAD, params={"file": file}, content=body, headers=headers)
        seen[name] = (answer.status_code, _message(answer))
    after = world.call("lead", "GET", "/api/v1/projects/alpha/status").json()["items"]
    too_large = f"the request body is over this route's limit of {limit:,} bytes"
    assert seen == {
        "oversized": (413, too_large),
        "streamed oversized": (413, too_large),
        "bad UTF-8": (
            422,
            "a.jsonl, line 2: invalid UTF-8 at byte 10 of the line (0xff); save the file as UTF-8",
        ),
        "deep JSON": (
            422,
            "a.jsonl, line 1: invalid JSON: arrays or objects are nested too deeply",
        ),
        "NaN": (422, "a.jsonl, line 2: invalid JSON: NaN is not valid JSON"),
        "surrogate": (
            422,
            "a.jsonl, line 1, field 'payload': payload holds an unpaired UTF-16 surrogate "
            "(such as \\ud800), which is not valid Unicode",
        ),
        "5,000 digits": (
            422,
            "a.jsonl, line 1: invalid JSON: a number has more than 4,300 digits",
        ),
        "deep array": (
            422,
            "a.json, line 1: invalid JSON: arrays or objects are nested too deeply",
        ),
        "array of NaN rows": (422, "a.json, line 2: invalid JSON: NaN is not valid JSON"),
        "broken CSV": (
            422,
            "a.csv, line 2: invalid UTF-8 at byte 1 of the line (0xff); save the file as UTF-8",
        ),
        "broken Parquet": (422, seen["broken Parquet"][1]),  # pyarrow's words
        "NUL in the name": (
            422,
            "field 'query.file': String should match pattern '^[^\\x00/\\\\]+$'",
        ),
        "over-long name": (422, "field 'query.file': String should have at most 255 characters"),
        "no suffix": (
            422,
            "cannot tell the format of jsonl; name it .jsonl, .json, .csv or .parquet",
        ),
    }
    assert seen["broken Parquet"][1].startswith("a.parquet: not a readable Parquet file")
    assert after == before
