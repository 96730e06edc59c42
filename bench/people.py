"""People analytics at scale: the People tab, its API and the overall report at 1M
annotations by 500 annotators from 5 vendors (services/people_analytics.py).

    python bench/people.py                             # SQLite, 1M annotations
    python bench/people.py --db postgresql --annotations 300000

The world is written straight into a scratch database: one choice field of four labels,
overlap 3, 500 annotators (100 per vendor), each right 55–95% of the time and with their
own typical seconds per task; 5% of the annotations on 1,000 gold items (scored), 10%
reviewed (accepted, fixed, rejected or pending), a final label on every ordinary item,
guideline version 2 from day 40 of 60, and 50 leases held. Times: the first report (read
and computed in the request), the stages of that first computation, and a view of the
kept report — the service, the API and the page over HTTP — best of three.
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
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

DAY = datetime(2026, 12, 2)
DAYS = 60
BATCH = 60_000
LABELS = list("abcd")
VENDORS = ["acme", "globex", "initech", "umbrella", "hooli"]
ANNOTATORS = 500
GOLD_ITEMS = 1000
OVERLAP = 3
SPEC = {
    "name": "p",
    "fields": [{"name": "label", "kind": "choice", "labels": LABELS}],
    "overlap": OVERLAP,
    "quality": {"gold_rate": 0.05, "consensus": "majority", "review": {"rate": 0.1}},
}


def _insert(conn: Any, sql: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(text(sql), rows[start : start + BATCH])


def load(db: Database, n: int, seed: int = 7) -> None:
    """``n`` annotations of project 'p' (see the module docstring)."""
    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.55, 0.95, ANNOTATORS)
    pace = rng.lognormal(np.log(12), 0.5, ANNOTATORS)
    n_gold = n // 20
    n_items = (n - n_gold) // OVERLAP
    n = n_items * OVERLAP + n_gold
    # Ordinary votes: three distinct annotators per item; gold votes: anyone.
    first = rng.integers(0, ANNOTATORS, n_items)
    gold_round, gold_item = np.divmod(np.arange(n_gold), GOLD_ITEMS)
    who = np.concatenate(
        [
            (first[:, None] + np.array([0, 167, 334])).ravel() % ANNOTATORS,
            (gold_item * 13 + gold_round) % ANNOTATORS,
        ]
    )
    item = np.concatenate([np.repeat(np.arange(n_items) + GOLD_ITEMS + 1, OVERLAP), gold_item + 1])
    truth_of = rng.integers(0, 4, n_items + GOLD_ITEMS + 1)
    truth = truth_of[item]
    right = rng.random(n) < accuracy[who]
    label = np.where(right, truth, (truth + rng.integers(1, 4, n)) % 4)
    seconds = np.round(rng.lognormal(np.log(pace[who]), 0.6), 1)
    minutes = rng.integers(0, DAYS * 24 * 60, n)
    at = [DAY - timedelta(minutes=int(m)) for m in minutes]
    version = np.where(minutes < (DAYS - 40) * 24 * 60, 2, 1)
    with db.engine.begin() as conn:
        _insert(conn, "INSERT INTO vendors (id, name, created_at) VALUES (:id, :n, :t)",
                [{"id": v + 1, "n": name, "t": DAY} for v, name in enumerate(VENDORS)])  # fmt: skip
        _insert(
            conn,
            "INSERT INTO users (id, email, name, role, vendor_id, active, created_at) "
            "VALUES (:id, :e, '', 'annotator', :v, true, :t)",
            [{"id": a + 1, "e": f"a{a:03d}@{VENDORS[a % 5]}.example", "v": 1 + a % 5, "t": DAY}
             for a in range(ANNOTATORS)],
        )  # fmt: skip
        _insert(
            conn,
            "INSERT INTO users (id, email, name, role, vendor_id, active, created_at) "
            "VALUES (:id, :e, '', 'manager', :v, true, :t)",
            [{"id": 1000 + v, "e": f"boss@{name}.example", "v": v + 1, "t": DAY}
             for v, name in enumerate(VENDORS)],
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO projects (id, name, description, spec, overlap, lease_minutes, "
                "priority, spec_revision, guideline_version, created_at, updated_at) "
                "VALUES (1, 'p', '', :spec, 3, 30, 0, 1, 2, :t, :t)"
            ),
            {"t": DAY, "spec": json.dumps(SPEC)},
        )
        _insert(
            conn,
            "INSERT INTO guideline_versions (project_id, version, content, changelog, created_at) "
            "VALUES (1, :v, :c, '', :t)",
            [
                {"v": v, "c": f"version {v}", "t": DAY - timedelta(days=DAYS - 20 * v)}
                for v in (1, 2)
            ],
        )
        _insert(
            conn,
            "INSERT INTO memberships (project_id, user_id, created_at) VALUES (1, :u, :t)",
            [{"u": u, "t": DAY} for u in [*range(1, ANNOTATORS + 1), *range(1000, 1005)]],
        )
        _insert(
            conn,
            "INSERT INTO items (id, project_id, external_id, payload, metadata, content_hash, "
            "priority, n_submitted, n_leased, gold, created_at) "
            "VALUES (:id, 1, :x, '{}', '{}', :h, 0, :s, 0, :g, :t)",
            [{"id": i, "x": f"x{i}", "h": f"h{i}", "s": 0 if i <= GOLD_ITEMS else OVERLAP,
              "g": i <= GOLD_ITEMS, "t": DAY} for i in range(1, n_items + GOLD_ITEMS + 1)],
        )  # fmt: skip
        _insert(
            conn,
            "INSERT INTO gold_answers (item_id, project_id, value, created_at) "
            "VALUES (:i, 1, :v, :t)",
            [{"i": i, "v": json.dumps({"label": LABELS[truth_of[i]]}), "t": DAY}
             for i in range(1, GOLD_ITEMS + 1)],
        )  # fmt: skip
        votes = [
            {"id": k + 1, "item": int(item[k]), "who": int(who[k]) + 1, "t": at[k],
             "v": json.dumps({"label": LABELS[label[k]]}), "s": float(seconds[k]),
             "g": int(version[k])}
            for k in range(n)
        ]  # fmt: skip
        _insert(
            conn,
            "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, leased_at, "
            "expires_at, closed_at) VALUES (:id, 1, :item, :who, 'submitted', :t, :t, :t)",
            votes,
        )
        _insert(
            conn,
            "INSERT INTO annotations (id, assignment_id, project_id, item_id, annotator_id, "
            "value, seconds, guideline_version, idempotency_key, after_expiry, created_at) "
            "VALUES (:id, :id, 1, :item, :who, :v, :s, :g, 'k', false, :t)",
            votes,
        )
        gold = np.flatnonzero(item <= GOLD_ITEMS)
        _insert(
            conn,
            "INSERT INTO gold_results (project_id, item_id, annotator_id, annotation_id, "
            "correct, fields, created_at) VALUES (1, :item, :who, :id, :c, '{}', :t)",
            [{**votes[k], "c": bool(right[k])} for k in gold],
        )
        reviewed = rng.choice(np.flatnonzero(item > GOLD_ITEMS), n // 10, replace=False)
        status = rng.choice(["accepted", "fixed", "rejected", "pending"], reviewed.size,
                            p=[0.8, 0.08, 0.04, 0.08])  # fmt: skip
        _insert(
            conn,
            "INSERT INTO reviews (project_id, annotation_id, item_id, annotator_id, why, status, "
            "created_at) VALUES (1, :id, :item, :who, 'sample', :st, :t)",
            [{**votes[k], "st": str(s)} for k, s in zip(reviewed, status, strict=True)],
        )
        majority = (truth_of + (rng.random(truth_of.size) < 0.1)) % 4
        _insert(
            conn,
            "INSERT INTO final_labels (item_id, project_id, value, method, confidence, fields, "
            "n_annotations, status, annotation_ids, decided_at) "
            "VALUES (:i, 1, :v, 'majority', 1.0, '{}', 3, 'final', '[]', :t)",
            [{"i": i, "v": json.dumps({"label": LABELS[majority[i]]}), "t": DAY}
             for i in range(GOLD_ITEMS + 1, n_items + GOLD_ITEMS + 1)],
        )  # fmt: skip
        _insert(
            conn,
            "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, leased_at, "
            "expires_at) VALUES (:id, 1, :item, :who, 'leased', :t, :e)",
            [{"id": n + 1 + k, "item": GOLD_ITEMS + 1 + k,
              "who": int(first[k] + 80) % ANNOTATORS + 1, "t": DAY - timedelta(hours=2),
              "e": DAY + timedelta(days=365)} for k in range(50)],
        )  # fmt: skip


def _sequences(db: Database) -> None:
    """PostgreSQL's id sequences past the ids written by hand (SQLite needs nothing)."""
    if db.is_sqlite:
        return
    with db.engine.begin() as conn:
        for table in ("vendors", "users", "projects", "guideline_versions", "items",
                      "assignments", "annotations", "gold_results", "reviews"):  # fmt: skip
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    got = work()
    return time.perf_counter() - started, got


