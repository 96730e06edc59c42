"""Hostile input, as properties over every API operation in the OpenAPI document × every
kind of caller: oversized, deeply nested, alias-bomb, NaN, unpaired-surrogate, 5,000-digit
and bad-UTF-8 bodies, and ids past what storage holds. Whatever the caller and the body,
the answer is never a server error, always ``{code, message}``, always one the document
declares for that operation, and a hostile body is never accepted; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.security.conftest import World

from labelworks.config import Settings
from labelworks.domain.escalation import Flag
from labelworks.domain.qualification import Rule
from labelworks.server.app import create_app
from labelworks.services import assignment, simulation_runs
from labelworks.storage import consensus as consensus_store
from labelworks.storage import qualification as qualification_store
from labelworks.storage.engine import utcnow

CALLERS = [None, "acme_ann", "acme_rev", "acme_lead", "lead", "admin"]
LIMITS = {"max_request_bytes": 64 * 1024, "max_spec_bytes": 256 * 1024, "max_import_bytes": 1 << 20}
BILLION_LAUGHS = (
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n".encode()
        for i in range(8)
    )
    + b"name: alpha\nfields: *i\n"
)
HOSTILE: dict[str, bytes] = {
    "deep array": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
    "NaN": b'{"value":{"sentiment":NaN},"idempotency_key":"k","email":NaN,"label":NaN}',
    "Infinity": b'{"value":{"sentiment":"pos"},"seconds":Infinity,"idempotency_key":"k"}',
    "unpaired surrogate": (
        b'{"value":{"sentiment":"\\ud800"},"idempotency_key":"\\udfff",'
        b'"email":"a\\ud800@example.org","label":"\\ud800","name":"x"}'
    ),
    "5,000 digits": b'{"seconds":1' + b"0" * 5000 + b',"idempotency_key":"k","value":{}}',
    "bad UTF-8": b'{"label":"\xff\xfe\xfd","email":"\xc3(@example.org"}',
    "alias bomb": BILLION_LAUGHS,
    "deep YAML": b"name: alpha\nfields: " + b"[" * 50_000 + b"]" * 50_000 + b"\n",
    "array of NaN rows": b'[{"text":"a"},{"text":NaN}]',
    "array of deep rows": b'[{"text":' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
}


@pytest.fixture
def strict(world: World) -> TestClient:
    """The world's database behind an app with small body limits (so 'oversized' is cheap)."""
    app = create_app(Settings(data_dir=world.data_dir, **LIMITS), database=world.db)
    return TestClient(app, raise_server_exceptions=False)


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    return [
        (method.upper(), path, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    ]


def _url(world: World, path: str, **override: str) -> str:
    values = {
        "project": "alpha",
        "assignment_id": str(world.assignments["acme_ann"]),
        "email": world.email("acme_ann"),
        "token_id": "1",
        "review_id": "1",
        "item_id": str(world.items[0]),
        "escalation_id": "1",
        "lot_id": "1",
        "annotation_id": "1",
        "run_id": "1",
        "name": "greeting",  # a prompt's name
        "judge": "gpt-judge",
        "webhook_id": "1",
        "delivery_id": "1",
        "vendor": "acme",
        "other": "globex",
        **override,
    }
    return path.format(**values)


def _limit_of(op: dict[str, Any]) -> int:
    kind = op.get("x-body-limit", "request")
    return LIMITS[f"max_{kind}_bytes"]


def _problems(answer: Any, op: dict[str, Any], *, may_succeed: bool) -> list[str]:
    found = []
    if answer.status_code >= 500:
        found.append(f"server error {answer.status_code}")
    if str(answer.status_code) not in op["responses"]:
        found.append(f"undocumented {answer.status_code}")
    if answer.status_code < 400 and not may_succeed:
        found.append(f"accepted with {answer.status_code}")
    if answer.status_code >= 400:
        try:
            body = answer.json()
        except ValueError:
            body = {"not JSON": answer.text[:80]}
        if not {"code", "message"} <= set(body):
            found.append(f"error body {body}")
    return found


def _send(client: TestClient, world: World, who: str | None, method: str, url: str,
          body: bytes, content_type: str) -> Any:  # fmt: skip
    headers = {"Content-Type": content_type}
    if who is not None:
        headers["Authorization"] = f"Bearer {world.tokens[who]}"
    return client.request(method, url, content=body, headers=headers)


# Bodies are refused before any storage is touched: the database makes no difference, and
# every operation × caller × body on PostgreSQL again cost the suite a minute.
@pytest.mark.one_database
def test_hostile_bodies_are_refused_cleanly_everywhere(world: World, strict: TestClient) -> None:
    """Every body-taking operation × every caller × every hostile body (and one just over
    the route's limit): refused with a declared ``{code, message}`` answer, never accepted."""
    problems: dict[tuple[str, str | None, str, str], list[str]] = {}
    sent = 0
    for method, path, op in _operations(strict):
        content = op.get("requestBody", {}).get("content")
        if not content:
            continue
        oversized = b" " * (_limit_of(op) + 1)
        bodies = {**HOSTILE, "oversized": oversized}
        for who, (name, body), kind in itertools.product(CALLERS, bodies.items(), content):
            answer = _send(strict, world, who, method, _url(world, path), body, kind)
            sent += 1
            if found := _problems(answer, op, may_succeed=False):
                problems[(f"{method} {path}", who, name, kind)] = found
            if name == "oversized" and answer.status_code not in (401, 403, 404, 413):
                problems[(f"{method} {path}", who, name, kind)] = [f"{answer.status_code}"]
    assert (problems, sent > 700) == ({}, True)


def test_a_body_over_the_limit_is_refused_while_it_streams(
    world: World, strict: TestClient
) -> None:
    """A chunked body with no Content-Length is cut off at the limit with 413."""

    def chunks() -> Any:
        for _ in range(64):
            yield b" " * 65536

    headers = {"Authorization": f"Bearer {world.tokens['lead']}"}
    answers = [
        strict.post(url, content=chunks(), headers={**headers, "Content-Type": kind})
        for url, kind in [
            ("/api/v1/projects/alpha/items", "application/x-ndjson"),
            ("/api/v1/me/tokens", "application/json"),
        ]
    ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (413, "payload_too_large"),
        (413, "payload_too_large"),
    ]


def test_spec_bombs_are_refused_by_the_loader_for_managers(world: World) -> None:
    """A manager's alias bomb and deeply nested specs are refused as invalid specs (with
    the reason) rather than expanded; an annotator's are refused before being read."""
    kinds = {
        "alias bomb": ("application/yaml", BILLION_LAUGHS, "expands to more than"),
        "deep YAML": ("application/yaml", HOSTILE["deep YAML"], "nests more than"),
        "deep JSON": ("application/json", HOSTILE["deep object"], "nests arrays or objects"),
    }
    seen = {}
    for name, (kind, body, reason) in kinds.items():
        lead = _send(world.client, world, "lead", "PUT", "/api/v1/projects/alpha", body, kind)
        ann = _send(world.client, world, "acme_ann", "PUT", "/api/v1/projects/alpha", body, kind)
        seen[name] = (lead.status_code, reason in lead.json()["message"], ann.status_code)
    assert seen == {name: (422, True, 403) for name in kinds}


def test_hostile_spec_checks_change_nothing(world: World, strict: TestClient) -> None:
    """``spec/check`` (the spec editor's and the SDK's dry run) sent hostile specs by a
    manager who may apply them: each refused as the apply refuses it, with the reason; an
    annotator's refused before being read; the spec stays at revision 1."""
    url = "/api/v1/projects/alpha/spec/check"
    sends = {
        "alias bomb": ("application/yaml", BILLION_LAUGHS, "expands to more than"),
        "deep YAML": ("application/yaml", HOSTILE["deep YAML"], "nests more than"),
        "deep JSON": ("application/json", HOSTILE["deep object"], "nests arrays or objects"),
        "NaN": ("application/json", b'{"name":"alpha","overlap":NaN}', "NaN is not valid"),
        "bad UTF-8": ("application/yaml", b"name: alpha\ndescription: \xff\n", "not UTF-8"),
        "surrogate": ("application/json", b'{"name":"alpha","description":"\\ud800"}', "surrogate"),
        "oversized": ("application/yaml", b"name: " + b"x" * 300_000, "over this route's limit"),
    }
    seen = {}
    for name, (kind, body, reason) in sends.items():
        lead = _send(strict, world, "lead", "POST", url, body, kind)
        ann = _send(strict, world, "acme_ann", "POST", url, body, kind)
        seen[name] = (lead.status_code, reason in lead.json()["message"], ann.status_code)
    revisions = world.call("lead", "GET", "/api/v1/projects/alpha/spec/revisions").json()
    assert seen == {
        **{name: (422, True, 403) for name in sends if name != "oversized"},
        "oversized": (413, True, 403),
    }
    assert [r["revision"] for r in revisions] == [1]


@pytest.mark.parametrize("value", [str(2**31), str(2**63), str(2**64), "-1", "0", "1e3"])
def test_ids_past_storage_are_invalid_input(world: World, value: str) -> None:
    """An id no column can hold is a 422 on every operation that takes one, never a 500."""
    ids = dict.fromkeys(("assignment_id", "token_id", "item_id", "escalation_id"), value)
    ids["review_id"] = value
    answers = {
        f"{method} {path}": world.call(
            "admin", method, _url(world, path, **ids), json={}
        ).status_code
        for method, path, _ in _operations(world.client)
        if any(f"{{{name}}}" in path for name in ids)
    }
    after = world.call("admin", "GET", f"/api/v1/projects/alpha/items?after={value}")
    item_page = world.call("admin", "GET", f"/projects/alpha/items/{value}").status_code
    assert (answers, after.status_code, item_page) == (
        dict.fromkeys(answers, 422),
        200 if value == "0" else 422,
        422,
    )


def test_imports_of_an_array_and_of_jsonl_fail_alike(world: World) -> None:
    """The same bad rows as a JSON array and as JSONL get the same 422 (one decoding path)."""
    rows = [
        (b'{"text":"ok"}', b'{"text":NaN}', "NaN is not valid JSON"),
        (b'{"text":"ok"}', b'{"text":"\\ud800"}', "unpaired UTF-16 surrogate"),
        (b'{"text":"ok"}', b'{"text":1' + b"0" * 5000 + b"}", "digits"),
        (b'{"text":"ok"}', b'{"text":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
    ]
    seen = []
    for good, bad, reason in rows:
        array = world.call(
            "lead",
            "POST",
            "/api/v1/projects/alpha/items",
            content=b"[" + good + b",\n  " + bad + b"]",
            headers={"Content-Type": "application/json"},
        )
        lines = world.call(
            "lead",
            "POST",
            "/api/v1/projects/alpha/items",
            content=good + b"\n" + bad + b"\n",
            headers={"Content-Type": "application/x-ndjson"},
        )
        seen.append(
            (
                array.status_code,
                array.json()["location"]["line"],
                array.json()["message"] == lines.json()["message"],
                reason in array.json()["message"],
            )
        )
    assert seen == [(422, 2, True, True)] * len(rows)


def test_hostile_gold_bodies_from_a_manager_change_nothing(
    world: World, strict: TestClient
) -> None:
    """The gold routes' bodies, sent by a manager who may use them: deep, NaN, bad UTF-8,
    oversized, unknown keys, over-long text and a deep answer are each refused with the
    reason; no item became gold, nobody was paused, nothing was requeued."""
    item = f"/api/v1/projects/alpha/items/{world.items[0]}/gold"
    member = f"/api/v1/projects/alpha/members/{world.email('acme_ann')}"
    deep_answer = b'{"value":{"sentiment":' + b"[" * 60 + b"]" * 60 + b"}}"
    sends = {
        "deep": (item, "PUT", b'{"value":' + b'{"a":' * 100 + b"1" + b"}" * 101),
        "NaN": (item, "PUT", HOSTILE["NaN"]),
        "bad UTF-8": (f"{member}/pause", "POST", HOSTILE["bad UTF-8"]),
        "surrogate": (f"{member}/requeue", "POST", b'{"reason":"\\ud800"}'),
        "oversized": (item, "PUT", b'{"value":{"sentiment":"' + b"p" * 70_000 + b'"}}'),
        "unknown key": (item, "PUT", b'{"value":{"sentiment":"pos"},"gold":true}'),
        "long explanation": (
            item,
            "PUT",
            b'{"value":{"sentiment":"pos"},"explanation":"' + b"x" * 10_001 + b'"}',
        ),
        "long reason": (f"{member}/pause", "POST", b'{"reason":"' + b"x" * 2_001 + b'"}'),
        "deep answer": (item, "PUT", deep_answer),
    }
    seen = {}
    for name, (url, method, body) in sends.items():
        answer = _send(strict, world, "lead", method, url, body, "application/json")
        seen[name] = (answer.status_code, answer.json()["message"])
    after = {
        "gold": world.call("lead", "GET", "/api/v1/projects/alpha/gold").json(),
        "next": world.call("acme_ann", "POST", "/api/v1/projects/alpha/next").status_code,
        "annotations": world.call("lead", "GET", "/api/v1/projects/alpha/status").json()[
            "annotations"
        ],
    }
    body = "request body"
    assert seen == {
        "deep": (422, f"{body}: {body} nests arrays or objects more than 64 deep"),
        "NaN": (422, f"{body}: invalid JSON: NaN is not valid JSON"),
        "bad UTF-8": (422, f"{body}: {body} is not UTF-8 (byte 10)"),
        "surrogate": (
            422,
            f"{body}: {body} holds an unpaired UTF-16 surrogate (such as \\ud800), which is "
            "not valid Unicode",
        ),
        "oversized": (413, "the request body is over this route's limit of 65,536 bytes"),
        "unknown key": (422, f"{body}, field 'gold': Extra inputs are not permitted"),
        "long explanation": (
            422,
            f"{body}, field 'explanation': String should have at most 10000 characters",
        ),
        "long reason": (422, f"{body}, field 'reason': String should have at most 2000 characters"),
        "deep answer": (422, "field 'sentiment': must be a label (a string), got array"),
    }
    assert after == {"gold": {"items": [], "next_after": None}, "next": 200, "annotations": 4}


def test_hostile_adjudication_and_simulation_bodies_change_nothing(
    world: World, strict: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adjudication and simulation bodies, sent by a manager who may use them: deep,
    NaN, bad UTF-8, unpaired surrogates, oversized, 5,000 digits, unknown keys, over-long
    notes, runs too large for a request and a deep answer are each refused with the reason;
    the item still waits for an expert and no simulation ran."""
    item = world.items[0]
    with world.db.write() as conn:
        consensus_store.record_final(
            conn,
            item_id=item,
            project_id=1,
            value={"sentiment": "pos"},
            method="majority",
            confidence=0.5,
            fields={"sentiment": 0.5},
            annotation_ids=[],
            status="adjudication",
            now=utcnow(),
        )
    ran: list[object] = []
    monkeypatch.setattr(simulation_runs, "simulate", lambda *a, **k: ran.append(a) or {})
    decide = f"/api/v1/projects/alpha/items/{item}/adjudicate"
    sim = "/api/v1/simulations"
    spec = b'{"name":"s","fields":[{"name":"l","kind":"choice","labels":["a","b"]}]}'
    sends = {
        "deep": (decide, b'{"value":' + b'{"a":' * 100 + b"1" + b"}" * 101),
        "NaN": (decide, b'{"value":{"sentiment":NaN}}'),
        "bad UTF-8": (decide, b'{"value":{"sentiment":"pos"},"note":"\xff\xfe"}'),
        "surrogate": (decide, b'{"value":{"sentiment":"pos"},"note":"\\ud800"}'),
        "oversized": (decide, b'{"value":{"sentiment":"' + b"p" * 70_000 + b'"}}'),
        "unknown key": (decide, b'{"value":{"sentiment":"pos"},"by":"someone"}'),
        "long note": (decide, b'{"value":{"sentiment":"pos"},"note":"' + b"x" * 2_001 + b'"}'),
        "deep answer": (decide, b'{"value":{"sentiment":' + b"[" * 60 + b"]" * 60 + b"}}"),
        "deep spec": (sim, b'{"spec":' + b'{"a":' * 100 + b"1" + b"}" * 101),
        "sim NaN": (sim, b'{"spec":' + spec + b',"spammers":NaN}'),
        "sim bad UTF-8": (sim, b'{"spec":{"name":"\xc3("}}'),
        "sim oversized": (sim, b'{"spec":{"name":"' + b"x" * 300_000 + b'"}}'),
        "5,000 digits": (sim, b'{"spec":' + spec + b',"items":1' + b"0" * 5000 + b"}"),
        "too many items": (sim, b'{"spec":' + spec + b',"items":5001}'),
        "sim unknown key": (sim, b'{"spec":' + spec + b',"expert_skill":0.5}'),
        "bad spec": (sim, b'{"spec":{"name":"s","fields":[]}}'),
    }
    seen = {}
    for name, (url, body) in sends.items():
        answer = _send(strict, world, "lead", "POST", url, body, "application/json")
        seen[name] = (answer.status_code, answer.json()["message"])
    queue = world.call("lead", "GET", "/api/v1/projects/alpha/adjudication").json()["items"]
    body = "request body"
    deep = (422, f"{body}: {body} nests arrays or objects more than 64 deep")
    nan = (422, f"{body}: invalid JSON: NaN is not valid JSON")
    assert seen == {
        "deep": deep,
        "NaN": nan,
        "bad UTF-8": (422, f"{body}: {body} is not UTF-8 (byte 37)"),
        "surrogate": (
            422,
            f"{body}: {body} holds an unpaired UTF-16 surrogate (such as \\ud800), which is "
            "not valid Unicode",
        ),
        "oversized": (413, "the request body is over this route's limit of 65,536 bytes"),
        "unknown key": (422, f"{body}, field 'by': Extra inputs are not permitted"),
        "long note": (422, f"{body}, field 'note': String should have at most 2000 characters"),
        "deep answer": (422, "field 'sentiment': must be a label (a string), got array"),
        "deep spec": deep,
        "sim NaN": nan,
        "sim bad UTF-8": (422, f"{body}: {body} is not UTF-8 (byte 17)"),
        "sim oversized": (413, "the request body is over this route's limit of 262,144 bytes"),
        "5,000 digits": (422, f"{body}: invalid JSON: a number has more than 4,300 digits"),
        "too many items": (
            422,
            f"{body}, field 'items': Input should be less than or equal to 5000",
        ),
        "sim unknown key": (422, f"{body}, field 'expert_skill': Extra inputs are not permitted"),
        "bad spec": (422, "spec, field 'fields': a project needs at least one field"),
    }
    assert ([(c["item_id"], c["proposal"]) for c in queue], ran) == (
        [(item, {"sentiment": "pos"})],
        [],
    )


def test_hostile_qualification_retries_change_nothing(world: World) -> None:
    """Letting someone retry the qualification test with hostile emails in the path (over
    long, an encoded slash, SQL, a look-alike letter, invalid UTF-8) or as the wrong caller
    (an annotator; a vendor's manager reaching another vendor's person): each is refused
    with the reason, and the member who failed still has their failed attempt; a NUL in the
    path is invalid input on both databases."""
    rule = Rule(items=1, pass_share=1.0, retries=0)
    with world.db.write() as conn:
        qualification_store.record_answer(conn, 1, world.ids["globex_ann"], rule, False, utcnow())
    base = "/api/v1/projects/alpha/members"
    emails = {
        "over long": "a" * 321,
        "encoded slash": "ann%2F..%2F@globex.example",
        "SQL": "' OR 1=1 --",
        "look-alike": "ann@glob%D0%B5x.example",
        "invalid UTF-8": "ann%ED%A0%80@globex.example",
    }
    seen = {}
    for name, email in emails.items():
        answer = world.call("lead", "POST", f"{base}/{email}/qualification/retry")
        seen[name] = (answer.status_code, answer.json()["code"])
    for who in ("acme_ann", "acme_lead"):
        answer = world.call(who, "POST", f"{base}/{world.email('globex_ann')}/qualification/retry")
        seen[who] = (answer.status_code, answer.json()["code"])
    report = world.call("lead", "GET", "/api/v1/projects/alpha/qualification").json()
    globex = next(m for m in report["members"] if m["email"] == world.email("globex_ann"))
    assert seen == {
        "over long": (422, "invalid_input"),
        "encoded slash": (404, "not_found"),
        "SQL": (404, "not_found"),
        "look-alike": (404, "not_found"),
        "invalid UTF-8": (404, "not_found"),
        "acme_ann": (403, "permission_denied"),
        "acme_lead": (404, "not_found"),
    }
    assert (globex["failed_attempts"], globex["answered"]) == (1, 0)
    nul = world.call("lead", "POST", f"{base}/ann%00@globex.example/qualification/retry")
    assert (nul.status_code, nul.json()["code"]) == (422, "invalid_input")


def test_hostile_review_decisions_from_a_manager_change_nothing(
    world: World, strict: TestClient
) -> None:
    """The review decision's bodies, sent by a manager who may review: deep, NaN, bad
    UTF-8, a surrogate, oversized, unknown keys, an over-long comment or reason, a deep
    fix, a value that is no object and a decision that is none are each refused with the
    reason; the review still waits with its value."""
    spec = world.call("lead", "GET", "/api/v1/projects/alpha").json()["spec"]
    spec["quality"] = {"review": {"first_n": 10}}
    applied = world.call("lead", "PUT", "/api/v1/projects/alpha", json=spec)
    submit = f"/api/v1/assignments/{world.assignments['acme_ann']}/submit"
    body = {"value": {"sentiment": "pos"}, "idempotency_key": "hostile-review"}
    submitted = world.call("acme_ann", "POST", submit, json=body)
    sends = {
        "deep": b'{"decision":"fix","value":' + b'{"a":' * 100 + b"1" + b"}" * 101,
        "NaN": b'{"decision":"fix","value":{"sentiment":NaN}}',
        "bad UTF-8": b'{"decision":"accept","comment":"\xff\xfe"}',
        "surrogate": b'{"decision":"accept","comment":"\\ud800"}',
        "oversized": b'{"decision":"accept","comment":"' + b"x" * 70_000 + b'"}',
        "unknown key": b'{"decision":"accept","score":1}',
        "long comment": b'{"decision":"accept","comment":"' + b"x" * 2_001 + b'"}',
        "long reason": b'{"decision":"reject","reason":"' + b"x" * 2_001 + b'"}',
        "deep fix": b'{"decision":"fix","value":{"sentiment":' + b"[" * 60 + b"]" * 60 + b"}}",
        "value no object": b'{"decision":"fix","value":["neg"]}',
        "no decision": b'{"decision":"delete"}',
    }
    seen = {}
    for name, raw in sends.items():
        url = "/api/v1/projects/alpha/reviews/1"
        answer = _send(strict, world, "lead", "POST", url, raw, "application/json")
        seen[name] = (answer.status_code, answer.json()["message"])
    after = world.call("lead", "GET", "/api/v1/projects/alpha/reviews").json()["items"]
    body_ = "request body"
    assert (applied.status_code, submitted.status_code) == (200, 200)
    assert seen == {
        "deep": (422, f"{body_}: {body_} nests arrays or objects more than 64 deep"),
        "NaN": (422, f"{body_}: invalid JSON: NaN is not valid JSON"),
        "bad UTF-8": (422, f"{body_}: {body_} is not UTF-8 (byte 32)"),
        "surrogate": (
            422,
            f"{body_}: {body_} holds an unpaired UTF-16 surrogate (such as \\ud800), which is "
            "not valid Unicode",
        ),
        "oversized": (413, "the request body is over this route's limit of 65,536 bytes"),
        "unknown key": (422, f"{body_}, field 'score': Extra inputs are not permitted"),
        "long comment": (
            422,
            f"{body_}, field 'comment': String should have at most 2000 characters",
        ),
        "long reason": (
            422,
            f"{body_}, field 'reason': String should have at most 2000 characters",
        ),
        "deep fix": (422, "field 'sentiment': must be a label (a string), got array"),
        "value no object": (
            422,
            f"{body_}, field 'value': Input should be a valid dictionary",
        ),
        "no decision": (
            422,
            f"{body_}, field 'decision': Input should be 'accept', 'reject' or 'fix'",
        ),
    }
    assert [(r["id"], r["status"], r["value"]) for r in after] == [
        (1, "pending", {"sentiment": "pos"})
    ]


def test_hostile_flags_and_resolutions_change_nothing(world: World, strict: TestClient) -> None:
    """Flags on a skip and a submit, and an expert's resolution, sent with hostile bodies
    (an over-long or oversized comment, deep, NaN, bad UTF-8, unknown keys, an over-long
    note, a deep answer): each is refused with the reason; the annotator's lease stays,
    nothing is flagged and the open flag stays open."""
    lead = world.ids["lead"]
    task = assignment.next_task_for(world.db, "alpha", lead)
    assert task is not None
    assignment.skip_task(world.db, task.assignment_id, lead, flag=Flag("ambiguous", "why"))
    work = f"/api/v1/assignments/{world.assignments['acme_ann']}"
    resolve = "/api/v1/projects/alpha/escalations/1/resolve"
    flag = b'{"flag":{"kind":"edge_case","comment":"'
    sends = {
        "long comment": ("acme_ann", f"{work}/skip", flag + b"x" * 2_001 + b'"}}'),
        "oversized comment": ("acme_ann", f"{work}/skip", flag + b"x" * 70_000 + b'"}}'),
        "deep flag": ("acme_ann", f"{work}/skip", b'{"flag":' + b'{"a":' * 100 + b"1" + b"}" * 101),
        "NaN flag": ("acme_ann", f"{work}/skip", b'{"flag":{"kind":NaN,"comment":"x"}}'),
        "bad UTF-8 comment": ("acme_ann", f"{work}/skip", flag + b'\xff\xfe"}}'),
        "unknown flag key": (
            "acme_ann",
            f"{work}/submit",
            b'{"value":{"sentiment":"pos"},"idempotency_key":"h","flag":'
            b'{"kind":"ambiguous","comment":"x","severity":9}}',
        ),
        "long note": ("lead", resolve, b'{"note":"' + b"x" * 10_001 + b'"}'),
        "NaN answer": ("lead", resolve, b'{"note":"n","answer":{"sentiment":NaN}}'),
        "deep answer": (
            "lead",
            resolve,
            b'{"note":"n","answer":{"sentiment":' + b"[" * 60 + b"]" * 60 + b"}}",
        ),
        "unknown key": ("lead", resolve, b'{"note":"n","gold":true}'),
    }
    seen = {}
    for name, (who, url, body) in sends.items():
        answer = _send(strict, world, who, "POST", url, body, "application/json")
        seen[name] = (answer.status_code, answer.json()["message"])
    queue = world.call("lead", "GET", "/api/v1/projects/alpha/escalations?status=all").json()
    again = world.call("acme_ann", "POST", "/api/v1/projects/alpha/next").json()
    body = "request body"
    assert seen == {
        "long comment": (
            422,
            f"{body}, field 'flag.comment': String should have at most 2000 characters",
        ),
        "oversized comment": (413, "the request body is over this route's limit of 65,536 bytes"),
        "deep flag": (422, f"{body}: {body} nests arrays or objects more than 64 deep"),
        "NaN flag": (422, f"{body}: invalid JSON: NaN is not valid JSON"),
        "bad UTF-8 comment": (422, f"{body}: {body} is not UTF-8 (byte 39)"),
        "unknown flag key": (
            422,
            f"{body}, field 'flag.severity': Extra inputs are not permitted",
        ),
        "long note": (422, f"{body}, field 'note': String should have at most 10000 characters"),
        "NaN answer": (422, f"{body}: invalid JSON: NaN is not valid JSON"),
        "deep answer": (422, "field 'sentiment': must be a label (a string), got array"),
        "unknown key": (422, f"{body}, field 'gold': Extra inputs are not permitted"),
    }
    assert [(e["id"], e["status"], e["comment"]) for e in queue["items"]] == [(1, "open", "why")]
    assert again["assignment_id"] == world.assignments["acme_ann"]


def test_hostile_agreement_filters_are_refused_cleanly(world: World, strict: TestClient) -> None:
    """Bad dates, huge strings, NUL and bad UTF-8 in the agreement's query parameters, on
    the API, the page and its poll, are 4xx answers (the API's with its error shape), never
    a server error, for every kind of caller."""
    queries = {
        "bad date": "since=2026-02-30",
        "words": "until=next%20tuesday",
        "huge date": "since=" + "9" * 20_000,
        "huge vendor": "vendor=" + "a" * 20_000,
        "huge period": "period=" + "7d" * 10_000,
        "NUL vendor": "vendor=ac%00me",
        "NUL field": "field=senti%00ment",
        "bad UTF-8 vendor": "vendor=%ff%fe%fd",
        "bad UTF-8 date": "since=%c3%28",
        "year 0": "since=0000-01-01",
        "past UTC's range": "since=9999-12-31T23:59:59-23:59",
        "inverted": "since=2026-01-02&until=2026-01-01",
    }
    problems = {}
    for who in ("acme_ann", "acme_lead", "lead", "admin"):
        for name, query in queries.items():
            for path in ("/api/v1/projects/alpha/agreement", "/projects/alpha/agreement"):
                if name == "huge period" and path.startswith("/api/"):
                    continue  # the page's preset; the API takes dates and ignores it
                answer = _send(strict, world, who, "GET", f"{path}?{query}", b"", "text/plain")
                api = path.startswith("/api/")
                shape_ok = not api or {"code", "message"} <= set(answer.json())
                if not 400 <= answer.status_code < 500 or not shape_ok:
                    problems[(who, name, path)] = answer.status_code
            poll = _send(
                strict, world, who, "GET", f"/projects/alpha/agreement/ready?{query}", b"", ""
            )
            if poll.status_code >= 500:
                problems[(who, name, "ready")] = poll.status_code
    assert problems == {}
