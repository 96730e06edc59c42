"""The webhook core: which webhooks are valid, how a delivery is signed and verified, and
the retry schedule with its jitter."""

from __future__ import annotations

import json
import random
import string
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelworks.domain import webhooks as rules
from labelworks.domain.errors import InvalidInput

SECRET = "s3cr3t"
T = 1767225600  # 2026-01-01T00:00:00Z


def test_the_events_are_the_six_of_the_issue() -> None:
    """Item finalised, lot accepted and rejected, SLA breached, annotator paused and the
    forecast slipping, in that order; ping is not subscribable."""
    assert rules.EVENTS == (
        "item.finalised",
        "lot.accepted",
        "lot.rejected",
        "sla.breached",
        "annotator.paused",
        "forecast.slipped",
    )
    assert rules.PING not in rules.EVENTS


def test_a_valid_webhook_is_trimmed_and_its_events_put_in_order_once() -> None:
    """Spaces around the URL go; events come back once each, in EVENTS order."""
    spec = rules.check_webhook(
        "  https://hooks.example.com:8443/labelworks?team=ops  ",
        ["lot.rejected", "item.finalised", "lot.rejected"],
    )
    assert spec == rules.WebhookSpec(
        "https://hooks.example.com:8443/labelworks?team=ops", ("item.finalised", "lot.rejected")
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.com/x", "must be an http:// or https:// URL with a host"),
        ("https:///path-only", "must be an http:// or https:// URL with a host"),
        ("example.com/hook", "must be an http:// or https:// URL with a host"),
        ("https://user:pw@example.com/", "must not hold credentials"),
        ("https://example.com/#part", "must not have a #fragment"),
        ("https://bücher.example/", "must have an ASCII host"),
        ("https://example.com/a b", "must not contain spaces or control characters"),
        ("https://example.com/\x00", "must not contain spaces or control characters"),
        ("https://example.com:99999/", "is not a URL"),
        ("https://[::1/", "is not a URL"),
        ("https://example.com/" + "a" * 2000, "must be at most 2000 characters"),
    ],
)
def test_a_bad_url_is_refused_naming_the_field(url: str, says: str) -> None:
    """Each way a URL cannot take a webhook is an InvalidInput on field 'url' saying why."""
    with pytest.raises(InvalidInput) as refused:
        rules.check_webhook(url, ["item.finalised"])
    assert refused.value.location is not None
    assert (refused.value.location.field, says in refused.value.message) == ("url", True)


@pytest.mark.parametrize(
    ("events", "says"),
    [
        ([], "choose at least one event"),
        (["item.finalised", "item.created"], "unknown event 'item.created'"),
        (["ping"], "unknown event 'ping'"),
    ],
)
def test_events_must_be_known_and_at_least_one(events: list[str], says: str) -> None:
    """No events, or one not in EVENTS, is refused on field 'events'."""
    with pytest.raises(InvalidInput) as refused:
        rules.check_webhook("https://example.com/h", events)
    assert refused.value.location is not None
    assert (refused.value.location.field, refused.value.message.startswith(says)) == (
        "events",
        True,
    )


def test_secrets_are_long_url_safe_and_fresh() -> None:
    """token_urlsafe(32): 43 URL-safe characters, a new one each time."""
    a, b = rules.new_secret(), rules.new_secret()
    allowed = set(string.ascii_letters + string.digits + "-_")
    assert (len(a), len(b), set(a) <= allowed, a != b) == (43, 43, True, True)


def test_the_signature_matches_openssl() -> None:
    """sha256=HMAC-SHA256(secret, "<timestamp>.<body>"), as computed by
    ``printf '1767225600.{"id":7}' | openssl dgst -sha256 -hmac s3cr3t``."""
    assert rules.signature(SECRET, T, b'{"id":7}') == (
        "sha256=14acc5436de437d639808286f91f6b1f7fb2b60233748b206f1b23784db19dd3"
    )


def test_an_attempt_carries_the_four_headers() -> None:
    """Event, delivery id, timestamp and signature, and a JSON content type."""
    payload = b'{"id":7}'
    sent = rules.headers(SECRET, event="lot.accepted", delivery_id=7, timestamp=T, payload=payload)
    assert sent == {
        "Content-Type": "application/json",
        "User-Agent": "labelworks-webhooks",
        "X-Labelworks-Event": "lot.accepted",
        "X-Labelworks-Delivery": "7",
        "X-Labelworks-Timestamp": str(T),
        "X-Labelworks-Signature": rules.signature(SECRET, T, payload),
    }


def test_verify_accepts_the_signed_and_refuses_everything_else() -> None:
    """The right secret, body and a fresh timestamp pass; a wrong secret, a changed body,
    a timestamp 301 s away, a changed timestamp and a non-number fail."""
    payload = b'{"id":7,"event":"ping"}'
    good = rules.signature(SECRET, T, payload)
    checks = [
        rules.verify(SECRET, str(T), payload, good, now=T + 299),
        rules.verify("other", str(T), payload, good, now=T),
        rules.verify(SECRET, str(T), payload + b" ", good, now=T),
        rules.verify(SECRET, str(T), payload, good, now=T + 301),
        rules.verify(SECRET, str(T), payload, good, now=T - 301),
        rules.verify(SECRET, str(T + 1), payload, good, now=T),
        rules.verify(SECRET, "soon", payload, good, now=T),
    ]
    assert checks == [True, False, False, False, False, False, False]


