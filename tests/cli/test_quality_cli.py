"""``labelworks consensus`` and ``labelworks adjudication`` end to end on an embedded SQLite
data directory: the summary, final labels, refit, the adjudication queue's view and an
expert's decision; bad decisions change nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.cli.runner import lw

from labelworks.config import Settings
from labelworks.services import assignment
from labelworks.services.users import add_user
from labelworks.storage.engine import Database

SPEC = """\
name: sentiment
description: Sentiment of product reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative]
quality:
  dynamic_overlap: {min: 2, max: 2, confidence: 0.9}
"""
TEXTS = ["fine", "[bold]sarcastic[/bold] praise", "great", "unread"]
ITEMS = "".join(json.dumps({"external_id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS))
# r0 and r2 agree (final), r1 splits (adjudication), r3 is never labelled.
ANSWERS = (["positive"] * 3, ["positive", "negative", "positive"])


def flat(text: str) -> str:
    """Output with runs of whitespace (Rich wrapping) collapsed to one space."""
    return " ".join(text.split())


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory with project 'sentiment' (items r0-r3, ids 1-4) where two
    annotators agreed on r0 and r2 and split on r1, and 'plain' (no consensus)."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "plain.yaml").write_text(
        SPEC.split("quality:")[0].replace("sentiment\n", "plain\n", 1)
    )
    (tmp_path / "items.jsonl").write_text(ITEMS)
    for args in (
        ("project", "apply", str(tmp_path / "spec.yaml")),
        ("project", "apply", str(tmp_path / "plain.yaml")),
        ("import", "sentiment", str(tmp_path / "items.jsonl")),
    ):
        assert lw(folder, *args).exit_code == 0
    db = Database(Settings(data_dir=folder).effective_database_url)
    for k, answers in enumerate(ANSWERS):
        who = add_user(db, f"ann{k}@example.com", role="annotator", projects=["sentiment"]).user.id
        for n, answer in enumerate(answers):
            task = assignment.next_task_for(db, "sentiment", who)
            assert task is not None
            assignment.submit_annotation(
                db,
                task.assignment_id,
                who,
                value={"sentiment": answer},
                seconds=1.0,
                idempotency_key=f"{k}-{n}",
            )
    db.dispose()
    yield folder


def _json(data_dir: Path, *args: str) -> Any:
    result = lw(data_dir, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _labels(data_dir: Path, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _json(data_dir, "consensus", "labels", "sentiment", *args)
    for row in rows:
        assert datetime.fromisoformat(row.pop("decided_at")).utcoffset() is not None
    return rows


def _label(item: int, value: str, status: str, confidence: float, ids: list[int]) -> Any:
    return {
        "item_id": item,
        "external_id": f"r{item - 1}",
        "value": {"sentiment": value},
        "method": "majority",
        "confidence": confidence,
        "fields": {"sentiment": confidence},
        "status": status,
        "annotation_ids": ids,
        "decided_by": None,
        "note": "",
    }


FIRST = _label(1, "positive", "final", 1.0, [1, 4])
SECOND = _label(2, "positive", "adjudication", 0.5, [2, 5])
THIRD = _label(3, "positive", "final", 1.0, [3, 6])


def test_show_labels_and_refit(data_dir: Path) -> None:
    """show says how the project decides and where its items stand, as text and JSON;
    labels lists every final label (or one status), as a table and as JSON; refit re-decides
    the three labelled items."""
    shown = lw(data_dir, "consensus", "show", "sentiment")
    summary = _json(data_dir, "consensus", "show", "sentiment")
    table = lw(data_dir, "consensus", "labels", "sentiment")
    refit = lw(data_dir, "consensus", "refit", "sentiment")
    assert (shown.exit_code, shown.stdout) == (
        0,
        "sentiment: decides by majority, dynamic overlap 2 to 2 annotations until 90% sure\n"
        "2 final, 1 at adjudication, 0 adjudicated; without a final label: 1\n",
    )
    assert summary == {
        "project": "sentiment",
        "method": "majority",
        "dynamic_overlap": {"min": 2, "max": 2, "confidence": 0.9},
        "counts": {"final": 2, "adjudication": 1, "adjudicated": 0},
        "without_final": 1,
        "model": None,
    }
    assert table.exit_code == 0
    assert re.search(
        r'│ 2\s*│ r1\s*│ {"sentiment":"positive"}\s*│ majority\s*│ 50%\s*│ adjudication\s*│ -',
        table.stdout,
    )
    assert (_labels(data_dir), _labels(data_dir, "--status", "final")) == (
        [FIRST, SECOND, THIRD],
        [FIRST, THIRD],
    )
    assert (refit.exit_code, refit.stdout) == (
        0,
        "sentiment: 2 final, 0 sent back for one more annotation, 1 at adjudication\n",
    )


def test_the_queue_shown_then_decided(data_dir: Path) -> None:
    """list shows r1 with its payload (markup shown literally), the proposal at 50%, the
    answers of A and B and the disagreement marked; JSON holds the same; decide records the
    expert's label and note, after which nothing waits."""
    view = lw(data_dir, "adjudication", "list", "sentiment")
    cases = _json(data_dir, "adjudication", "list", "sentiment")
    decided = lw(
        data_dir,
        "adjudication",
        "decide",
        "sentiment",
        "2",
        "--value",
        '{"sentiment": "negative"}',
        "--note",
        "sarcasm [red]x[/]",
    )
    empty = lw(data_dir, "adjudication", "list", "sentiment")
    out = view.stdout
    assert view.exit_code == 0
    assert "item 2 · r1 · proposal at 50% confidence" in out
    assert 'payload {"text":"[bold]sarcastic[/bold] praise"}' in flat(out)
    assert re.search(r"┃ answer\s*┃ sentiment ≠\s*┃", out)
    rows = [flat(line.strip("│ ")) for line in out.splitlines() if line.startswith("│")]
    assert rows == ["proposal │ positive", "A │ positive", "B │ negative"]
    assert flat(out).endswith("1 item waits for adjudication in sentiment")
    assert cases == [
        {
            "item_id": 2,
            "external_id": "r1",
            "payload": {"text": "[bold]sarcastic[/bold] praise"},
            "proposal": {"sentiment": "positive"},
            "confidence": 0.5,
            "annotations": [
                {"alias": "A", "value": {"sentiment": "positive"}},
                {"alias": "B", "value": {"sentiment": "negative"}},
            ],
            "disagreements": {"sentiment": True},
        }
    ]
    assert (decided.exit_code, decided.stdout) == (
        0,
        'item 2 of sentiment is adjudicated: {"sentiment":"negative"}\n',
    )
    assert (empty.exit_code, empty.stdout) == (0, "nothing waits for adjudication in sentiment\n")
    assert _labels(data_dir, "--status", "adjudicated") == [
        {
            **_label(2, "negative", "adjudicated", 1.0, [2, 5]),
            "method": "adjudication",
            "note": "sarcasm [red]x[/]",
        }
    ]


