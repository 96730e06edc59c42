"""Benchmark the assignment engine: next_task_for + submit_annotation cycles through services.

For every database and thread count: a fresh project of ``--items`` text items with
``--overlap``, one annotator per thread, and each thread looping ``next_task_for`` then
``submit_annotation`` until the run's cycle budget or time budget is spent. Reports
cycles/s (all threads together) and p50/p95 latency of ``next`` and of ``submit``
separately, then checks the invariants (no item over its overlap, nobody twice on an item,
every submit stored).

Each database gets one scratch database (a SQLite file in a temp dir, or ``CREATE
DATABASE`` on the local PostgreSQL, dropped afterwards); each run gets its own project.

    python bench/foundation_assignment.py                           # 1, 8, 32 threads, both dbs
    python bench/foundation_assignment.py --db postgresql --threads 8 --profile
    python bench/foundation_assignment.py --cycles 2000 --seconds 20

``--profile`` merges a cProfile of every worker thread; ``--sql-timing`` sums wall time per
SQL statement. Raw results go to bench/results/foundation_assignment-<time>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# bench/ is not a package: share the scratch-database and timing helpers by path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from foundation_import_export import (
    RESULTS,
    SqlTimer,
    provenance,
    scratch_database,
    sentence,
)
from labelworks.domain.spec import spec_from_dict
from labelworks.services import assignment, ingestion
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

LABELS = ("positive", "negative", "neutral")


def make_project(db: Database, name: str, n_items: int, overlap: int, seed: int) -> None:
    spec = spec_from_dict(
        {
            "name": name,
            "fields": [{"name": "sentiment", "kind": "choice", "labels": list(LABELS)}],
            "overlap": overlap,
            "lease_minutes": 30,
        }
    )
    project_service.apply_spec(db, spec, guidelines="# Rules\nBe kind.")
    rng = random.Random(seed)
    lines = "".join(
        json.dumps({"external_id": f"x{i}", "text": f"{sentence(rng, 92)} #{i}"}) + "\n"
        for i in range(n_items)
    )
    ingestion.import_items(
        db, name, io.BytesIO(lines.encode()), format="jsonl", source="bench.jsonl"
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def run_once(
    db: Database,
    project: str,
    annotators: list[int],
    *,
    cycles: int,
    seconds: float,
    profile: bool,
) -> dict[str, Any]:
    """All threads cycle until ``cycles`` in total are done or ``seconds`` have passed."""
    lock = threading.Lock()
    budget = [cycles]
    stop = threading.Event()
    next_ms: list[list[float]] = [[] for _ in annotators]
    submit_ms: list[list[float]] = [[] for _ in annotators]
    errors: list[str] = []
    exhausted = [0]
    profilers: list[cProfile.Profile] = []
    barrier = threading.Barrier(len(annotators) + 1)

    def worker(slot: int, annotator_id: int) -> None:
        prof = cProfile.Profile() if profile else None
        rng = random.Random(slot)
        barrier.wait()
        if prof:
            prof.enable()
        try:
            while not stop.is_set():
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                t0 = time.perf_counter()
                task = assignment.next_task_for(db, project, annotator_id)
                t1 = time.perf_counter()
                next_ms[slot].append((t1 - t0) * 1000)
                if task is None:
                    with lock:
                        exhausted[0] += 1
                    return
                assignment.submit_annotation(
                    db,
                    task.assignment_id,
                    annotator_id,
                    value={"sentiment": rng.choice(LABELS)},
                    seconds=round(rng.uniform(2, 30), 1),
                    idempotency_key=f"bench-{annotator_id}-{task.assignment_id}",
                )
                submit_ms[slot].append((time.perf_counter() - t1) * 1000)
        except Exception as exc:  # a benchmark reports failures instead of hiding them
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            if prof:
                prof.disable()
                with lock:
                    profilers.append(prof)

    threads = [
        threading.Thread(target=worker, args=(i, a), daemon=True) for i, a in enumerate(annotators)
    ]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    deadline = start + seconds
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()))
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    nexts = [v for per in next_ms for v in per]
    submits = [v for per in submit_ms for v in per]
    out: dict[str, Any] = {
        "cycles": len(submits),
        "seconds": elapsed,
        "cycles_per_s": len(submits) / elapsed,
        "next_p50_ms": percentile(nexts, 50),
        "next_p95_ms": percentile(nexts, 95),
        "submit_p50_ms": percentile(submits, 50),
        "submit_p95_ms": percentile(submits, 95),
        "per_thread_cycles": [len(s) for s in submit_ms],
        "errors": errors,
        "queue_exhausted": exhausted[0],
    }
    if profilers:
        text = io.StringIO()
        stats = pstats.Stats(profilers[0], stream=text)
        for p in profilers[1:]:
            stats.add(p)
        stats.strip_dirs().sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(30)
        out["profile"] = text.getvalue()
    return out


def invariants(db: Database, project: str, expected: int) -> dict[str, Any]:
    """Counts that must hold after any run: checked here so a fast result is also a right one."""
    from sqlalchemy import text

    with db.read() as conn:
        pid = conn.execute(text("SELECT id FROM projects WHERE name = :n"), {"n": project}).scalar()
        q = {"p": pid}
        over = conn.execute(
            text(
                "SELECT count(*) FROM items i JOIN projects p ON p.id = i.project_id"
                " WHERE i.project_id = :p AND i.n_submitted + i.n_leased > p.overlap"
            ),
            q,
        ).scalar_one()
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT item_id, annotator_id FROM annotations"
                " WHERE project_id = :p GROUP BY item_id, annotator_id HAVING count(*) > 1) t"
            ),
            q,
        ).scalar_one()
        stored = conn.execute(
            text("SELECT count(*) FROM annotations WHERE project_id = :p"), q
        ).scalar_one()
    ok = over == 0 and twice == 0 and stored == expected
    return {"ok": ok, "over_overlap": over, "twice": twice, "stored": stored, "expected": expected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--threads", default="1,8,32")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--overlap", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=3000, help="per run, all threads")
    parser.add_argument("--seconds", type=float, default=30.0, help="per run, at most")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql-timing", action="store_true")
    args = parser.parse_args()

    thread_counts = [int(t) for t in args.threads.split(",") if t]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = RESULTS / f"foundation_assignment-{time.strftime('%Y%m%d-%H%M%S')}.json"
    runs: list[dict[str, Any]] = []
    started = provenance()
    with tempfile.TemporaryDirectory(prefix="lw-bench-") as tmp:
        for kind in [d for d in args.db.split(",") if d]:
            with scratch_database(kind, "assign", Path(tmp)) as url:
                db = Database(url)
                upgrade(db)
                for n_threads in thread_counts:
                    project = f"assign{n_threads}"
                    t = time.perf_counter()
                    make_project(db, project, args.items, args.overlap, seed=n_threads)
                    annotators = [
                        user_service.add_user(
                            db, f"{project}-a{i}@example.com", role="annotator", projects=[project]
                        ).user.id
                        for i in range(n_threads)
                    ]
                    setup = time.perf_counter() - t
                    timer = SqlTimer(db.engine) if args.sql_timing else None
                    r = run_once(
                        db,
                        project,
                        annotators,
                        cycles=args.cycles,
                        seconds=args.seconds,
                        profile=args.profile,
                    )
                    if timer:
                        r["sql"] = timer.top(15)
                        timer.detach()  # the next run is timed on its own
                    r.update(
                        db=kind,
                        threads=n_threads,
                        items=args.items,
                        overlap=args.overlap,
                        setup_seconds=setup,
                        invariants=invariants(db, project, r["cycles"]),
                    )
                    runs.append(r)
                    record = {"argv": sys.argv[1:], "provenance": started, "runs": runs}
                    out_path.write_text(json.dumps(record, indent=2))
                    print_run(r)
                db.dispose()
    print_table(runs)
    print(f"\nraw results: {out_path}")


def print_run(r: dict[str, Any]) -> None:
    print(
        f"{r['db']:<11}{r['threads']:>3} threads: {r['cycles']:>5} cycles in {r['seconds']:5.1f} s"
        f" = {r['cycles_per_s']:7.1f}/s  next p50/p95 {r['next_p50_ms']:.1f}/"
        f"{r['next_p95_ms']:.1f} ms  submit p50/p95 {r['submit_p50_ms']:.1f}/"
        f"{r['submit_p95_ms']:.1f} ms  invariants {'ok' if r['invariants']['ok'] else 'BROKEN'}"
        f"{'  errors: ' + str(len(r['errors'])) if r['errors'] else ''}",
        flush=True,
    )
    for e in r["errors"][:3]:
        print(f"    {e}")
    if "profile" in r:
        print(r["profile"])
    for s in r.get("sql", []):
        print(f"    {s['seconds']:8.3f} s {s['calls']:>7} calls  {s['sql']}")


def print_table(runs: list[dict[str, Any]]) -> None:
    print("\nnext_task_for + submit_annotation through the service layer")
    print(
        f"{'db':<11}{'threads':>8}{'cycles':>8}{'cycles/s':>10}{'next p50':>10}{'next p95':>10}"
        f"{'sub p50':>9}{'sub p95':>9}{'errors':>8}  invariants"
    )
    for r in runs:
        print(
            f"{r['db']:<11}{r['threads']:>8}{r['cycles']:>8}{r['cycles_per_s']:>10.1f}"
            f"{r['next_p50_ms']:>10.1f}{r['next_p95_ms']:>10.1f}{r['submit_p50_ms']:>9.1f}"
            f"{r['submit_p95_ms']:>9.1f}{len(r['errors']):>8}  "
            f"{'ok' if r['invariants']['ok'] else r['invariants']}"
        )
    print("latencies in ms")


if __name__ == "__main__":
    main()
