"""The Items table at scale: one page of the table with its count, for each filter and sort
the page offers, on a project of 1M items (services.catalog.list_items, the call the page,
the API and the CLI make), and the page itself over HTTP.

    python bench/items_page.py                             # SQLite, 1M items
    python bench/items_page.py --db postgresql
    python bench/items_page.py --items 100000 --keep /tmp/items.sqlite   # reuse a load

The project is written straight into a scratch database: 1M items with a short review as
payload and metadata (split: train 80% / val 10% / test 10%, source: one of 20, batch), one
scored pre-annotation each, 1% of them at priority 1; the first 30% complete with three
annotations by three of ten annotators (every fifth of them with one dissenting answer),
the next 2% started with one. Each case runs three times and the best time is shown, with
how many rows the page got and the count it showed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import PG_ADMIN_URL, PG_URL, scratch_database
from labelworks.services.catalog import ItemPage, list_items
from labelworks.services.item_actions import act_on_items
from labelworks.services.item_selection import ItemSelection
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

DAY = datetime(2026, 12, 2)
BATCH = 20_000
ANNOTATORS = 10
SPEC = {
    "name": "p",
    "fields": [
        {"name": "sentiment", "kind": "choice", "labels": ["pos", "neg", "neu"]},
        {"name": "note", "kind": "text", "required": False},
    ],
    "overlap": 3,
}
LABELS = ("pos", "neg", "neu")


def compact(value: Any) -> str:
    """JSON as labelworks stores it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


WORDS = [
    *("the", "battery", "lasts", "long", "but", "the", "screen"),
    *("scratches", "easily", "and", "support", "was", "slow"),
]