def test_the_body_is_the_envelope_with_utc_moments() -> None:
    """Compact JSON of id, event, project, created_at and data; naive moments are UTC
    with a Z, aware ones converted to UTC."""
    created = datetime(2026, 1, 1, 12, 30)
    decided = datetime(2026, 1, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    sent = rules.body(9, "item.finalised", "cats", created, {"at": decided, "label": "été"})
    assert (
        sent
        == (
            '{"id":9,"event":"item.finalised","project":"cats","created_at":"2026-01-01T12:30:00Z",'
            '"data":{"at":"2026-01-01T12:30:00Z","label":"été"}}'
        ).encode()
    )
    assert json.loads(sent)["data"]["label"] == "été"


def test_data_that_is_not_json_is_refused() -> None:
    """A value JSON cannot hold (a set, NaN) raises instead of being stored."""
    with pytest.raises(TypeError):
        rules.data_text({"x": {1, 2}})
    with pytest.raises(ValueError):
        rules.data_text({"x": float("nan")})


def test_the_retry_schedule_is_the_documented_one_jittered_by_the_source() -> None:
    """After attempts 1..6 the waits are 10 s, 1 min, 5 min, 30 min, 2 h and 6 h times a
    factor drawn from the given source in [0.8, 1.2]; after the 7th, none."""
    rng, twin = random.Random(20261202), random.Random(20261202)
    waits = [rules.retry_delay(k, rng) for k in range(1, 8)]
    bases = [10, 60, 300, 1800, 7200, 21600]
    assert waits == [base * twin.uniform(0.8, 1.2) for base in bases] + [None]
    assert rules.MAX_ATTEMPTS == 7


@given(st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=2**32))
def test_every_wait_is_within_a_fifth_of_its_delay(attempts: int, seed: int) -> None:
    """Whatever the source, the jitter keeps each wait within ±20% of its delay."""
    wait = rules.retry_delay(attempts, random.Random(seed))
    base = rules.RETRY_DELAYS[attempts - 1]
    assert wait is not None and 0.8 * base <= wait <= 1.2 * base


def test_attempts_count_from_one() -> None:
    """Asking for the wait after no attempt is a programming error."""
    with pytest.raises(ValueError):
        rules.retry_delay(0, random.Random(1))


def test_only_a_2xx_answer_is_delivered() -> None:
    """200–299 deliver; informational, redirects and errors do not."""
    codes = [100, 199, 200, 202, 204, 299, 301, 302, 400, 410, 500, 503]
    assert [c for c in codes if rules.succeeded(c)] == [200, 202, 204, 299]


def test_errors_are_kept_on_one_short_line() -> None:
    """Whitespace runs become one space; past 500 characters the text is cut with an
    ellipsis."""
    assert rules.short_error("connection\n  refused\t") == "connection refused"
    long = rules.short_error("x" * 600)
    assert (len(long), long.endswith("…")) == (500, True)


def test_long_mark_keys_stay_distinct_within_the_column() -> None:
    """Keys up to 200 characters are kept; longer ones become 200 characters ending in
    their hash, so two that share a long prefix stay two."""
    short = "sla.breached:quality_floor:2026-W48:Acme"
    a = rules.mark_key("sla.breached:x:2026-W48:" + "v" * 300 + "a")
    b = rules.mark_key("sla.breached:x:2026-W48:" + "v" * 300 + "b")
    assert (rules.mark_key(short), len(a), len(b), a != b) == (short, 200, 200, True)


def test_wire_moments_are_utc() -> None:
    """An aware moment in another zone is written as the same instant in UTC."""
    moment = datetime(2026, 3, 1, 1, 0, tzinfo=UTC) + timedelta(minutes=5)
    assert rules.data_text({"at": moment}) == '{"at":"2026-03-01T01:05:00Z"}'


def _docs_snippet() -> str:
    """The receiver's check from docs/operations.md: the Python block of "Checking the
    signature"."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    section = docs.split("### Checking the signature", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_receiver_check_accepts_what_labelworks_sends() -> None:
    """The docs' snippet, run as written, accepts a body signed now with its headers and
    refuses it with another secret, a changed body or a timestamp ten minutes old."""
    found: dict[str, Any] = {}
    exec(compile(_docs_snippet(), "operations.md", "exec"), found)  # the docs' own code
    verified = found["verified"]
    payload = rules.body(5, "lot.accepted", "reviews", datetime(2026, 1, 1), {"lot_id": 1})
    now = int(time.time())
    sent = rules.headers(
        SECRET, event="lot.accepted", delivery_id=5, timestamp=now, payload=payload
    )
    stale = rules.headers(
        SECRET, event="lot.accepted", delivery_id=5, timestamp=now - 600, payload=payload
    )
    assert [
        verified(SECRET, sent, payload),
        verified("not it", sent, payload),
        verified(SECRET, sent, payload.replace(b"1}", b"2}")),
        verified(SECRET, stale, payload),
    ] == [True, False, False, False]
