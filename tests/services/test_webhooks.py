"""Webhooks through the service layer, on every database, against a real receiver on a
socket: who may manage them, the outbox (an event is queued in its change's transaction
and never outlives a rollback), signed deliveries, retries on 5xx and timeouts by the
backoff schedule, failure after the last attempt, redelivery, and the log."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.services.builders import make_project
from tests.webhook_receiver import Receiver

from labelworks.domain import webhooks as rules
from labelworks.domain.access import Actor, Role
from labelworks.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from labelworks.services import users as user_service
from labelworks.services import webhooks as service
from labelworks.services.webhook_delivery import HOLD, deliver_due
from labelworks.storage import projects as project_store
from labelworks.storage import webhooks as store
from labelworks.storage.engine import Database, utcnow

SEED = 20261202


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One client for the module, as a dispatcher keeps one (making one takes 0.4 s)."""
    with httpx.Client(timeout=5.0, follow_redirects=False) as made:
        yield made


def _project_id(db: Database, name: str) -> int:
    with db.read() as conn:
        found = project_store.by_name(conn, name)
    assert found is not None
    return found.id


def _emit(db: Database, project: str, event: str, data: dict[str, object]) -> int:
    project_id = _project_id(db, project)
    with db.write() as conn:
        return service.emit(conn, project_id, event, data)


