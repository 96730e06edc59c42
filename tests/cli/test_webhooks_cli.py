"""``labelworks webhook`` end to end on an embedded SQLite data directory against a real
receiver: add (the secret printed once), list, test (a signed ping sent from the command),
deliveries, redeliver, update and remove; bad input exits 2 with one line naming what is
wrong and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.webhook_receiver import Receiver

SPEC = """\
name: sentiment
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """Project 'sentiment', no webhooks yet."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    yield folder


def test_add_test_and_read_the_log(data_dir: Path) -> None:
    """add --json returns the webhook and its secret; test sends a ping the receiver
    verifies with that secret; list and deliveries show it delivered with a 200;
    redeliver queues it again."""
    with Receiver() as hook:
        added = lw(data_dir, "webhook", "add", "sentiment", hook.url, "--event",
                   "lot.rejected", "--event", "item.finalised", "--json")  # fmt: skip
        assert added.exit_code == 0, added.output
        made = json.loads(added.output)
        tested = lw(data_dir, "webhook", "test", "sentiment", str(made["id"]))
        (got,) = hook.requests
    assert (made["events"], made["active"], len(made["secret"])) == (
        ["item.finalised", "lot.rejected"],
        True,
        43,
    )
    assert tested.exit_code == 0, tested.output
    assert tested.output == f"ping 1 delivered: {hook.url} answered 200\n"
    assert (got.json["event"], got.verified(made["secret"])) == ("ping", True)
    listed = json.loads(lw(data_dir, "webhook", "list", "sentiment", "--json").output)
    assert [(w["id"], w["last_status"], w["last_response"]) for w in listed] == [
        (made["id"], "delivered", 200)
    ]
    log = json.loads(lw(data_dir, "webhook", "deliveries", "sentiment", "--json").output)
    assert [(d["id"], d["event"], d["status"], d["attempts"]) for d in log] == [
        (1, "ping", "delivered", 1)
    ]
    table = lw(data_dir, "webhook", "deliveries", "sentiment", "--id", str(made["id"])).output
    assert "ping" in table and "delivered" in table and "1/7" in table
    again = lw(data_dir, "webhook", "redeliver", "sentiment", "1")
    assert again.output == f"delivery 1 (ping) queued again for {hook.url}\n"
    log = json.loads(lw(data_dir, "webhook", "deliveries", "sentiment", "--json").output)
    assert [(d["status"], d["attempts"]) for d in log] == [("pending", 0)]


def test_a_failed_ping_exits_1_and_stays_queued(data_dir: Path) -> None:
    """A 503 fails the test (exit 1, the error and the retry time); the ping is still
    pending (it will be retried), so redelivering it is a conflict (exit 4)."""
    with Receiver(answers=[503]) as hook:
        made = lw(data_dir, "webhook", "add", "sentiment", hook.url, "--event", "lot.accepted")
        assert made.exit_code == 0
        assert "signing secret (shown once; give it to the receiver): " in made.output
        failed = lw(data_dir, "webhook", "test", "sentiment", "1")
    assert failed.exit_code == 1
    assert failed.output.startswith(
        "ping 1 not delivered: HTTP 503 Service Unavailable; retried at"
    )
    refused = lw(data_dir, "webhook", "redeliver", "sentiment", "1")
    assert (refused.exit_code, "still pending" in refused.output) == (4, True)


def test_update_pause_rotate_and_remove(data_dir: Path) -> None:
    """--paused pauses; --rotate-secret prints a new secret; remove empties the list."""
    lw(data_dir, "webhook", "add", "sentiment", "https://x.example/h", "--event", "lot.accepted")
    paused = lw(data_dir, "webhook", "update", "sentiment", "1", "--paused", "--json")
    rotated = lw(data_dir, "webhook", "update", "sentiment", "1", "--rotate-secret")
    removed = lw(data_dir, "webhook", "remove", "sentiment", "1")
    assert json.loads(paused.output)["active"] is False
    assert json.loads(paused.output)["secret"] is None
    assert rotated.output.startswith("webhook 1: paused\nsigning secret (shown once")
    assert removed.output == "webhook 1 removed from sentiment\n"
    assert lw(data_dir, "webhook", "list", "sentiment").output == "no webhooks in sentiment\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "sentiment", "ftp://x.example/", "--event", "lot.accepted"],
         "field 'url': must be an http:// or https:// URL with a host"),
        (["add", "sentiment", "https://x.example/", "--event", "lot.lost"],
         "'lot.lost' is not one of"),
        (["add", "sentiment", "https://x.example/"], "Missing option '--event'"),
        (["update", "sentiment", "1"], "say what to change"),
        (["deliveries", "sentiment", "--status", "lost"], "'lost' is not one of"),
        (["remove", "nosuch", "1"], "project 'nosuch' does not exist"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_changes_nothing(
    data_dir: Path, args: list[str], says: str
) -> None:
    """Each mistake exits non-zero saying what is wrong; no webhook is made."""
    lw(data_dir, "webhook", "add", "sentiment", "https://x.example/h", "--event", "lot.accepted")
    result = lw(data_dir, "webhook", *args)
    assert result.exit_code != 0 and says in result.output, result.output
    listed = json.loads(lw(data_dir, "webhook", "list", "sentiment", "--json").output)
    assert [(w["id"], w["url"], w["active"]) for w in listed] == [(1, "https://x.example/h", True)]