def test_bad_decisions_exit_2_naming_the_option_and_change_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    """Bad JSON, a non-object, an empty object, NaN, neither or both options, a missing file
    and a label the schema lacks: one line each, exit 2, and r1 still waits."""
    missing = tmp_path / "none.json"
    cases = {
        "bad JSON": ["--value", '{"sentiment": negative}'],
        "not an object": ["--value", '["negative"]'],
        "empty": ["--value", "{}"],
        "NaN": ["--value", '{"sentiment": NaN}'],
        "neither": [],
        "both": ["--value", "{}", "--value-file", str(missing)],
        "missing file": ["--value-file", str(missing)],
        "unknown label": ["--value", '{"sentiment": "meh"}'],
    }
    seen = {
        name: (r.exit_code, flat(r.stderr), r.stdout)
        for name, args in cases.items()
        for r in [lw(data_dir, "adjudication", "decide", "sentiment", "2", *args)]
    }
    not_object = (
        2,
        "error [invalid_input] --value: the final label must be a JSON object of field "
        'values, e.g. {"sentiment": "pos"}',
        "",
    )
    neither = (
        2,
        "error [invalid_input] give the final label with --value JSON or --value-file PATH",
        "",
    )
    assert seen == {
        "bad JSON": (
            2,
            "error [invalid_input] --value, line 1: invalid JSON: Expecting value (column 15)",
            "",
        ),
        "not an object": not_object,
        "empty": not_object,
        "NaN": (2, "error [invalid_input] --value: invalid JSON: NaN is not valid JSON", ""),
        "neither": neither,
        "both": neither,
        "missing file": (
            2,
            f"error [invalid_input] --value-file {missing}: cannot read the file: "
            "No such file or directory",
            "",
        ),
        "unknown label": (
            2,
            "error [invalid_annotation] field 'sentiment': 'meh' is not one of the labels "
            "'positive', 'negative'",
            "",
        ),
    }
    assert [c["item_id"] for c in _json(data_dir, "adjudication", "list", "sentiment")] == [2]


def test_refusals_exit_with_their_codes(data_dir: Path, tmp_path: Path) -> None:
    """A missing project exits 3 from every command; an unlabelled item 3; an unknown status
    2; refitting a project without consensus 4; a value file is read before the database."""
    runs = [
        ("consensus", "refit", "nope"),
        ("consensus", "labels", "nope"),
        ("consensus", "show", "nope"),
        ("adjudication", "list", "nope"),
        ("adjudication", "decide", "nope", "1", "--value", '{"sentiment": "positive"}'),
    ]
    missing = [(r.exit_code, flat(r.stderr)) for args in runs for r in [lw(data_dir, *args)]]
    unlabelled = lw(
        data_dir, "adjudication", "decide", "sentiment", "4", "--value", '{"sentiment": "positive"}'
    )
    status = lw(data_dir, "consensus", "labels", "sentiment", "--status", "done")
    plain = lw(data_dir, "consensus", "refit", "plain")
    fresh = tmp_path / "fresh"
    early = lw(fresh, "adjudication", "decide", "sentiment", "1", "--value", "{")
    assert missing == [(3, "error [not_found] project 'nope' does not exist")] * len(runs)
    assert [(r.exit_code, flat(r.stderr)) for r in (unlabelled, status, plain)] == [
        (3, "error [not_found] item 4 has no label to adjudicate yet"),
        (
            2,
            "error [invalid_input] status must be one of final, adjudication, adjudicated, "
            "not 'done'",
        ),
        (
            4,
            "error [conflict] project 'plain' keeps no final labels: its spec sets neither "
            "quality.consensus nor quality.dynamic_overlap",
        ),
    ]
    assert (early.exit_code, fresh.exists()) == (2, False)