def _unix(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def _later(seconds: float = 1.0) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def test_a_webhook_is_made_with_a_secret_shown_once_and_listed_without_it(db: Database) -> None:
    """Making one returns its secret; the list shows URL, events, active and no deliveries,
    and nothing in a listed row holds the secret."""
    project = make_project(db)
    made = service.create_webhook(
        db, project, url=" https://hooks.example.com/lw ", events=["lot.rejected", "lot.accepted"]
    )
    listed = service.project_webhooks(db, project)
    assert (len(made.secret), made.webhook) == (43, listed[0])
    row = listed[0]
    assert (row.url, row.events, row.active, row.pending, row.failed, row.last_status) == (
        "https://hooks.example.com/lw",
        ["lot.accepted", "lot.rejected"],
        True,
        0,
        0,
        None,
    )
    assert made.secret not in repr(row)


def test_bad_webhooks_and_unknown_ids_are_refused_and_change_nothing(db: Database) -> None:
    """A bad URL or event list is InvalidInput naming the field; another project's or a
    missing webhook is NotFound; an update asking for nothing is InvalidInput."""
    project = make_project(db)
    other = make_project(db, name="other")
    theirs = service.create_webhook(db, other, url="https://x.example/h", events=["lot.accepted"])
    with pytest.raises(InvalidInput, match="must not hold credentials"):
        service.create_webhook(db, project, url="https://u:p@x.example/", events=["lot.accepted"])
    with pytest.raises(InvalidInput, match="choose at least one event"):
        service.create_webhook(db, project, url="https://x.example/h", events=[])
    for attempt in (
        lambda: service.remove_webhook(db, project, theirs.webhook.id),
        lambda: service.update_webhook(db, project, theirs.webhook.id, active=False),
        lambda: service.ping_webhook(db, project, 999),
        lambda: service.delivery_log(db, project, webhook_id=theirs.webhook.id),
        lambda: service.redeliver(db, project, 999),
    ):
        with pytest.raises(NotFound):
            attempt()
    with pytest.raises(InvalidInput, match="say what to change"):
        service.update_webhook(db, other, theirs.webhook.id)
    assert (service.project_webhooks(db, project), service.project_webhooks(db, other)) == (
        [],
        [theirs.webhook],
    )


def test_only_managers_outside_vendors_manage_webhooks(db: Database) -> None:
    """A vendor's manager is refused (events carry every vendor's work); a reviewer may not
    manage; an outsider is told the project does not exist; an in-house manager may."""
    project = make_project(db)

    def actor(email: str, role: str, vendor: str | None, member: bool = True) -> Actor:
        made = user_service.add_user(
            db, email, role=role, vendor=vendor, projects=[project] if member else []
        )
        return Actor(made.user.id, made.user.email, Role(role), vendor)

    walled = actor("vm@acme.example", "manager", "acme")
    reviewer = actor("rev@x.example", "reviewer", None)
    outsider = actor("out@x.example", "manager", None, member=False)
    lead = actor("lead@x.example", "manager", None)
    url, events = "https://x.example/h", ["item.finalised"]
    with pytest.raises(PermissionDenied, match="vendors' staff may not manage them"):
        service.create_webhook(db, project, url=url, events=events, actor=walled)
    with pytest.raises(PermissionDenied):
        service.project_webhooks(db, project, actor=reviewer)
    with pytest.raises(NotFound):
        service.delivery_log(db, project, actor=outsider)
    made = service.create_webhook(db, project, url=url, events=events, actor=lead)
    assert made.webhook.created_by == "lead@x.example"
    with pytest.raises(PermissionDenied):
        service.delivery_log(db, project, actor=walled)


def test_a_project_has_at_most_twenty_webhooks(db: Database) -> None:
    """The 21st is a conflict."""
    project = make_project(db)
    for k in range(rules.MAX_WEBHOOKS):
        service.create_webhook(db, project, url=f"https://x.example/{k}", events=["lot.accepted"])
    with pytest.raises(Conflict, match="already has 20 webhooks"):
        service.create_webhook(db, project, url="https://x.example/21", events=["lot.accepted"])


def test_emit_queues_one_delivery_per_active_subscriber_only(db: Database) -> None:
    """Of four webhooks — subscribed, subscribed but paused, not subscribed, another
    project's — one delivery is queued, pending and due now."""
    project = make_project(db)
    other = make_project(db, name="other")
    wanted = service.create_webhook(db, project, url="https://a.example/", events=["lot.accepted"])
    paused = service.create_webhook(db, project, url="https://b.example/", events=["lot.accepted"])
    service.update_webhook(db, project, paused.webhook.id, active=False)
    service.create_webhook(db, project, url="https://c.example/", events=["lot.rejected"])
    service.create_webhook(db, other, url="https://d.example/", events=["lot.accepted"])
    assert _emit(db, project, "lot.accepted", {"lot_id": 4}) == 1
    (queued,) = service.delivery_log(db, project)
    assert (queued.webhook_id, queued.event, queued.data, queued.status, queued.attempts) == (
        wanted.webhook.id,
        "lot.accepted",
        {"lot_id": 4},
        "pending",
        0,
    )
    assert queued.next_attempt_at == queued.created_at
    assert service.delivery_log(db, other) == []


def test_an_event_whose_transaction_rolls_back_is_never_sent(
    db: Database, client: httpx.Client
) -> None:
    """The outbox rule: emit, then fail in the same transaction — no delivery exists and
    the dispatcher sends nothing."""
    project = make_project(db)
    with Receiver() as hook:
        service.create_webhook(db, project, url=hook.url, events=["lot.rejected"])
        project_id = _project_id(db, project)
        with pytest.raises(RuntimeError), db.write() as conn:
            assert service.emit(conn, project_id, "lot.rejected", {"lot_id": 1}) == 1
            raise RuntimeError("the change failed")
        sent = deliver_due(db, now=_later(), client=client)
        assert (service.delivery_log(db, project), sent, hook.requests) == ([], [], [])


def test_emit_once_announces_a_lasting_condition_once(db: Database) -> None:
    """The same key twice queues one delivery; another key queues another."""
    project = make_project(db)
    service.create_webhook(db, project, url="https://x.example/", events=["sla.breached"])
    project_id = _project_id(db, project)
    with db.write() as conn:
        firsts = [
            service.announce_sla_breach(
                conn,
                project_id,
                vendor="Acme",
                period=week,
                measure="quality_floor",
                target=0.9,
                actual=0.82,
            )
            for week in ("2026-W48", "2026-W48", "2026-W49")
        ]
    log = service.delivery_log(db, project)
    assert (firsts, [d.data["period"] for d in log]) == (
        [True, False, True],
        ["2026-W49", "2026-W48"],
    )


def test_a_delivery_is_posted_signed_and_logged_as_delivered(
    db: Database, client: httpx.Client
) -> None:
    """The receiver gets the envelope with the four headers; its own check of the
    signature (the docs' recipe) passes; the log says delivered, 200, one attempt."""
    project = make_project(db)
    with Receiver() as hook:
        made = service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 3, "name": "batch 1"})
        now = _later()
        (attempt,) = deliver_due(db, now=now, client=client)
        (got,) = hook.requests
        (logged,) = service.delivery_log(db, project)
    assert (attempt.status, attempt.response_status, got.path) == ("delivered", 200, "/hook")
    assert got.verified(made.secret, now=_unix(now))
    assert not got.verified("another secret", now=_unix(now))
    assert (got.headers["x-labelworks-event"], got.headers["x-labelworks-delivery"]) == (
        "lot.accepted",
        str(logged.id),
    )
    assert got.headers["content-type"] == "application/json"
    assert got.json == {
        "id": logged.id,
        "event": "lot.accepted",
        "project": project,
        "created_at": logged.created_at.isoformat() + "Z",
        "data": {"lot_id": 3, "name": "batch 1"},
    }
    assert (logged.status, logged.attempts, logged.response_status, logged.error) == (
        "delivered",
        1,
        200,
        None,
    )
    assert (logged.delivered_at, logged.next_attempt_at) == (now, None)


