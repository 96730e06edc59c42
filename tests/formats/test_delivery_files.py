"""The delivery's label files and HTML quality report, from plain data: JSONL and Parquet
hold the same rows, and the report escapes every text and fetches nothing."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pyarrow.parquet as pq

from labelworks.formats.delivery import JsonlLabels, ParquetLabels, parquet_row_as_jsonl
from labelworks.formats.quality_report import render_quality_report

ROWS: list[dict[str, Any]] = [
    {
        "item_id": 1,
        "external_id": "ä-1",
        "payload": {"text": "naïve \u2028 line", "n": [1, 2.5, None]},
        "final": {"sentiment": "pos"},
        "method": "dawid_skene",
        "confidence": 0.93,
        "status": "final",
        "annotation_ids": [4, 9],
    },
    {
        "item_id": 2,
        "external_id": None,
        "payload": {"text": "x"},
        "final": None,
        "method": None,
        "confidence": None,
        "status": "pending",
        "annotation_ids": [],
    },
]
HOSTILE = '<script>alert("x")</script>'


def test_jsonl_and_parquet_hold_the_same_rows() -> None:
    """Each row written to both files reads back equal, nulls and Unicode included."""
    jsonl, parquet = io.BytesIO(), io.BytesIO()
    jw, pw = JsonlLabels(jsonl), ParquetLabels(parquet, batch_size=1)
    for row in ROWS:
        jw.write(row)
        pw.write(row)
    jw.close()
    pw.close()
    lines = jsonl.getvalue().decode().splitlines()  # U+2028 would split a line here
    parquet.seek(0)
    back = [parquet_row_as_jsonl(r) for r in pq.read_table(parquet).to_pylist()]
    assert ([json.loads(line) for line in lines], back, len(lines)) == (ROWS, ROWS, 2)


def _report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "project": "reviews",
        "generated_at": "2026-01-01T00:00:00Z",
        "accepted": False,
        "criteria": [
            {
                "name": "gold_accuracy",
                "met": False,
                "value": 0.5,
                "low": 0.1,
                "high": 0.9,
                "target": 0.9,
                "detail": f"detail {HOSTILE}",
            }
        ],
        "agreement": [],
        "gold": {
            "correct": 1,
            "total": 2,
            "accuracy": 0.5,
            "low": 0.1,
            "high": 0.9,
            "annotators": [
                {
                    "email": 'a"b@example.com',
                    "name": HOSTILE,
                    "vendor": HOSTILE,
                    "correct": 1,
                    "total": 2,
                    "accuracy": 0.5,
                    "low": 0.1,
                    "high": 0.9,
                }
            ],
        },
        "counts": {"final": 1, "pending": 1, "gold": 0, "open_escalations": 0},
    }
    return {**report, **changes}


def test_the_report_escapes_text_and_fetches_nothing() -> None:
    """Hostile vendor names, details and project text come out escaped; the page has no
    script, no URL and no external reference, and states the verdict."""
    html = render_quality_report(_report(project=f"p{HOSTILE}"))
    assert (
        "<script" in html,
        re.findall(r"(?:https?:|//|src=|href=|@import|url\()", html),
        html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
        "a&quot;b@example.com" in html,
        "1 of 1 acceptance criteria are not met." in html,
    ) == (False, [], 4, True, True)


def test_the_verdict_follows_the_criteria() -> None:
    """All met, none set, and forced past unmet criteria each have their own sentence."""
    met = dict(_report()["criteria"][0], met=True)
    pages = [
        render_quality_report(_report(criteria=[met])),
        render_quality_report(_report(criteria=[])),
        render_quality_report(_report(forced=True)),
    ]
    assert [
        "All 1 acceptance criteria are met." in pages[0],
        "No acceptance criteria are set for this project." in pages[1],
        "1 of 1 acceptance criteria are not met. The delivery was forced past them." in pages[2],
    ] == [True, True, True]
