"""``labelworks agreement`` end to end on an embedded SQLite data directory: the JSON's
numbers equal ``labelworks.stats`` computed straight from the same records, the table shows
them with the confused labels, the contested items and each annotator against the rest,
``--field``, ``--since``, ``--until`` and ``--vendor`` narrow, and a missing project, an
unknown field or vendor and a bad date are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_gold_cli import flat, lw

from labelworks.config import Settings
from labelworks.services import agreement, assignment
from labelworks.services.users import add_user
from labelworks.stats.agreement import (
    bootstrap_ci,
    disagreement_matrix,
    fleiss_kappa,
    gwet_ac1,
    item_agreement,
    krippendorff_alpha,
    per_label_agreement,
)
from labelworks.stats.ratings import Ratings
from labelworks.storage.engine import Database

LABELS = ["positive", "negative", "neutral"]
SPEC = """\
name: sentiment
description: Sentiment of product reviews
fields:
  - name: sentiment
    kind: choice
    labels: [positive, negative, neutral]
  - name: stars
    kind: rating
    min: 1
    max: 5
overlap: 3
"""
ITEMS = "".join(f'{{"text": "r{i}"}}\n' for i in range(12))
PEOPLE = ["ada@example.com", "bob@example.com", "cy@example.com"]


def _answer(person: int, k: int) -> dict[str, Any]:
    """Mostly the truth; bob slips on every fourth item, cy on every third."""
    slip = (person == 1 and k % 4 == 0) or (person == 2 and k % 3 == 0)
    return {"sentiment": LABELS[(k + slip) % 3], "stars": 1 + (k + 2 * slip) % 5}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with project 'sentiment' (twelve items r0..r11)."""
    folder = tmp_path / "data"
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "items.jsonl").write_text(ITEMS)
    assert lw(folder, "project", "apply", str(tmp_path / "spec.yaml")).exit_code == 0
    assert lw(folder, "import", "sentiment", str(tmp_path / "items.jsonl")).exit_code == 0
    return folder


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = Database(Settings(data_dir=data_dir).effective_database_url)
    yield database
    database.dispose()


def _label_all(db: Database) -> None:
    """Each of PEOPLE labels every item; ada and bob work for acme."""
    for person, email in enumerate(PEOPLE):
        vendor = "acme" if person < 2 else None
        uid = add_user(db, email, role="annotator", projects=["sentiment"], vendor=vendor).user.id
        while (task := assignment.next_task_for(db, "sentiment", uid)) is not None:
            k = int(task.payload["text"][1:])
            assignment.submit_annotation(
                db,
                task.assignment_id,
                uid,
                value=_answer(person, k),
                seconds=1,
                idempotency_key=f"{uid}-{k}",
            )


def _stats(name: str, ordinal: bool, categories: list[Any]) -> dict[str, Any]:
    """The cross-check: the stats core on the same (item, annotator, label) records."""
    records = [(k, p, _answer(p, k)[name]) for k in range(12) for p in range(3)]
    r = Ratings.from_records(records, categories=categories)
    level: dict[str, Any] = {"level": "ordinal"} if ordinal else {}
    found: dict[str, Any] = {}
    for key, metric, options in [
        ("krippendorff_alpha", krippendorff_alpha, level),
        ("fleiss_kappa", fleiss_kappa, {}),
        ("gwet_ac1", gwet_ac1, {}),
    ]:
        value, low, high = bootstrap_ci(metric, r, n_resamples=1000, seed=20260601, **options)
        found[key] = {"value": value, "low": low, "high": high}
    found["labels"] = [
        {"label": label, "fleiss_kappa": v} for label, v in per_label_agreement(r).items()
    ]
    d = disagreement_matrix(r)
    found["confusion"] = {
        "labels": d.categories,
        "counts": d.counts.tolist(),
        "rates": [[None if x != x else x for x in row] for row in d.rates.tolist()],
        "top": [{"a": a, "b": b, "count": n} for a, b, n in d.top_confusions(10)],
    }
    # items are numbered 1.. in the project, 0.. here
    found["contested"] = [
        (item + 1, share) for item, share in item_agreement(r).items() if share < 1
    ]
    return found


