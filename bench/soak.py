"""Soak the HTTP server: annotators cycling for many minutes, with aborted exports and killed
clients, and the server's footprint sampled over time (issue 7: it must stay flat).

For every database: a scratch database (a SQLite file in a temp dir, or ``CREATE DATABASE``
on the local PostgreSQL, dropped afterwards) with a work project of ``--items`` items at
``--overlap``, a big export project of ``--export-items`` items, ``--annotators`` annotators
with API tokens and a manager with a token; then ``labelworks serve`` runs as a subprocess
(bench/http_server.py's set-up) and is loaded from outside over real TCP:

- annotators: client subprocesses of ``--per-process`` threads each (bench/soak_client.py),
  every thread looping ``next`` + ``submit`` on its own keep-alive connection;
- every ~``--kill-every`` s one client process is SIGKILLed mid-request (mid-body when it
  was sending a slow submit) and a new one takes over its annotators;
- every ~``--abort-every`` s the manager starts ``GET /api/v1/projects/exports/export``
  (JSONL, CSV or Parquet at random), reads a few KB and drops the socket (RST or FIN);
- when the work runs out, more items are imported through the API.

Phases: a warm-up of ``--warmup`` s (annotators plus one complete export per format, so
pools, thread pools and pyarrow are warm), an idle sample, the soak itself with a sample
every ``--sample-every`` s, then an idle sample again after ``--idle-wait`` s. Each sample:
cycles/s, next and submit p50/p95/p99, errors by status, and the server's RSS, threads,
open fds, TCP connections and database connections. The report compares the first soak
sample with the last, and the idle samples before and after, and flags growth as NOT FLAT;
then the invariants (nothing over overlap, nobody twice on an item, every acknowledged
submit stored, nothing stored that was never sent).

    python bench/soak.py                                             # 20 min, SQLite, 32 annotators
    python bench/soak.py --db postgresql --workers 2
    python bench/soak.py --minutes 2 --annotators 8 --abort-every 5 --kill-every 20 \\
        --sample-every 10

Exit status 1 when anything is NOT FLAT, a 5xx was seen, or an invariant fails. The load
lives in soak_load.py (clients in soak_client.py), the measuring in soak_probe.py, the
table and verdicts in soak_report.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# bench/ is not a package: share the other benchmarks' set-up by path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from foundation_assignment import invariants, make_project
from foundation_import_export import PG_ADMIN_URL, RESULTS, provenance, scratch_database
from http_server import loadavg, percentile, start_server, stop_server
from labelworks.services import users as user_service
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade
from soak_load import (
    EXPORTS,
    FORMATS,
    WORK,
    Annotators,
    Interval,
    Tally,
    aborted_export,
    every,
    poke,
    top_up,
)
from soak_probe import DatabaseProbe, server_figures, tcp_states
from soak_report import header, log_exceptions, report, row_text

MANAGER = "soak-manager@example.com"


# --------------------------------------------------------------------------- fixtures


@dataclass
class Fixture:
    tokens: list[str]
    manager_token: str
    seconds: float


def seed(db: Database, args: argparse.Namespace) -> Fixture:
    started = time.perf_counter()
    upgrade(db)
    make_project(db, WORK, args.items, args.overlap, seed=1)
    make_project(db, EXPORTS, args.export_items, 3, seed=2)
    tokens = [
        user_service.add_user(
            db, f"soak-a{i}@example.com", role="annotator", projects=[WORK], with_token=True
        ).token
        or ""
        for i in range(args.annotators)
    ]
    manager = user_service.add_user(
        db, MANAGER, role="manager", projects=[WORK, EXPORTS], with_token=True
    )
    return Fixture(tokens, manager.token or "", time.perf_counter() - started)


# --------------------------------------------------------------------------- samples


def sample(
    phase: str, t: float, iv: Interval, server: int, port: int, probe: DatabaseProbe
) -> dict[str, Any]:
    seconds = max(1e-9, time.monotonic() - iv.started)
    figures = server_figures(server, probe.db_file)
    tcp = tcp_states(port)
    db = probe.read(figures)
    codes = iv.statuses
    s5xx = sum(v for k, v in codes.items() if k.split()[1].startswith("5"))
    s409 = sum(v for k, v in codes.items() if k.split()[1] == "409")
    other = sum(codes.values()) - s409 - s5xx + len(iv.client_errors) + len(iv.client_deaths)
    kills = iv.kills
    return {
        "phase": phase,
        "t": round(t),
        "seconds": round(seconds, 1),
        "cycles": iv.cycles,
        "cycles_per_s": round(iv.cycles / seconds, 1),
        **{
            f"{what}_p{q}_ms": round(percentile(values, q), 1)
            for what, values in (("next", iv.next_ms), ("submit", iv.submit_ms))
            for q in (50, 95, 99)
        },
        "slow_submits": iv.slow_submits,
        "s409": s409,
        "s5xx": s5xx,
        "other_errors": other,
        "client_deaths": iv.client_deaths,
        "statuses": dict(codes),
        "client_errors": iv.client_errors[:10],
        "exhausted": iv.exhausted,
        "topups": iv.topups,
        "aborts": len(iv.aborts),
        "abort_statuses": dict(Counter(str(a["status"]) for a in iv.aborts)),
        "abort_ttfb_max_ms": max((a.get("ttfb_ms", 0) for a in iv.aborts), default=0),
        "abort_details": iv.aborts,
        "kills": len(kills),
        "killed_mid_request": sum(k["mid_next"] + k["mid_submit"] + k["mid_body"] for k in kills),
        "killed_mid_body": sum(k["mid_body"] for k in kills),
        "rss_mb": figures.rss_mb,
        "threads": figures.threads,
        "fds": figures.fds,
        "tcp": tcp["established"],
        "close_wait": tcp["close_wait"],
        "tcp_other": tcp["other"],
        **db,
        "server_pids": figures.pids,
        "per_process": figures.per_process,
        "load": loadavg(),
    }


def check_invariants(url: str, tally: Tally, kill_log: list[dict[str, Any]]) -> dict[str, Any]:
    """foundation_assignment's counts, plus: every acknowledged submit is stored, and nothing
    is stored that was never sent (a submit in flight when its client died may or may not be).
    """
    from sqlalchemy import text

    db = Database(url)
    try:
        base = invariants(db, WORK, len(tally.acked))
        with db.read() as conn:
            rows = conn.execute(
                text(
                    "SELECT a.assignment_id, a.idempotency_key FROM annotations a"
                    " JOIN projects p ON p.id = a.project_id WHERE p.name = :n"
                ),
                {"n": WORK},
            ).all()
    finally:
        db.dispose()
    stored = {(int(r[0]), str(r[1])) for r in rows}
    missing = tally.acked - stored
    never_sent = stored - tally.sent
    unacked = stored - tally.acked
    in_flight = sum(k["mid_submit"] + k["mid_body"] for k in kill_log)
    ok = (
        base["over_overlap"] == 0
        and base["twice"] == 0
        and not missing
        and not never_sent
        and len(unacked) <= in_flight
    )
    return {
        "ok": ok,
        "over_overlap": base["over_overlap"],
        "twice": base["twice"],
        "stored": len(stored),
        "acknowledged": len(tally.acked),
        "acknowledged_missing": len(missing),
        "stored_never_sent": len(never_sent),
        "stored_unacknowledged": len(unacked),
        "submits_in_flight_at_kills": in_flight,
    }


# --------------------------------------------------------------------------- one database


def soak(kind: str, args: argparse.Namespace, tmp: Path, stamp: str) -> dict[str, Any]:
    record: dict[str, Any] = {"db": kind, "samples": []}
    with scratch_database(kind, "soak", tmp) as url:
        db = Database(url)
        print(
            f"{kind}: seeding {args.items} work items (overlap {args.overlap}), "
            f"{args.export_items} export items, {args.annotators} annotators ...",
            flush=True,
        )
        fx = seed(db, args)
        db.dispose()
        record["seed_seconds"] = round(fx.seconds, 1)
        log = RESULTS / f"soak-{stamp}-{kind}.log"
        proc, base = start_server(url, tmp / f"data-{kind}", log, args.workers)
        port = int(base.rpartition(":")[2])
        probe = DatabaseProbe(url, PG_ADMIN_URL)
        tally = Tally()
        cfg = {"base": base, "project": WORK, "seed": args.seed, "slow": args.slow_submits}
        cfg["timeout"] = args.timeout
        clients = Annotators(
            fx.tokens, args.per_process, cfg, tally, RESULTS / f"soak-{stamp}-{kind}-clients.log"
        )
        stop = threading.Event()
        threads: list[threading.Thread] = []
        kill_log: list[dict[str, Any]] = []
        rng = random.Random(args.seed)

        def add(r: dict[str, Any]) -> None:
            record["samples"].append(r)
            print(row_text(r), flush=True)

        try:
            print(f"  seeded in {fx.seconds:.1f} s; server pid {proc.pid} at {base}", flush=True)
            print(header(probe.extra_name), flush=True)
            t_boot = time.monotonic()
            tally.swap()
            add(sample("boot", 0, tally.swap(), proc.pid, port, probe))

            # warm-up: annotators, and one complete export per format meanwhile
            clients.start()
            full = [aborted_export(port, fx.manager_token, f, rng, full=True) for f in FORMATS]
            record["full_exports"] = full
            # Every worker should have exported once (pyarrow, the writers): small exports
            # on new connections, which the kernel spreads over the workers.
            for _ in range(3 * args.workers if args.workers > 1 else 0):
                for f in FORMATS:
                    aborted_export(port, fx.manager_token, f, rng, full=True, project=WORK)
            rest = t_boot + args.warmup - time.monotonic()
            if rest > 0:
                time.sleep(rest)
            add(sample("warm-up", time.monotonic() - t_boot, tally.swap(), proc.pid, port, probe))
            clients.stop()
            time.sleep(args.idle_wait)
            poke(base, fx.manager_token, args.workers)
            time.sleep(1)
            tally.swap()
            idle_before = sample("idle-before", 0, tally.swap(), proc.pid, port, probe)
            add(idle_before)

            # the soak
            t0 = time.monotonic()
            tally.swap()
            clients.start()

            abort_rng, kill_rng = random.Random(args.seed + 3), random.Random(args.seed + 4)

            def abort() -> None:
                fmt = abort_rng.choice(FORMATS)
                r = aborted_export(port, fx.manager_token, fmt, abort_rng)
                with tally.lock:
                    tally.current.aborts.append(r)
                    if not r["status"].startswith("2"):
                        tally.status("export", r["status"])

            def kill() -> None:
                k = clients.kill_one(kill_rng)
                kill_log.append(k)
                with tally.lock:
                    tally.current.kills.append(k)

            def refill() -> None:
                batch = 0
                while not stop.is_set():
                    if not tally.need_items.wait(1):
                        continue
                    batch += 1
                    try:
                        top_up(base, fx.manager_token, args.top_up, batch)
                    except httpx.HTTPError as exc:
                        got = getattr(exc, "response", None)
                        with tally.lock:
                            why = type(exc).__name__ if got is None else str(got.status_code)
                            tally.status("import", why)
                        continue
                    with tally.lock:
                        tally.current.topups += 1
                    tally.need_items.clear()

            if args.abort_every > 0:
                threads.append(
                    threading.Thread(
                        target=every,
                        args=(args.abort_every, stop, random.Random(args.seed + 1), abort),
                    )
                )
            if args.kill_every > 0:
                threads.append(
                    threading.Thread(
                        target=every,
                        args=(args.kill_every, stop, random.Random(args.seed + 2), kill),
                    )
                )

            def watch() -> None:
                while not stop.wait(1):
                    codes = clients.revive()
                    if codes:
                        with tally.lock:
                            tally.current.client_deaths += codes

            threads.append(threading.Thread(target=refill))
            threads.append(threading.Thread(target=watch))
            for t in threads:
                t.daemon = True
                t.start()
            end = t0 + args.minutes * 60
            next_at = t0 + args.sample_every
            while next_at <= end + 1e-6:
                time.sleep(max(0.0, next_at - time.monotonic()))
                add(sample("soak", next_at - t0, tally.swap(), proc.pid, port, probe))
                next_at += args.sample_every
            stop.set()
            for t in threads:
                t.join()
            clients.stop()
            add(sample("drain", time.monotonic() - t0, tally.swap(), proc.pid, port, probe))
            time.sleep(args.idle_wait)
            poke(base, fx.manager_token, args.workers)
            time.sleep(1)
            tally.swap()
            idle_after = sample("idle-after", 0, tally.swap(), proc.pid, port, probe)
            add(idle_after)
        finally:
            stop.set()
            clients.close()
            probe.close()
            alive = proc.poll() is None
            stop_server(proc)
        record["server_survived"] = alive
        record["kills"] = kill_log
        record["statuses"] = dict(tally.statuses)
        record["invariants"] = check_invariants(url, tally, kill_log)
        record["server_log_exceptions"] = log_exceptions(log)
    soaked = [r for r in record["samples"] if r["phase"] == "soak"]
    record["flagged"] = report(record, soaked, idle_before, idle_after, args, probe.extra_name)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite, postgresql, or both: a,b")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--annotators", type=int, default=32)
    parser.add_argument("--per-process", type=int, default=4, help="annotators per client")
    parser.add_argument(
        "--items", type=int, default=0, help="work items (default: enough for 150 cycles/s)"
    )
    parser.add_argument("--overlap", type=int, default=3, choices=(1, 3))
    parser.add_argument("--top-up", type=int, default=2000, help="items added when work ends")
    parser.add_argument("--export-items", type=int, default=100_000)
    parser.add_argument("--abort-every", type=float, default=10.0, help="seconds; 0: none")
    parser.add_argument("--kill-every", type=float, default=30.0, help="seconds; 0: none")
    parser.add_argument("--slow-submits", type=float, default=0.05, help="share sent slowly")
    parser.add_argument("--sample-every", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds before the soak")
    parser.add_argument("--idle-wait", type=float, default=12.0, help="seconds idle to sample")
    parser.add_argument("--timeout", type=float, default=60.0, help="client request timeout")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--max-growth", type=float, default=0.20, help="RSS and p95, relative")
    parser.add_argument("--max-extra", type=int, default=10, help="threads, fds, connections")
    parser.add_argument(
        "--idle-slack", type=int, help="the same, idle vs idle (default 5 per worker)"
    )
    parser.add_argument(
        "--p95-window", type=int, default=3, help="samples per end for the p95 verdict"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="default bench/results/soak-<time>.json")
    args = parser.parse_args()
    if args.idle_slack is None:
        args.idle_slack = 5 * args.workers
    if not args.items:
        args.items = max(5000, math.ceil(args.minutes * 60 * 150 / args.overlap))

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_path: Path = args.json or RESULTS / f"soak-{stamp}.json"
    record: dict[str, Any] = {"argv": sys.argv[1:], "provenance": provenance(), "runs": []}
    flagged: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lw-soak-") as tmp:
        for kind in [d for d in args.db.split(",") if d]:
            run = soak(kind, args, Path(tmp), stamp)
            record["runs"].append(run)
            flagged += [f"{kind}: {f}" for f in run["flagged"]]
            out_path.write_text(json.dumps(record, indent=2, default=str))
    print(f"\nraw results: {out_path}")
    sys.exit(1 if flagged else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