def _item(i: int, n: int) -> dict[str, Any]:
    complete, started = i <= 0.3 * n, 0.3 * n < i <= 0.32 * n
    submitted = 3 if complete else 1 if started else 0
    split = "val" if i % 10 == 1 else "test" if i % 10 == 2 else "train"
    words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(12))
    return {
        "id": i,
        "payload": compact({"text": f"review {i}: {words}"}),
        "metadata": compact({"split": split, "source": f"s{i % 20}", "batch": i // 1000}),
        "h": f"h{i}",
        "priority": 1 if i % 100 == 0 else 0,
        "n": submitted,
        "pool": None if complete else 0 if started else 1,
        "t": DAY + timedelta(seconds=i // 100),
    }


def _votes(i: int, n: int) -> list[tuple[int, str]]:
    """(annotator, label) of item ``i``'s annotations."""
    if i <= 0.3 * n:
        label = LABELS[i % 3]
        dissent = LABELS[(i + 1) % 3] if i % 5 == 0 else label
        people = [(i + k) % ANNOTATORS + 1 for k in range(3)]
        return [(people[0], label), (people[1], label), (people[2], dissent)]
    if i <= 0.32 * n:
        return [(i % ANNOTATORS + 1, LABELS[i % 3])]
    return []


def load(db: Database, n: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, active, created_at) "
                "VALUES (:id, :email, '', 'annotator', true, :t)"
            ),
            [{"id": k, "email": f"a{k}@example.com", "t": DAY} for k in range(1, ANNOTATORS + 1)],
        )
        conn.execute(
            text(
                "INSERT INTO projects (id, name, description, spec, overlap, lease_minutes, "
                "priority, spec_revision, created_at, updated_at) "
                "VALUES (1, 'p', '', :spec, 3, 30, 0, 1, :t, :t)"
            ),
            {"t": DAY, "spec": compact(SPEC)},
        )
        note = 0
        for start in range(1, n + 1, BATCH):
            ids = range(start, min(n, start + BATCH - 1) + 1)
            conn.execute(
                text(
                    "INSERT INTO items (id, project_id, payload, metadata, content_hash, "
                    "priority, n_submitted, n_leased, pool, created_at) "
                    "VALUES (:id, 1, :payload, :metadata, :h, :priority, :n, 0, :pool, :t)"
                ),
                [_item(i, n) for i in ids],
            )
            conn.execute(
                text(
                    "INSERT INTO pre_annotations (item_id, model, score, value) "
                    "VALUES (:i, 'clf', :s, :v)"
                ),
                [{"i": i, "s": (i * 7919 % 1000) / 1000, "v": '{"sentiment":"pos"}'} for i in ids],
            )
            work = []
            for i in ids:
                for who, label in _votes(i, n):
                    note += 1
                    value = compact({"sentiment": label})
                    work.append({"id": note, "i": i, "a": who, "v": value, "t": DAY})
            if work:
                conn.execute(
                    text(
                        "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, "
                        "leased_at, expires_at) VALUES (:id, 1, :i, :a, 'submitted', :t, :t)"
                    ),
                    work,
                )
                conn.execute(
                    text(
                        "INSERT INTO annotations (id, assignment_id, project_id, item_id, "
                        "annotator_id, value, idempotency_key, after_expiry, created_at) "
                        "VALUES (:id, :id, 1, :i, :a, :v, 'k', false, :t)"
                    ),
                    work,
                )
    if db.is_postgresql:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("users", "items", "pre_annotations", "assignments", "annotations"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def cases(n: int) -> dict[str, dict[str, Any]]:
    middle = n // 2
    return {
        "no filter": {},
        "no filter, a page in the middle": {"after": middle},
        "no filter, previous page": {"before": middle},
        "page size 200": {"limit": 200},
        "status complete": {"status": "complete"},
        "status in_progress": {"status": "in_progress"},
        "status new": {"status": "new"},
        "metadata split=val": {"metadata": (("split", "val"),)},
        "metadata source=s2, split=test": {"metadata": (("source", "s2"), ("split", "test"))},
        "metadata batch=999 (rare)": {"metadata": (("batch", "999"),)},
        "label neg": {"label": "neg"},
        "annotator a3": {"annotator": "a3@example.com"},
        "disagreement (any field)": {"disagreement": "any"},
        "disagreement, exact count": {"disagreement": "any", "exact_count": True},
        "complete + disagreement": {"status": "complete", "disagreement": "sentiment"},
        "score 0.9-1.0": {"score_min": 0.9, "score_max": 1.0},
        "score 0.9-1.0 + split=val": {"score_min": 0.9, "metadata": (("split", "val"),)},
        "text 'review 4242:' (rare)": {"text": "review 4242:"},
        "sort -id": {"sort": "-id"},
        "sort -priority": {"sort": "-priority"},
        "sort n_submitted": {"sort": "n_submitted"},
        "sort -n_submitted": {"sort": "-n_submitted"},
        "sort -priority, a page in the middle": {"sort": "-priority", "after": middle},
    }


def best(call: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return 1000 * min(times), result


def shown(page: ItemPage) -> str:
    return f"{page.total:,}{'+' if page.total_capped else ''}"


def bulk_actions(db: Database) -> list[tuple[str, float]]:
    """A bulk priority on 1,000 items by ids and by a filter (each put back untimed)."""
    ids = list(range(500_001, 501_001))
    batch = ItemSelection(metadata=(("batch", "700"),))
    out = []
    for name, chosen in (("1,000 ids", {"ids": ids}), ("filter batch=700", {"selection": batch})):
        started = time.perf_counter()
        done = act_on_items(db, "p", "priority", priority=9, **chosen)
        took = 1000 * (time.perf_counter() - started)
        act_on_items(db, "p", "priority", priority=0, **chosen)
        out.append((f"bulk priority, {name} ({done.changed:,} changed)", took))
    return out


def page_over_http(db: Database, data_dir: Path, queries: list[str]) -> list[tuple[str, float]]:
    """The Items page (the htmx table and the whole page) as a manager asks for it."""
    from fastapi.testclient import TestClient

    from labelworks.config import Settings
    from labelworks.server.app import create_app
    from labelworks.services.users import add_user

    email = f"boss{time.time_ns()}@example.com"  # a kept database has the last run's
    made = add_user(db, email, role="manager", projects=["p"], with_token=True)
    headers = {"Authorization": f"Bearer {made.token}"}
    app = create_app(Settings(data_dir=data_dir), database=db)
    out = []
    with TestClient(app) as client:
        for query in queries:
            for hx in (True, False):
                extra = {"HX-Request": "true"} if hx else {}

                def get(q: str = query, h: dict[str, str] = extra) -> None:
                    answer = client.get(f"/projects/p/items?{q}", headers={**headers, **h})
                    assert answer.status_code == 200, answer.text[:300]

                took, _ = best(get)
                out.append((f"{'table' if hx else 'page '} ?{query}", took))
    return out


@contextmanager
def database(kind: str, keep: str | None, n: int) -> Iterator[tuple[Database, Path]]:
    """A loaded database: a scratch one, or with ``keep`` a SQLite file or a PostgreSQL
    database of that name, loaded once and kept for the next run."""
    with tempfile.TemporaryDirectory() as tmp:
        if keep is None:
            with scratch_database(kind, "items", Path(tmp)) as url:
                db = Database(url)
                upgrade(db)
                load(db, n)
                yield db, Path(tmp)
                db.dispose()
            return
        if kind == "sqlite":
            url, fresh = f"sqlite:///{keep}", not Path(keep).exists()
        else:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                fresh = not admin.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (keep,)
                ).fetchone()
                if fresh:
                    admin.execute(f'CREATE DATABASE "{keep}"')
            url = PG_URL.format(name=keep)
        db = Database(url)
        if fresh:
            upgrade(db)
            load(db, n)
        yield db, Path(tmp)
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--keep", help="a SQLite file (or PostgreSQL database name) to load once and reuse"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with database(args.db, args.keep, args.items) as (db, tmp):
        print(f"{args.db}: {args.items:,} items ready in {time.perf_counter() - started:.0f} s")
        times = []
        for name, kwargs in cases(args.items).items():
            took, page = best(lambda k=kwargs: list_items(db, "p", **k))
            times.append(took)
            print(f"  {name:34} {took:7.1f} ms  {len(page.items):3} rows of {shown(page):>8}")
        print(f"  median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms")
        for name, took in bulk_actions(db):
            print(f"  {name:60} {took:7.1f} ms")
        queries = ["", "status=complete&meta.split=val&sort=-priority", "disagreement=any"]
        for name, took in page_over_http(db, tmp / "data", queries):
            print(f"  {name:60} {took:7.1f} ms")


if __name__ == "__main__":
    main()