def test_a_5xx_is_retried_by_the_schedule_and_then_delivered(
    db: Database, client: httpx.Client
) -> None:
    """A 500 leaves the delivery pending, next tried after 10 s × the seeded jitter; not
    before then; after it, the 200 delivers it on the second attempt."""
    project = make_project(db)
    with Receiver(answers=[500]) as hook:
        service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 3})
        now = _later()
        (first,) = deliver_due(db, now=now, client=client, rng=random.Random(SEED))
        wait = timedelta(seconds=10 * random.Random(SEED).uniform(0.8, 1.2))
        assert (first.status, first.response_status, first.error, first.next_attempt_at) == (
            "pending",
            500,
            "HTTP 500 Internal Server Error",
            now + wait,
        )
        early = deliver_due(db, now=now + wait - timedelta(seconds=1), client=client)
        (second,) = deliver_due(db, now=now + wait, client=client)
        (logged,) = service.delivery_log(db, project)
        ids = {r.headers["x-labelworks-delivery"] for r in hook.requests}
    assert (early, second.status, logged.attempts, logged.response_status, logged.error) == (
        [],
        "delivered",
        2,
        200,
        None,
    )
    assert (len(hook.requests), ids) == (2, {str(logged.id)})


def test_a_receiver_that_does_not_answer_in_time_is_retried(db: Database) -> None:
    """A hanging receiver times the attempt out: pending, no status, a timeout error."""
    project = make_project(db)
    impatient = httpx.Client(timeout=0.3, verify=False, follow_redirects=False)
    with Receiver(answers=["hang"]) as hook, impatient:
        service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 3})
        (attempt,) = deliver_due(db, now=_later(), client=impatient)
    assert (attempt.status, attempt.response_status, attempt.error) == (
        "pending",
        None,
        "timed out (ReadTimeout)",
    )


def test_an_unreachable_receiver_and_a_redirect_are_failed_attempts(
    db: Database, client: httpx.Client
) -> None:
    """A refused connection is an error without status; a 302 is not followed."""
    project = make_project(db)
    with Receiver() as gone:
        url = gone.url
    with Receiver(answers=[302]) as moved:
        service.create_webhook(db, project, url=url, events=["lot.accepted"])
        service.create_webhook(db, project, url=moved.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 3})
        attempts = deliver_due(db, now=_later(), client=client)
    refused, redirected = sorted(attempts, key=lambda a: a.delivery_id)
    assert (refused.status, refused.response_status, (refused.error or "")[:12]) == (
        "pending",
        None,
        "ConnectError",
    )
    assert (redirected.status, redirected.response_status, redirected.error) == (
        "pending",
        302,
        "HTTP 302 Found",
    )


def test_a_url_the_client_cannot_send_to_fails_its_attempt_not_the_batch(
    db: Database, client: httpx.Client
) -> None:
    """A host that passes the checks but that the HTTP client cannot encode is an error
    recorded on its delivery; the other delivery of the same batch is delivered."""
    project = make_project(db)
    with Receiver() as hook:
        service.create_webhook(db, project, url="http://xn--a/", events=["lot.accepted"])
        service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 3})
        bad, good = sorted(
            deliver_due(db, now=_later(), client=client), key=lambda a: a.delivery_id
        )
    assert (bad.status, bad.response_status, (bad.error or "").split(":")[0]) == (
        "pending",
        None,
        "InvalidCodepoint",
    )
    assert (good.status, len(hook.requests)) == ("delivered", 1)


