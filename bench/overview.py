"""The Overview's activity figures at scale: how long counting annotations by day, the
annotations the items need, and the labels given take at 1M annotations, and what a page
view costs once they are kept (services/activity.py).

    python bench/overview.py                           # SQLite, 1M annotations
    python bench/overview.py --db postgresql --annotations 300000

The annotations are written straight into a scratch database (one annotator, four labels,
spread over the last 28 days), then each query runs twice and the better time is shown.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import scratch_database
from labelworks.services.activity import project_activity
from labelworks.storage import activity as store
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

DAY = datetime(2026, 12, 2)
BATCH = 50_000
SPEC = {"name": "p", "fields": [{"name": "label", "kind": "choice", "labels": list("abcd")}]}


def load(db: Database, n: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, active, created_at) "
                "VALUES (1, 'a@example.com', '', 'annotator', true, :t)"
            ),
            {"t": DAY},
        )
        conn.execute(
            text(
                "INSERT INTO projects (id, name, description, spec, overlap, lease_minutes, "
                "priority, spec_revision, created_at, updated_at) "
                "VALUES (1, 'p', '', :spec, 1, 30, 0, 1, :t, :t)"
            ),
            {"t": DAY, "spec": json.dumps(SPEC)},
        )
        for start in range(0, n, BATCH):
            ids = range(start + 1, min(n, start + BATCH) + 1)
            rows = [{"id": i, "h": f"h{i}", "t": DAY} for i in ids]
            conn.execute(
                text(
                    "INSERT INTO items (id, project_id, payload, metadata, content_hash, "
                    "priority, n_submitted, n_leased, created_at) "
                    "VALUES (:id, 1, '{}', '{}', :h, 0, 1, 0, :t)"
                ),
                rows,
            )
            conn.execute(
                text(
                    "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, "
                    "leased_at, expires_at) VALUES (:id, 1, :id, 1, 'submitted', :t, :t)"
                ),
                rows,
            )
            conn.execute(
                text(
                    "INSERT INTO annotations (id, assignment_id, project_id, item_id, "
                    "annotator_id, value, idempotency_key, after_expiry, created_at) "
                    "VALUES (:id, :id, 1, :id, 1, :v, 'k', false, :t)"
                ),
                [
                    {
                        "id": i,
                        "v": json.dumps({"label": "abcd"[i % 4]}),
                        "t": DAY - timedelta(minutes=i % 40_000),
                    }
                    for i in ids
                ],
            )


def best_ms(db: Database, query: Callable[[Connection], Any]) -> float:
    times = []
    for _ in range(2):
        with db.read() as conn:
            started = time.perf_counter()
            query(conn)
            times.append(time.perf_counter() - started)
    return 1000 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--annotations", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.db, "ov", Path(tmp)) as url:
        db = Database(url)
        upgrade(db)
        load(db, args.annotations)
        since = DAY - timedelta(days=29)
        queries: dict[str, Callable[[Connection], Any]] = {
            "before": lambda c: store.count_before(c, 1, since, None),
            "per day": lambda c: store.per_day_and_vendor(c, 1, since, None),
            "needed": lambda c: store.scope(c, 1, 1),
            "labels": lambda c: store.label_counts(c, 1, "label", None),
        }
        for name, query in queries.items():
            took = best_ms(db, query)
            print(f"{args.db:10} {args.annotations:>9,} annotations  {name:8} {took:8.0f} ms")
        today = date(2026, 12, 2)
        started = time.perf_counter()
        project_activity(db, "p", annotations=args.annotations, today=today)
        first = time.perf_counter() - started
        started = time.perf_counter()
        project_activity(db, "p", annotations=args.annotations + 1, today=today)
        kept = time.perf_counter() - started
        print(
            f"{args.db:10} first view {1000 * first:.0f} ms; "
            f"a view after the count moved {1000 * kept:.1f} ms"
        )
        db.dispose()


if __name__ == "__main__":
    main()
