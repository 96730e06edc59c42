"""The Agreement page and API at scale: how long measuring a project of 1M annotations takes
the first time, and what a view costs once the report is kept (services/agreement.py).

    python bench/agreement.py                          # SQLite, 1M annotations
    python bench/agreement.py --db postgresql --annotations 300000

The world is written straight into a scratch database: one choice field of four labels,
overlap 3 (a third as many items as annotations), 30 annotators in three vendors, each right
60–95% of the time against a hidden truth, the annotations spread over the last 60 days.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import scratch_database
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

DAY = datetime(2026, 12, 2)
BATCH = 60_000
LABELS = list("abcd")
SPEC = {
    "name": "p",
    "fields": [{"name": "label", "kind": "choice", "labels": LABELS}],
    "overlap": 3,
}
VENDORS = ["acme", "globex", "initech"]
ANNOTATORS = 30
OVERLAP = 3


def load(db: Database, n: int, seed: int = 7) -> None:
    """``n`` annotations (rounded down to whole items of three) of project 'p'."""
    rng = random.Random(seed)
    accuracy = [0.6 + 0.35 * k / (ANNOTATORS - 1) for k in range(ANNOTATORS)]
    with db.engine.begin() as conn:
        for v, name in enumerate(VENDORS, start=1):
            conn.execute(
                text("INSERT INTO vendors (id, name, created_at) VALUES (:id, :n, :t)"),
                {"id": v, "n": name, "t": DAY},
            )
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, vendor_id, active, created_at) "
                "VALUES (:id, :e, '', 'annotator', :v, true, :t)"
            ),
            [
                {"id": a + 1, "e": f"a{a}@example.com", "v": 1 + a % len(VENDORS), "t": DAY}
                for a in range(ANNOTATORS)
            ],
        )
        conn.execute(
            text(
                "INSERT INTO projects (id, name, description, spec, overlap, lease_minutes, "
                "priority, spec_revision, created_at, updated_at) "
                "VALUES (1, 'p', '', :spec, 3, 30, 0, 1, :t, :t)"
            ),
            {"t": DAY, "spec": json.dumps(SPEC)},
        )
        n_items = n // OVERLAP
        per_batch = BATCH // OVERLAP
        for start in range(0, n_items, per_batch):
            ids = range(start + 1, min(n_items, start + per_batch) + 1)
            conn.execute(
                text(
                    "INSERT INTO items (id, project_id, external_id, payload, metadata, "
                    "content_hash, priority, n_submitted, n_leased, created_at) "
                    "VALUES (:id, 1, :x, '{}', '{}', :h, 0, 3, 0, :t)"
                ),
                [{"id": i, "x": f"x{i}", "h": f"h{i}", "t": DAY} for i in ids],
            )
            votes = []
            for i in ids:
                truth = rng.randrange(4)
                at = DAY - timedelta(minutes=rng.randrange(60 * 24 * 60))
                for k, who in enumerate(rng.sample(range(ANNOTATORS), OVERLAP)):
                    right = rng.random() < accuracy[who]
                    label = truth if right else rng.choice([c for c in range(4) if c != truth])
                    a_id = (i - 1) * OVERLAP + k + 1
                    votes.append(
                        {
                            "id": a_id,
                            "item": i,
                            "who": who + 1,
                            "v": json.dumps({"label": LABELS[label]}),
                            "t": at + timedelta(seconds=k),
                        }
                    )
            conn.execute(
                text(
                    "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, "
                    "leased_at, expires_at) VALUES (:id, 1, :item, :who, 'submitted', :t, :t)"
                ),
                votes,
            )
            conn.execute(
                text(
                    "INSERT INTO annotations (id, assignment_id, project_id, item_id, "
                    "annotator_id, value, idempotency_key, after_expiry, created_at) "
                    "VALUES (:id, :id, 1, :item, :who, :v, 'k', false, :t)"
                ),
                votes,
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
    from labelworks.services import agreement
    from labelworks.services.users import add_user

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.db, "ag", Path(tmp)) as url:
        db = Database(url)
        upgrade(db)
        took, _ = timed(lambda: load(db, args.annotations))
        print(f"{args.db:10} {args.annotations:>9,} annotations loaded in {took:.0f} s")
        since = DAY - timedelta(days=6)
        cases: dict[str, dict[str, Any]] = {
            "whole project": {},
            "last 7 days": {"since": since},
            "vendor acme": {"vendor": "acme"},
        }
        for name, filters in cases.items():
            first, report = timed(lambda f=filters: agreement.project_agreement(db, "p", **f))
            kept = best_ms(lambda f=filters: agreement.project_agreement(db, "p", **f))
            field = report.fields[0]
            print(
                f"{args.db:10} {name:14} {field.ratings:>9,} labels: first {first:5.1f} s, "
                f"kept {kept:6.1f} ms"
            )
        token = add_user(db, "lead@example.com", role="admin", with_token=True).token
        app = create_app(Settings(data_dir=Path(tmp) / "data"), database=db)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            for name, url in {
                "API": "/api/v1/projects/p/agreement",
                "API 7 days": f"/api/v1/projects/p/agreement?since={since.date()}",
                "page": "/projects/p/agreement",
                "page vendor": "/projects/p/agreement?vendor=acme",
            }.items():
                assert client.get(url, headers=headers).status_code == 200
                took_ms = best_ms(lambda u=url: client.get(u, headers=headers))
                print(f"{args.db:10} {name:14} kept report: {took_ms:6.1f} ms per request")
        db.dispose()


if __name__ == "__main__":
    main()
