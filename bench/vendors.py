"""Vendor scorecards at scale: the Vendors list and a vendor's page at 1M annotations by 500
annotators from 5 vendors (services/vendor_facts.py, vendor_usage.py, server/web/vendors.py).

    python bench/vendors.py                             # SQLite, 1M annotations
    python bench/vendors.py --db postgresql --annotations 300000

The world is written straight into a scratch database: one choice field, overlap 3, 500
annotators (100 per vendor), items imported over 60 days, each annotation submitted hours
after its item's import and minutes after its lease (log-normal), 5% of them on 1,000
gold items (scored), 10% reviewed (accepted, fixed, rejected — set aside — or pending), a
final label when an item's third annotation came in, and every vendor's rate card and SLA.
Times: each query of the first gathering of the facts and the whole of it (as the API or
the CLI wait for it after a restart), views of the kept facts — the services, the API and
both pages over HTTP, best of three — the first page view after a restart (it answers at
once while the facts are gathered in the background) and when they were ready, and a
month's usage statement with its CSV.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import scratch_database
from labelworks.domain.vendor_terms import period_of
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

START = datetime(2026, 9, 1)
DAYS = 60
BATCH = 60_000
VENDORS = ["acme", "globex", "initech", "umbrella", "hooli"]
ANNOTATORS = 500
GOLD_ITEMS = 1000
OVERLAP = 3
SPEC = {
    "name": "p",
    "fields": [{"name": "label", "kind": "choice", "labels": list("abcd")}],
    "overlap": OVERLAP,
    "quality": {"gold_rate": 0.05, "consensus": "majority", "review": {"rate": 0.1}},
}


def _insert(conn: Any, sql: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(text(sql), rows[start : start + BATCH])


def _people(conn: Any) -> None:
    _insert(conn, "INSERT INTO vendors (id, name, created_at) VALUES (:id, :n, :t)",
            [{"id": v + 1, "n": name, "t": START} for v, name in enumerate(VENDORS)])  # fmt: skip
    _insert(
        conn,
        "INSERT INTO users (id, email, name, role, vendor_id, active, created_at) "
        "VALUES (:id, :e, '', :r, :v, true, :t)",
        [{"id": a + 1, "e": f"a{a:03d}@{VENDORS[a % 5]}.example", "r": "annotator",
          "v": 1 + a % 5, "t": START} for a in range(ANNOTATORS)]
        + [{"id": 1000, "e": "lead@example.com", "r": "admin", "v": None, "t": START}],
    )  # fmt: skip
    conn.execute(
        text(
            "INSERT INTO projects (id, name, description, spec, overlap, lease_minutes, "
            "priority, spec_revision, created_at, updated_at) "
            "VALUES (1, 'p', '', :spec, 3, 30, 0, 1, :t, :t)"
        ),
        {"t": START, "spec": json.dumps(SPEC)},
    )
    for v, name in enumerate(VENDORS):
        conn.execute(
            text(
                "INSERT INTO vendor_terms (vendor_id, currency, per_annotation, per_hour, sla, "
                "contact, updated_at) VALUES (:v, 'USD', :rates, :hour, :sla, :c, :t)"
            ),
            {"v": v + 1, "rates": json.dumps({"choice": 0.04 + 0.01 * v}),
             "hour": 6.0 if v % 2 else None, "c": f"ops@{name}.example", "t": START,
             "sla": json.dumps({"percentile": 90, "lease_to_submit_hours": 0.5,
                                "import_to_final_hours": 72, "quality_floor": 0.8,
                                "weekly_volume": 20_000})},
        )  # fmt: skip


def load(db: Database, n: int, seed: int = 11) -> None:
    """``n`` annotations of project 'p' (see the module docstring)."""
    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.6, 0.95, ANNOTATORS)
    n_gold = n // 20
    n_items = (n - n_gold) // OVERLAP
    n = n_items * OVERLAP + n_gold
    first = rng.integers(0, ANNOTATORS, n_items)
    gold_round, gold_item = np.divmod(np.arange(n_gold), GOLD_ITEMS)
    who = np.concatenate(
        [
            (first[:, None] + np.array([0, 167, 334])).ravel() % ANNOTATORS,
            (gold_item * 13 + gold_round) % ANNOTATORS,
        ]
    )
    n_all = n_items + GOLD_ITEMS
    item = np.concatenate([np.repeat(np.arange(n_items) + GOLD_ITEMS + 1, OVERLAP), gold_item + 1])
    imported = rng.integers(0, (DAYS - 5) * 24 * 60, n_all + 1)  # minutes after START
    submitted = imported[item] + rng.lognormal(np.log(18 * 60), 0.8, n).astype(int)
    leased = submitted - np.maximum(1, rng.lognormal(np.log(12), 0.9, n).astype(int))
    right = rng.random(n) < accuracy[who]
    seconds = np.round(rng.lognormal(np.log(30), 0.6, n), 1)

    def at(minutes: int) -> datetime:
        return START + timedelta(minutes=int(minutes))

    reviewed = rng.choice(np.flatnonzero(item > GOLD_ITEMS), n // 10, replace=False)
    status = rng.choice(["accepted", "fixed", "rejected", "pending"], reviewed.size,
                        p=[0.8, 0.08, 0.04, 0.08])  # fmt: skip
    aside = set(reviewed[status == "rejected"].tolist())
    with db.engine.begin() as conn:
        _people(conn)
        _insert(
            conn,
            "INSERT INTO items (id, project_id, external_id, payload, metadata, content_hash, "
            "priority, n_submitted, n_leased, gold, created_at) "
            "VALUES (:id, 1, :x, '{}', '{}', :h, 0, :s, 0, :g, :t)",
            [{"id": i, "x": f"x{i}", "h": f"h{i}", "s": 0 if i <= GOLD_ITEMS else OVERLAP,
              "g": i <= GOLD_ITEMS, "t": at(imported[i])} for i in range(1, n_all + 1)],
        )  # fmt: skip
        votes = [
            {"id": k + 1, "item": int(item[k]), "who": int(who[k]) + 1, "t": at(submitted[k]),
             "l": at(leased[k]), "v": json.dumps({"label": "abcd"[k % 4]}),
             "s": float(seconds[k])}
            for k in range(n)
        ]  # fmt: skip
        _insert(
            conn,
            "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, leased_at, "
            "expires_at, closed_at) VALUES (:id, 1, :item, :who, 'submitted', :l, :t, :t)",
            votes,
        )
        _insert(
            conn,
            "INSERT INTO annotations (id, assignment_id, project_id, item_id, annotator_id, "
            "value, seconds, idempotency_key, after_expiry, created_at) "
            "VALUES (:id, :id, 1, :item, :who, :v, :s, 'k', false, :t)",
            [v for k, v in enumerate(votes) if k not in aside],
        )
        _insert(
            conn,
            "INSERT INTO set_aside_annotations (annotation_id, assignment_id, project_id, "
            "item_id, annotator_id, value, seconds, created_at, reason, set_aside_at) "
            "VALUES (:id, :id, 1, :item, :who, :v, :s, :t, 'rejected in review', :t)",
            [votes[k] for k in sorted(aside)],
        )
        gold = np.flatnonzero(item <= GOLD_ITEMS)
        _insert(
            conn,
            "INSERT INTO gold_results (project_id, item_id, annotator_id, annotation_id, "
            "correct, fields, created_at) VALUES (1, :item, :who, :id, :c, '{}', :t)",
            [{**votes[k], "c": bool(right[k])} for k in gold],
        )
        _insert(
            conn,
            "INSERT INTO reviews (project_id, annotation_id, item_id, annotator_id, why, status, "
            "created_at) VALUES (1, :id, :item, :who, 'sample', :st, :t)",
            [{**votes[k], "st": str(s)} for k, s in zip(reviewed, status, strict=True)],
        )
        last = np.zeros(n_all + 1, dtype=np.int64)
        np.maximum.at(last, item, submitted)
        _insert(
            conn,
            "INSERT INTO final_labels (item_id, project_id, value, method, confidence, fields, "
            "n_annotations, status, annotation_ids, decided_at) "
            "VALUES (:i, 1, '{\"label\": \"a\"}', 'majority', 1.0, '{}', 3, 'final', '[]', :t)",
            [{"i": i, "t": at(last[i])} for i in range(GOLD_ITEMS + 1, n_all + 1)],
        )


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    got = work()
    return time.perf_counter() - started, got


def best_ms(work: Callable[[], Any], times: int = 3) -> float:
    return 1000 * min(timed(work)[0] for _ in range(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--annotations", type=int, default=1_000_000)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from labelworks.config import Settings
    from labelworks.server.app import create_app
    from labelworks.services import vendor_facts
    from labelworks.services.users import issue_token
    from labelworks.services.vendor_statements import statement_csv, usage_statement
    from labelworks.services.vendor_usage import cost_per_annotation, scorecard, scorecards
    from labelworks.storage import vendor_stats
    from labelworks.storage.vendor_stats import Scope

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.db, "vn", Path(tmp)) as url:
        db = Database(url)
        upgrade(db)
        took, _ = timed(lambda: load(db, args.annotations))
        if args.db == "postgresql":
            # Committed: statistics gathered in a rolled-back transaction are thrown away.
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        print(f"{args.db:10} {args.annotations:>9,} annotations  loaded in {took:.0f} s")
        scope = Scope(None, None, None, None)
        stages: dict[str, Callable[[Any], Any]] = {
            "work": lambda c: vendor_stats.work(c, scope),
            "reviews": lambda c: vendor_stats.review_counts(c, scope),
            "set aside": lambda c: vendor_stats.set_aside_counts(c, scope),
            "gold": lambda c: vendor_stats.gold_counts(c, scope),
            "lease→submit": lambda c: vendor_stats.lease_minutes(c, scope),
            "import→final": lambda c: vendor_stats.final_minutes(c, scope),
            "stamp": vendor_stats.stamp,
        }
        for name, query in stages.items():
            with db.read() as conn:
                took, rows = timed(lambda q=query: q(conn))  # type: ignore[misc]
            size = len(rows) if isinstance(rows, list) else "-"
            print(f"{'':10} first gathering: {name:14} {1000 * took:8.0f} ms  ({size} rows)")
        first, found = timed(lambda: scorecards(db))
        print(f"{'':10} first scorecards (gathered in the request) {1000 * first:8.0f} ms")
        print(
            f"{'':10} kept scorecards (service)           {best_ms(lambda: scorecards(db)):8.1f} ms"
        )
        print(f"{'':10} kept scorecard of acme (service)    "
              f"{best_ms(lambda: scorecard(db, 'acme')):8.1f} ms")  # fmt: skip
        print(f"{'':10} cost_per_annotation (kept)          "
              f"{best_ms(lambda: cost_per_annotation(db, 'p')):8.1f} ms")  # fmt: skip
        token = issue_token(db, "lead@example.com", "bench")
        headers = {"Authorization": f"Bearer {token}"}
        app = create_app(Settings(data_dir=Path(tmp) / "data", database_url=url), db)
        with TestClient(app) as http:
            for name, path in (
                ("GET /api/v1/vendors", "/api/v1/vendors"),
                ("page /vendors", "/vendors"),
                ("page /vendors/acme", "/vendors/acme"),
            ):
                assert http.get(path, headers=headers).status_code == 200
                ms = best_ms(lambda p=path: http.get(p, headers=headers))  # type: ignore[misc]
                print(f"{'':10} kept {name:30} {ms:8.1f} ms")
            # A restart: nothing kept. The page answers at once while the facts are gathered.
            vendor_facts._cache.clear()
            took, first_page = timed(lambda: http.get("/vendors", headers=headers))
            assert "vendors-measuring" in first_page.text
            started = time.perf_counter()
            while "vendors-measuring" in http.get("/vendors", headers=headers).text:
                time.sleep(0.25)
            ready = time.perf_counter() - started
            print(f"{'':10} first page /vendors after a restart {1000 * took:8.1f} ms "
                  f"(Measuring…; ready {ready:.1f} s later)")  # fmt: skip
        month = period_of("2026-10")
        took, statement = timed(lambda: usage_statement(db, "acme", period=month))
        csv_took, _ = timed(lambda: statement_csv(statement))
        print(f"{'':10} acme's statement for 2026-10: {len(statement.lines):,} lines in "
              f"{1000 * took:.0f} ms, CSV {1000 * csv_took:.0f} ms")  # fmt: skip
        cards = {c.vendor: c for c in found.cards}
        acme = cards["acme"]
        cost = acme.cost.amount.text() if acme.cost.amount else "–"
        print(f"{'':10} acme: {acme.delivered:,} delivered, cost {cost}, "
              f"lease P90 {acme.lease.p90:.2f} h, final P90 {acme.final.p90:.1f} h, "
              f"{len(acme.breaches)} breaches")  # fmt: skip
        db.dispose()


if __name__ == "__main__":
    main()
