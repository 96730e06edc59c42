"""Capacity planning at scale: the forecast service, API and page, and the allocation
across projects, at 1M annotations by 500 annotators from 5 vendors over 60 days
(services/capacity.py, services/capacity_facts.py).

    python bench/forecast.py                           # SQLite, 1M annotations
    python bench/forecast.py --db postgresql --annotations 300000

The world is bench/people.py's (overlap 3, 5% gold, 10% reviewed, every item complete)
plus 200,000 untouched items, so the project is about 60% done, and a spec ``plan``
(deadline in 30 days, budget). Times, best of three unless said: the core alone (the
Monte Carlo forecast and the headcount search), the first view (every fact grouped), a
view of kept facts, a view after 100 new annotations (only those are grouped; the rest is
recounted in the background, switched off here to time the request alone), the whole
recount, the vendors' average price (gathered in the background), the allocation, and the
API, the Capacity tab and /capacity over HTTP with kept facts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from foundation_import_export import scratch_database
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade
from people import DAY, SPEC, load

EXTRA_ITEMS = 200_000
TODAY = DAY.date() + timedelta(days=1)


def say(tag: str, what: str, ms: float) -> None:
    print(f"{tag} {what:40} {ms:9.1f} ms")


def best_ms(work: Callable[[], Any], times: int = 3) -> float:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        found.append(time.perf_counter() - started)
    return 1000 * min(found)


def extend(db: Database) -> None:
    """The untouched items, the plan, and a lead with a token-less account."""
    plan = {
        "deadline": (TODAY + timedelta(days=30)).isoformat(),
        "confidence": 0.8,
        "budget": {"amount": 60_000, "currency": "USD"},
    }
    with db.engine.begin() as conn:
        first = int(conn.execute(text("SELECT max(id) FROM items")).scalar_one()) + 1
        rows = [
            {"id": i, "x": f"new{i}", "h": f"new{i}", "t": DAY}
            for i in range(first, first + EXTRA_ITEMS)
        ]
        for start in range(0, len(rows), 50_000):
            conn.execute(
                text(
                    "INSERT INTO items (id, project_id, external_id, payload, metadata, "
                    "content_hash, priority, n_submitted, n_leased, gold, created_at) "
                    "VALUES (:id, 1, :x, '{}', '{}', :h, 0, 0, 0, false, :t)"
                ),
                rows[start : start + 50_000],
            )
        conn.execute(
            text("UPDATE projects SET spec = :s WHERE id = 1"),
            {"s": json.dumps({**SPEC, "plan": plan})},
        )


def add_annotations(db: Database, n: int) -> None:
    """``n`` more annotations today by annotator 1, on untouched items."""
    with db.engine.begin() as conn:

        def first(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        top = max(
            first("SELECT max(id) FROM annotations"), first("SELECT max(id) FROM assignments")
        )
        item = first("SELECT min(id) FROM items WHERE n_submitted = 0 AND NOT gold")
        at = DAY + timedelta(hours=12)
        rows = [{"id": top + k + 1, "item": item + k, "t": at} for k in range(n)]
        conn.execute(
            text(
                "INSERT INTO assignments (id, project_id, item_id, annotator_id, state, "
                "leased_at, expires_at) VALUES (:id, 1, :item, 1, 'submitted', :t, :t)"
            ),
            rows,
        )
        conn.execute(
            text(
                "INSERT INTO annotations (id, assignment_id, project_id, item_id, annotator_id, "
                "value, idempotency_key, after_expiry, created_at) "
                "VALUES (:id, :id, 1, :item, 1, '{\"label\": \"a\"}', 'k', false, :t)"
            ),
            rows,
        )
        conn.execute(
            text("UPDATE items SET n_submitted = 1 WHERE id >= :low AND id < :high"),
            {"low": item, "high": item + n},
        )


def core() -> None:
    from labelworks.planning import forecast_completion, headcount_needed

    rng = np.random.default_rng(1)
    history = np.where(rng.random(60) < 2 / 7, 0, rng.poisson(17_000, 60))
    person_days = rng.poisson(35, 30_000)
    cases: dict[str, Callable[[], Any]] = {
        "forecast_completion, 60 days, 10,000 simulations": lambda: forecast_completion(
            history, 600_000, seed=1
        ),
        "headcount_needed, 30,000 person-days": lambda: headcount_needed(
            person_days, 600_000, 30, 0.8, seed=1
        ),
    }
    for name, work in cases.items():
        print(f"core      {name:52} {best_ms(work):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--annotations", type=int, default=1_000_000)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from labelworks.config import Settings
    from labelworks.domain.access import Actor, Role
    from labelworks.server.app import create_app
    from labelworks.services import capacity_facts
    from labelworks.services.allocation import allocation_plan
    from labelworks.services.capacity import Knobs, project_forecast
    from labelworks.services.users import add_user
    from labelworks.services.vendor_usage import cost_per_annotation

    core()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.db, "fc", Path(tmp)) as url:
        db = Database(url)
        upgrade(db)
        if db.is_postgresql:
            # bench/people.py writes explicit ids; move the sequences past them so rows
            # added without one (its held leases, the lead below) get fresh ids.
            with db.engine.begin() as conn:
                for table in ("users", "vendors", "projects", "items", "assignments"):
                    conn.execute(text(f"SELECT setval('{table}_id_seq', 10000000)"))
        started = time.perf_counter()
        load(db, args.annotations)
        extend(db)
        print(f"{args.db:10} world loaded in {time.perf_counter() - started:.0f} s")
        tag = f"{args.db:10} {args.annotations:>9,}"
        # Time the requests alone: background recounts and the vendors' price are timed
        # on their own below.
        capacity_facts.runner = lambda work: None

        def view(actor: Actor | None = None) -> Any:
            return project_forecast(db, "p", actor=actor, today=TODAY)

        started = time.perf_counter()
        found = view()
        say(tag, "first view (every fact grouped)", 1000 * (time.perf_counter() - started))
        f = found.forecast
        assert f is not None
        print(
            f"{tag} {found.done:,} done, {found.remaining:,.0f} left: P10/P50/P90 "
            f"{f.p10:.1f}/{f.p50:.1f}/{f.p90:.1f} days; headcount needed "
            f"{found.deadline.headcount_needed if found.deadline else None}"
        )
        say(tag, "kept facts, same view", best_ms(view))
        fresh = []
        for people in (600, 601, 602):
            started = time.perf_counter()
            project_forecast(db, "p", Knobs(headcount=people, gold_rate=0.1), today=TODAY)
            fresh.append(time.perf_counter() - started)
        say(tag, "kept facts, a new what-if (simulated)", 1000 * min(fresh))
        acme = Actor(1000, "boss@acme.example", Role.MANAGER, "acme")
        say(tag, "kept facts, acme's manager", best_ms(lambda: view(acme)))
        increments = []
        for _ in range(3):
            add_annotations(db, 100)
            started = time.perf_counter()
            view()
            increments.append(time.perf_counter() - started)
        say(tag, "after 100 new annotations (increment)", 1000 * min(increments))
        project_id = 1
        started = time.perf_counter()
        capacity_facts.forget(db, project_id)
        capacity_facts.facts_of(db, project_id)
        say(tag, "whole recount (background)", 1000 * (time.perf_counter() - started))
        view()
        started = time.perf_counter()
        cost_per_annotation(db, "p")
        say(tag, "vendors' price (background)", 1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        plan = allocation_plan(db, today=TODAY)
        say(tag, f"allocation, {plan.people} people, first", 1000 * (time.perf_counter() - started))
        say(tag, "allocation, kept facts", best_ms(lambda: allocation_plan(db, today=TODAY)))
        token = add_user(db, "lead@example.com", role="admin", with_token=True).token
        app = create_app(Settings(data_dir=Path(tmp) / "data"), database=db)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            for name, path in {
                "API forecast": "/api/v1/projects/p/forecast",
                "Capacity tab": "/projects/p/capacity",
                "Capacity tab, what-if": "/projects/p/capacity?headcount=600&overlap=2.5",
                "API capacity": "/api/v1/capacity",
                "/capacity page": "/capacity",
            }.items():
                status = client.get(path, headers=headers).status_code
                took = best_ms(lambda u=path: client.get(u, headers=headers))
                say(tag, f"{name} over HTTP, kept facts ({status})", took)
        db.dispose()


if __name__ == "__main__":
    main()