def best_ms(work: Callable[[], Any], times: int = 3) -> float:
    return 1000 * min(timed(work)[0] for _ in range(times))


def stages(db: Database) -> dict[str, float]:
    """Seconds of each part of a first report, whole project, no wall."""
    from labelworks.domain.period import EVERYTHING
    from labelworks.services.people_records import figures, gather
    from labelworks.services.specs import stored_spec
    from labelworks.storage import people_stats as store
    from labelworks.storage import projects

    out: dict[str, float] = {}
    with db.read() as conn:
        project = projects.by_name(conn, "p")
        assert project is not None
        spec = stored_spec(project.spec)
        out["annotations read"], _ = timed(
            lambda: store.annotation_rows(conn, 1, None, None, None, "label")
        )
        out["gather (all reads, DS fit)"], part = timed(
            lambda: gather(conn, project, spec, EVERYTHING, None)
        )
        people = store.people(conn, part.user_ids())
    out["figures"], _ = timed(lambda: figures([part], people, DAY))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--annotations", type=int, default=1_000_000)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from labelworks.config import Settings
    from labelworks.domain.access import Actor, Role
    from labelworks.domain.period import iso_week
    from labelworks.server.app import create_app
    from labelworks.services.people_analytics import people_overall, people_report
    from labelworks.services.users import add_user

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.db, "pp", Path(tmp)) as url:
        db = Database(url)
        upgrade(db)
        took, _ = timed(lambda: load(db, args.annotations))
        _sequences(db)
        print(f"{args.db:10} {args.annotations:>9,} annotations loaded in {took:.0f} s")
        for name, seconds in stages(db).items():
            print(f"{args.db:10} stage {name:28} {seconds:6.2f} s")
        acme = Actor(1000, "boss@acme.example", Role.MANAGER, "acme")
        week = iso_week("2026-W48")
        cases: dict[str, Callable[[], Any]] = {
            "project": lambda: people_report(db, "p"),
            "project, a week": lambda: people_report(db, "p", period=week),
            "project, vendor acme": lambda: people_report(db, "p", actor=acme),
            "overall": lambda: people_overall(db),
        }
        for name, work in cases.items():
            first, report = timed(work)
            kept = best_ms(work)
            print(
                f"{args.db:10} {name:22} {len(report.people):>4} people: first {first:5.1f} s, "
                f"kept {kept:6.1f} ms"
            )
        token = add_user(db, "lead@example.com", role="admin", with_token=True).token
        app = create_app(Settings(data_dir=Path(tmp) / "data"), database=db)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            for name, path in {
                "API": "/api/v1/projects/p/people",
                "API overall": "/api/v1/people",
                "page": "/projects/p/people",
                "page, a week": "/projects/p/people?period=2026-W48",
            }.items():
                status = client.get(path, headers=headers).status_code
                took_ms = best_ms(lambda u=path: client.get(u, headers=headers))
                print(
                    f"{args.db:10} {name:22} kept report: {took_ms:6.1f} ms per request ({status})"
                )
        db.dispose()


if __name__ == "__main__":
    main()
