"""``labelworks model train``, ``model show`` and ``model curve`` on an embedded data
directory: a training runs as a job with its figures printed, show lists it, curve prints
the simulation of active learning, and a project without assist is told how to add it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.builders import make_project
from tests.services.test_learning_curve import assisted_reviews

from labelworks.cli.model import saving_line
from labelworks.config import Settings
from labelworks.jobs.queue import JobQueue
from labelworks.schemas.assist import LearningCurveOut
from labelworks.services.assignment import next_task_for, submit_annotation
from labelworks.services.ingestion import import_items
from labelworks.services.learning_curve import learning_curve
from labelworks.services.users import add_user
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """'sentiment' (assist from 10 labels, every 5) with 30 reviews, 20 of them decided, and
    'plain' without assist."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    make_project(
        db,
        overlap=1,
        quality={"consensus": "majority"},
        assist={"field": "sentiment", "every": 5, "min_labels": 10},
    )
    make_project(db, name="plain")
    word = {0: "superb", 1: "broken"}
    rows = "".join(json.dumps({"text": f"review {i} {word[i % 2]}"}) + "\n" for i in range(30))
    import_items(db, "sentiment", io.BytesIO(rows.encode()), format="jsonl", source="r.jsonl")
    made = add_user(db, "ann@x.example", role="annotator", projects=["sentiment"])
    for k in range(20):
        task = next_task_for(db, "sentiment", made.user.id)
        assert task is not None
        label = ("positive", "negative")[(task.item_id - 1) % 2]
        submit_annotation(db, task.assignment_id, made.user.id, value={"sentiment": label},
                          seconds=1.0, idempotency_key=f"k{k}")  # fmt: skip
    db.dispose()
    return folder


def test_train_then_show(data_dir: Path) -> None:
    """train prints the version, labels, accuracy with its interval and the suggestions;
    show --json reports it; the training is a finished job."""
    trained = lw(data_dir, "model", "train", "sentiment")
    shown = json.loads(lw(data_dir, "model", "show", "sentiment", "--json").stdout)
    table = lw(data_dir, "model", "show", "sentiment")
    jobs = json.loads(lw(data_dir, "jobs", "--json").stdout)
    assert (trained.exit_code, trained.stdout) == (
        0,
        "sentiment: model version 1 of 'sentiment' learnt from 20 final labels; held-out "
        "accuracy 100.0% (95% CI 83.9%–100.0%), macro-F1 1.000; 10 suggestions written\n",
    )
    assert [(m["version"], m["labels"], m["suggested"]) for m in shown["models"]] == [(1, 20, 10)]
    assert (shown["decided"], shown["next_in"], shown["checked"]) == (20, 5, 0)
    assert table.stdout.splitlines()[0] == (
        "sentiment: learns 'sentiment' from final labels; 20 so far, next training in 5 "
        "(every 5, first at 10)"
    )
    assert [(j["kind"], j["state"]) for j in jobs] == [("train", "succeeded")]


def test_without_assist_and_in_the_background(data_dir: Path) -> None:
    """A project without assist: show says how to add it and train is refused with the
    reason and its code (exit 2), its job failed with it; --background queues the training
    and says how to follow it."""
    shown = lw(data_dir, "model", "show", "plain")
    trained = lw(data_dir, "model", "train", "plain")
    queued = lw(data_dir, "model", "train", "sentiment", "--background")
    assert (shown.exit_code, shown.stdout) == (
        0,
        "plain has no assist section in its spec: add assist: {field: NAME} "
        "(docs/project-spec.md)\n",
    )
    reason = (
        "project 'plain' has no assist section in its spec: add assist: {field: NAME} to "
        "train a baseline model (docs/project-spec.md)"
    )
    failed = json.loads(lw(data_dir, "jobs", "show", "1", "--json").stdout)
    assert (trained.exit_code, " ".join(trained.stderr.split())) == (
        2,
        f"error [invalid_input] {reason}",
    )
    assert (failed["state"], failed["error"], failed["params"]) == (
        "failed",
        reason,
        {"auto": False, "foreground": True},
    )
    assert queued.stdout == (
        "job 2 queued (train); labelworks serve or worker runs it. Follow it: labelworks "
        "jobs wait 2\n"
    )
    assert failed["error_code"] == "invalid_input"


def test_waiting_for_a_refused_job_exits_as_the_refusal(data_dir: Path) -> None:
    """A queued training of a project without assist, run by a consumer, fails with the
    refusal's code; jobs wait says so with the refusal's exit code (2), not a generic 1."""
    lw(data_dir, "model", "train", "plain", "--background")
    settings = Settings(data_dir=data_dir)
    db = Database(settings.effective_database_url)
    queue = JobQueue(settings, db)
    task = queue.huey.dequeue()
    assert task is not None
    queue.huey.execute(task)
    db.dispose()
    waited = lw(data_dir, "jobs", "wait", "1")
    assert (waited.exit_code, " ".join(waited.stderr.split())) == (
        2,
        "error [invalid_input] job 1 failed: project 'plain' has no assist section in its "
        "spec: add assist: {field: NAME} to train a baseline model (docs/project-spec.md)",
    )


@pytest.fixture
def curve_dir(tmp_path: Path) -> Path:
    """'sentiment' (assist) with 60 demo reviews, 50 decided, and 'plain' without assist."""
    folder = tmp_path / "curve"
    folder.mkdir()
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    assisted_reviews(db, 60, 50)
    make_project(db, name="plain")
    db.dispose()
    return folder


def test_curve_prints_both_strategies_and_the_saving(curve_dir: Path) -> None:
    """curve --json is the service's report; the table has a row per count of labels with
    both accuracies and ends with the saving; a project without assist is told why."""
    db = Database(Settings(data_dir=curve_dir).effective_database_url)
    report = learning_curve(db, "sentiment")
    db.dispose()
    as_json = lw(curve_dir, "model", "curve", "sentiment", "--json")
    table = lw(curve_dir, "model", "curve", "sentiment")
    plain = lw(curve_dir, "model", "curve", "plain")
    expected = LearningCurveOut.model_validate(report, from_attributes=True)
    lines = table.stdout.splitlines()
    rows = [line for line in lines if re.match(r"^\D*\d[\d,]* +│", line)]
    assert (as_json.exit_code, json.loads(as_json.stdout)) == (
        0, expected.model_dump(mode="json"),
    )  # fmt: skip
    assert lines[0] == (
        f"sentiment: 'sentiment' simulated on 50 of 50 final labels ({report.test} held out, "
        f"{report.pool} to label, 3 runs)"
    )
    assert [r.split("│")[1].strip() for r in rows] == [f"{n:,}" for n in report.steps]
    assert lines[-1] == saving_line(report)
    assert (plain.exit_code, " ".join(plain.stdout.split())) == (
        0,
        "plain: no learning curve: project 'plain' has no assist section in its spec: add "
        "assist: {field: NAME} to learn a field (docs/project-spec.md)",
    )