def test_after_the_last_attempt_the_delivery_fails_then_redelivery_sends_it(
    db: Database, client: httpx.Client
) -> None:
    """Seven 500s, each retry at the seeded schedule's time, fail the delivery; a
    redelivery puts it back, due now with no attempts, and the 8th request (same id)
    delivers it. Redelivering a pending one is a conflict."""
    project = make_project(db)
    rng, twin = random.Random(SEED), random.Random(SEED)
    with Receiver(answers=[500] * 7) as hook:
        service.create_webhook(db, project, url=hook.url, events=["forecast.slipped"])
        _emit(db, project, "forecast.slipped", {"deadline": "2026-03-01"})
        now, waits = _later(), []
        for _ in range(rules.MAX_ATTEMPTS):
            (attempt,) = deliver_due(db, now=now, client=client, rng=rng)
            if attempt.next_attempt_at is not None:
                waits.append((attempt.next_attempt_at - now).total_seconds())
                now = attempt.next_attempt_at
        (failed,) = service.delivery_log(db, project)
        expected = [base * twin.uniform(0.8, 1.2) for base in rules.RETRY_DELAYS]
        assert waits == pytest.approx(expected, abs=1e-5)
        assert (attempt.status, failed.status, failed.attempts, failed.next_attempt_at) == (
            "failed",
            "failed",
            7,
            None,
        )
        assert deliver_due(db, now=now + timedelta(days=1), client=client) == []
        again = service.redeliver(db, project, failed.id)
        assert (again.status, again.attempts, again.error) == ("pending", 0, failed.error)
        with pytest.raises(Conflict, match="still pending"):
            service.redeliver(db, project, failed.id)
        (sent,) = deliver_due(db, now=_later(), client=client)
        ids = [r.headers["x-labelworks-delivery"] for r in hook.requests]
    assert (sent.status, len(ids), set(ids)) == ("delivered", 8, {str(failed.id)})


def test_a_paused_webhook_keeps_its_queued_deliveries_until_resumed(
    db: Database, client: httpx.Client
) -> None:
    """Pausing stops sending what is queued (and queuing more); resuming sends it."""
    project = make_project(db)
    with Receiver() as hook:
        made = service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 1})
        service.update_webhook(db, project, made.webhook.id, active=False)
        assert _emit(db, project, "lot.accepted", {"lot_id": 2}) == 0
        held = deliver_due(db, now=_later(), client=client)
        with pytest.raises(Conflict, match="is paused"):
            service.ping_webhook(db, project, made.webhook.id)
        row, _ = service.update_webhook(db, project, made.webhook.id, active=True)
        (sent,) = deliver_due(db, now=_later(), client=client)
    assert (held, sent.status, [r.json["data"] for r in hook.requests]) == (
        [],
        "delivered",
        [{"lot_id": 1}],
    )
    assert (row.active, row.pending) == (True, 1)


def test_a_rotated_secret_signs_the_next_delivery(db: Database, client: httpx.Client) -> None:
    """Rotating returns a new secret, once; the next ping is signed with it, not the old."""
    project = make_project(db)
    with Receiver() as hook:
        made = service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _, secret = service.update_webhook(db, project, made.webhook.id, rotate_secret=True)
        ping = service.ping_webhook(db, project, made.webhook.id)
        now = _later()
        deliver_due(db, now=now, client=client)
        (got,) = hook.requests
    assert secret is not None and secret != made.secret
    at = _unix(now)
    assert (got.verified(secret, now=at), got.verified(made.secret, now=at)) == (True, False)
    assert (ping.event, got.json["data"]) == (
        "ping",
        {"webhook_id": made.webhook.id, "events": ["lot.accepted"], "zen": "Labels, signed."},
    )