def test_the_json_equals_the_stats_core_on_the_same_records(data_dir: Path, db: Database) -> None:
    """Per field: items, ratings, annotators, the three coefficients with their intervals
    and the per-label kappas equal the stats core's; the pairwise matrix names everyone."""
    _label_all(db)
    result = lw(data_dir, "agreement", "sentiment", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    keys = ["krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "labels", "confusion"]
    got = {
        name: {
            **{k: v for k, v in figures.items() if k in keys},
            "contested": [(c["item_id"], c["agreement"]) for c in figures["contested"]],
        }
        for name, figures in report["fields"].items()
    }
    assert (report["project"], got) == (
        "sentiment",
        {
            "sentiment": _stats("sentiment", False, LABELS),
            "stars": _stats("stars", True, [1, 2, 3, 4, 5]),
        },
    )
    assert [
        (f["kind"], f["level"], f["items"], f["ratings"], f["annotators"])
        for f in report["fields"].values()
    ] == [("choice", "nominal", 12, 36, 3), ("rating", "ordinal", 12, 36, 3)]
    assert report["fields"]["sentiment"]["pairwise"]["annotators"] == PEOPLE
    rest = report["fields"]["sentiment"]["annotator_agreement"]
    assert sorted((a["annotator"], a["items"], a["pairs"]) for a in rest) == [
        (email, 12, 24) for email in PEOPLE
    ]


def test_the_table_shows_each_field_with_its_intervals(data_dir: Path, db: Database) -> None:
    """The table has a row per field with alpha, kappa and AC1 and their intervals, the
    per-label table and the pairwise table; ``--field`` keeps one field."""
    _label_all(db)
    alpha = _stats("sentiment", False, LABELS)["krippendorff_alpha"]
    text = flat(lw(data_dir, "agreement", "sentiment").stdout)
    one = flat(lw(data_dir, "agreement", "sentiment", "--field", "stars").stdout)
    shown = f"{alpha['value']:.3f} ({alpha['low']:.3f}–{alpha['high']:.3f})"
    assert (
        "sentiment: agreement, 95% bootstrap intervals" in text,
        f"sentiment (choice, α nominal) │ 12 │ 36 │ 3 │ {shown}" in text,
        "stars (rating, α ordinal)" in text,
        "sentiment: per label" in text,
        "Cohen's κ of each pair" in text,
        "each annotator against the others" in text,
        "most confused" in text,
        "most contested items" in text,
        "sentiment (choice" in one,
        "stars (rating, α ordinal)" in one,
    ) == (True, True, True, True, True, True, True, True, False, True)


def test_period_and_vendor_narrow_the_report(data_dir: Path, db: Database) -> None:
    """``--vendor acme`` measures ada and bob alone, as the service does; a period that
    holds every annotation changes nothing but the filters; one that ends before any holds
    nothing; each shows in the title."""
    _label_all(db)

    def run(*options: str) -> dict[str, Any]:
        result = lw(data_dir, "agreement", "sentiment", "--field", "sentiment", "--json", *options)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    whole = run()
    acme = run("--vendor", "acme")
    wide = run("--since", "2000-01-01", "--until", "2999-12-31T23:00+01:00")
    before = run("--until", "2000-01-01")
    expected = agreement.project_agreement(db, "sentiment", field="sentiment", vendor="acme")
    assert acme == expected.to_dict()
    assert acme["fields"]["sentiment"]["pairwise"]["annotators"] == PEOPLE[:2]
    assert wide["fields"] == whole["fields"]
    assert wide["filters"] == {
        "since": "2000-01-01T00:00:00",
        "until": "2999-12-31T22:00:00",
        "vendor": None,
    }
    assert before["fields"]["sentiment"]["items"] == 0
    title = flat(lw(data_dir, "agreement", "sentiment", "--vendor", "acme").stdout)
    assert "(vendor acme)" in title


def test_missing_project_and_unknown_field_are_refused(data_dir: Path) -> None:
    """A missing project exits 3; an unknown field or vendor and a bad date exit 2, each
    naming what is wrong."""
    missing = lw(data_dir, "agreement", "nope")
    unknown = lw(data_dir, "agreement", "sentiment", "--field", "mood")
    vendor = lw(data_dir, "agreement", "sentiment", "--vendor", "initech")
    date = lw(data_dir, "agreement", "sentiment", "--since", "last week")
    assert [(r.exit_code, flat(r.stderr)) for r in (missing, unknown, vendor, date)] == [
        (3, "error [not_found] project 'nope' does not exist"),
        (2, "error [invalid_input] unknown field 'mood' (fields: 'sentiment', 'stars')"),
        (2, "error [invalid_input] unknown vendor 'initech'"),
        (
            2,
            "error [invalid_input] --since must be a date such as 2026-01-31 or "
            "2026-01-31T12:00, not 'last week'",
        ),
    ]
