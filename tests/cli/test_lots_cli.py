"""``labelworks lots`` end to end on an embedded SQLite data directory: create a lot (the
plan in words), list it, show it with its sample (readable and JSON), audit every sample
until the lot is decided; bad input exits 2 with one line naming what is wrong and
changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from tests.cli.runner import lw

from labelworks.config import Settings
from labelworks.services import assignment
from labelworks.services.users import add_user
from labelworks.stats.acceptance import sampling_plan
from labelworks.storage.engine import Database

SPEC = """\
name: sentiment
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
overlap: 1
"""
N = 30
ITEMS = "".join(
    f'{{"external_id": "r{i}", "text": "review {i} [bold]loud[/]"}}\n' for i in range(N)
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """Project 'sentiment' with 30 items, all labelled positive by an acme annotator."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    uid = add_user(db, "ann@acme.example", role="annotator", vendor="acme", projects=["sentiment"])
    for k in range(N):
        task = assignment.next_task_for(db, "sentiment", uid.user.id)
        assert task is not None
        assignment.submit_annotation(
            db,
            task.assignment_id,
            uid.user.id,
            value={"sentiment": "positive"},
            seconds=1.0,
            idempotency_key=str(k),
        )
    db.dispose()
    yield folder


def _create(data_dir: Path, *extra: str) -> Result:
    return lw(data_dir, "lots", "create", "sentiment", "batch 1", "--aql", "0.02", "--ltpd",
              "0.2", "--seed", "1", *extra)  # fmt: skip


def test_create_prints_the_plan_and_list_shows_the_lot(data_dir: Path) -> None:
    made = _create(data_dir, "--import", "1")
    assert made.exit_code == 0, made.output
    plan = sampling_plan(N, 0.02, 0.2)
    assert "lot 1 'batch 1' of sentiment: 30 annotations" in made.output
    assert " ".join(plan.summary.split()) in " ".join(made.output.split())
    listed = lw(data_dir, "lots", "list", "sentiment")
    assert listed.exit_code == 0, listed.output
    assert "batch 1" in listed.output and "auditing" in listed.output
    assert f"{plan.sample_size}/{plan.acceptance_number}" in listed.output
    assert f"0 of {plan.sample_size}" in listed.output
    rows = json.loads(lw(data_dir, "lots", "list", "sentiment", "--json").output)
    assert [(r["id"], r["size"], r["audited"]) for r in rows] == [(1, N, 0)]


def test_show_and_audit_until_the_lot_is_accepted(data_dir: Path) -> None:
    assert _create(data_dir, "--vendor", "acme").exit_code == 0
    shown = lw(data_dir, "lots", "show", "sentiment", "1")
    assert shown.exit_code == 0, shown.output
    assert "review" in shown.output and "[bold]loud[/]" in shown.output  # as typed
    assert "to audit" in shown.output and "sentiment: positive" in shown.output
    view = json.loads(lw(data_dir, "lots", "show", "sentiment", "1", "--json").output)
    ids = [s["annotation_id"] for s in view["samples"]]
    assert (view["status"], view["audited"], len(ids)) == (
        "auditing",
        0,
        view["plan"]["sample_size"],
    )
    for a in ids:
        done = lw(data_dir, "lots", "audit", "sentiment", "1", str(a), "ok", "--note", "fine")
        assert done.exit_code == 0, done.output
    assert "lot 1 ACCEPTED" in done.output
    view = json.loads(lw(data_dir, "lots", "show", "sentiment", "1", "--json").output)
    assert (view["status"], view["audited"], view["decision"]["accepted"]) == (
        "accepted",
        len(ids),
        True,
    )
    readable = lw(data_dir, "lots", "show", "sentiment", "1").output
    assert "ACCEPTED" in readable and "defect rate at most" in readable
    again = lw(data_dir, "lots", "audit", "sentiment", "1", str(ids[0]), "defect")
    assert again.exit_code != 0 and "already accepted" in again.output


def test_defects_reject_the_lot(data_dir: Path) -> None:
    assert _create(data_dir, "--import", "1").exit_code == 0
    view = json.loads(lw(data_dir, "lots", "show", "sentiment", "1", "--json").output)
    for s in view["samples"]:
        done = lw(data_dir, "lots", "audit", "sentiment", "1", str(s["annotation_id"]), "defect")
        assert done.exit_code == 0, done.output
    assert "lot 1 REJECTED" in done.output and "set aside" in done.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "say which annotations form the lot"),
        (("--vendor", "nobody"), "no annotations match that lot"),
        (("--since", "yesterday"), "not a date: 'yesterday'"),
    ],
)
def test_bad_lots_are_refused_and_change_nothing(
    data_dir: Path, extra: tuple[str, ...], message: str
) -> None:
    bad = _create(data_dir, *extra)
    assert bad.exit_code == 2, bad.output
    assert message in bad.output
    assert "no lots in sentiment" in lw(data_dir, "lots", "list", "sentiment").output


def test_a_missing_lot_and_a_bad_verdict(data_dir: Path) -> None:
    missing = lw(data_dir, "lots", "show", "sentiment", "9")
    assert missing.exit_code != 0 and "lot 9 does not exist" in missing.output
    assert lw(data_dir, "lots", "audit", "sentiment", "1", "1", "maybe").exit_code == 2