def test_two_dispatchers_at_once_send_each_delivery_once(
    db: Database, client: httpx.Client
) -> None:
    """Two threads dispatching the same 12 due deliveries: the receiver gets each id once."""
    project = make_project(db)
    with Receiver() as hook:
        service.create_webhook(db, project, url=hook.url, events=["item.finalised"])
        for k in range(12):
            _emit(db, project, "item.finalised", {"item_id": k})
        now = _later()

        def dispatch() -> None:
            deliver_due(db, now=now, client=client, limit=12)

        threads = [threading.Thread(target=dispatch) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ids = sorted(int(r.headers["x-labelworks-delivery"]) for r in hook.requests)
    assert ids == sorted(d.id for d in service.delivery_log(db, project))
    assert {d.status for d in service.delivery_log(db, project)} == {"delivered"}


def test_a_claim_whose_dispatcher_died_is_sent_after_the_hold(
    db: Database, client: httpx.Client
) -> None:
    """A delivery claimed and never recorded is left alone until its hold lapses, then
    sent."""
    project = make_project(db)
    with Receiver() as hook:
        service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 1})
        now = _later()
        with db.write() as conn:
            (claimed,) = store.claim_due(
                conn, now, hold_until=now + HOLD, limit=5, skip_locked=db.is_postgresql
            )
        held = deliver_due(db, now=now + HOLD - timedelta(seconds=1), client=client)
        (sent,) = deliver_due(db, now=now + HOLD, client=client)
    assert (held, sent.delivery_id, sent.status, len(hook.requests)) == (
        [],
        claimed.id,
        "delivered",
        1,
    )


def test_the_log_is_newest_first_in_pages_and_filters(db: Database) -> None:
    """Five deliveries in pages of two, newest first, by ``before``; by status and by
    webhook; a bad status or limit is refused."""
    project = make_project(db)
    a = service.create_webhook(db, project, url="https://a.example/", events=["lot.accepted"])
    b = service.create_webhook(db, project, url="https://b.example/", events=["lot.rejected"])
    for k in range(3):
        _emit(db, project, "lot.accepted", {"k": k})
    for k in range(2):
        _emit(db, project, "lot.rejected", {"k": k})
    every = [d.id for d in service.delivery_log(db, project)]
    pages, before = [], None
    while True:
        page = service.delivery_log(db, project, before=before, limit=2)
        if not page:
            break
        pages.append([d.id for d in page])
        before = page[-1].id
    assert (every, pages) == (sorted(every, reverse=True), [every[:2], every[2:4], every[4:]])
    by_hook = service.delivery_log(db, project, webhook_id=b.webhook.id)
    assert [d.url for d in by_hook] == ["https://b.example/"] * 2
    assert service.delivery_log(db, project, status="failed") == []
    assert [w.pending for w in service.project_webhooks(db, project)] == [3, 2]
    assert a.webhook.id != b.webhook.id
    with pytest.raises(InvalidInput, match="status must be one of"):
        service.delivery_log(db, project, status="lost")
    with pytest.raises(InvalidInput, match="limit must be between 1 and 200"):
        service.delivery_log(db, project, limit=0)


def test_removing_a_webhook_removes_its_log_and_its_queue(
    db: Database, client: httpx.Client
) -> None:
    """Deliveries of a removed webhook are gone and never sent."""
    project = make_project(db)
    with Receiver() as hook:
        made = service.create_webhook(db, project, url=hook.url, events=["lot.accepted"])
        _emit(db, project, "lot.accepted", {"lot_id": 1})
        service.remove_webhook(db, project, made.webhook.id)
        sent = deliver_due(db, now=_later(), client=client)
    assert (sent, hook.requests, service.delivery_log(db, project)) == ([], [], [])


def test_deliveries_per_day_count_every_day_of_the_window(db: Database) -> None:
    """Three days ending today: two zero days, then today's two deliveries, pending."""
    project = make_project(db)
    service.create_webhook(db, project, url="https://x.example/", events=["lot.accepted"])
    for k in range(2):
        _emit(db, project, "lot.accepted", {"k": k})
    today = utcnow().date()
    days = service.delivery_days(db, project, days=3)
    assert days == [
        service.DeliveryDay((today - timedelta(days=2)).isoformat(), 0, 0, 0),
        service.DeliveryDay((today - timedelta(days=1)).isoformat(), 0, 0, 0),
        service.DeliveryDay(today.isoformat(), 0, 2, 0),
    ]
