"""``labelworks vendors`` and ``labelworks vendor show|terms|statement|compare`` end to end
on an embedded SQLite data directory holding ``vendor_world``: the tables, ``--json`` as
the API answers, the statement's CSV, and bad input exiting with one line that names it
and changes nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.runner import lw
from tests.services.vendor_world import build

from labelworks.config import Settings
from labelworks.storage import migration
from labelworks.storage.engine import Database


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    db = Database(Settings(data_dir=folder).effective_database_url)
    migration.upgrade(db)
    build(db)
    db.dispose()
    yield folder


def test_vendors_table_and_json(data_dir: Path) -> None:
    """The list shows each vendor's volume, gold accuracy with its interval, turnaround
    against the SLA, cost per accepted label and SLA status; --json is the API's body."""
    shown = lw(data_dir, "vendors")
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if line.startswith("│ acme")]
    assert lines and "50.0% (1/2, 95% 9%–91%)" in lines[0] and "breached (2)" in lines[0]
    assert "1.25 USD (0.2500 USD per accepted)" in shown.output
    as_json = json.loads(lw(data_dir, "vendors", "--json", "--period", "2026-03").output)
    assert [(c["vendor"], c["delivered"], c["cost"]["amount"]) for c in as_json["cards"]] == [
        ("acme", 5, {"amount": "1.25", "currency": "USD"}),
        ("beta", 5, {"amount": "0.20", "currency": "EUR"}),
    ]


def test_show_a_vendor(data_dir: Path) -> None:
    """A scorecard in words with its week and breaches; an empty period says so."""
    shown = lw(data_dir, "vendor", "show", "acme")
    assert shown.exit_code == 0, shown.output
    for words in (
        "5 (5 billed, 0 held in review)",
        "P50 30 min, P90 50 min (target 45 min: missed)",
        "P50 29.0 h, P90 30.0 h",
        "breach 2026-W10: P90 lease to submit 50 min, over the 45 min target",
        "watch 2026-W10: gold accuracy 50.0% (1/2) under the 90% floor",
    ):
        assert words in shown.output, words
    empty = lw(data_dir, "vendor", "show", "acme", "--period", "2025-01")
    assert (empty.exit_code, "no work by acme in 2025-01" in empty.output) == (0, True)


def test_set_terms_and_show_them(data_dir: Path) -> None:
    """Terms set from options are read back in one line and as JSON."""
    made = lw(
        data_dir, "vendor", "terms", "beta", "--currency", "USD", "--per-annotation",
        "choice=0.05", "--per-annotation", "spans=0.2", "--per-hour", "12",
        "--sla-turnaround-hours", "24", "--quality-floor", "0.9", "--weekly-volume", "5000",
        "--contact", "Jane, +1 555 0100",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.strip() == (
        "beta: USD: choice 0.05, spans 0.2, 12 per active hour; P90 lease→submit ≤ 24 h; "
        "gold accuracy ≥ 90%; 5,000 a week; contact Jane, +1 555 0100"
    )
    read = json.loads(lw(data_dir, "vendor", "terms", "beta", "--json").output)
    assert (read["terms"]["per_annotation"], read["terms"]["sla"]["weekly_volume"]) == (
        {"choice": 0.05, "spans": 0.2},
        5000,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--per-annotation", "choice"], "--per-annotation takes KIND=PRICE"),
        (["--per-annotation", "box=1"], "unknown field kind 'box'"),
        (["--per-annotation", "choice=nan"], "finite"),
        (["--per-hour", "-3"], "greater than or equal to 0"),
        (["--quality-floor", "2"], "less than or equal to 1"),
    ],
)
def test_bad_terms_exit_2_and_change_nothing(data_dir: Path, args: list[str], words: str) -> None:
    """A bad option is one line naming what is wrong, exit 2, and acme's terms stay."""
    before = lw(data_dir, "vendor", "terms", "acme", "--json").output
    failed = lw(data_dir, "vendor", "terms", "acme", "--currency", "USD", *args)
    assert (failed.exit_code, words in failed.output) == (2, True), failed.output
    assert lw(data_dir, "vendor", "terms", "acme", "--json").output == before


def test_statement_on_screen_and_as_csv(data_dir: Path, tmp_path: Path) -> None:
    """The total and counts on screen, every line in the CSV; an unknown vendor exits 3."""
    out = tmp_path / "acme.csv"
    shown = lw(data_dir, "vendor", "statement", "acme", "--period", "2026-03", "-o", str(out))
    assert shown.exit_code == 0, shown.output
    assert "acme, 2026-03: 1.2500 USD" in shown.output
    assert "5 lines written to" in shown.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["status"], r["amount"], r["currency"]) for r in rows] == [
        ("billed", "0.2500", "USD")
    ] * 5
    empty = lw(data_dir, "vendor", "statement", "acme", "--period", "2025-01")
    assert "no annotations by acme in 2025-01" in empty.output
    unknown = lw(data_dir, "vendor", "statement", "gamma", "--period", "2026-03")
    assert (unknown.exit_code, "vendor 'gamma' does not exist" in unknown.output) == (3, True)
    bad = lw(data_dir, "vendor", "statement", "acme", "--period", "March")
    assert (bad.exit_code, "is not one of YYYY-MM" in bad.output) == (2, True)


def test_compare(data_dir: Path) -> None:
    """The comparison reads as a sentence, and as the API's JSON."""
    shown = lw(data_dir, "vendor", "compare", "acme", "beta", "--project", "sentiment")
    assert shown.exit_code == 0, shown.output
    assert "No clear difference: acme 50.0%, beta 100.0%" in shown.output
    as_json = json.loads(
        lw(data_dir, "vendor", "compare", "acme", "beta", "--project", "sentiment", "--json").output
    )
    assert (as_json["difference"]["design"], as_json["shared"]) == ("independent", 2)
