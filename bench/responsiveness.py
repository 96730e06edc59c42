"""How long a health probe takes while a large import or export runs over HTTP.

Issue 8's rule: every request keeps answering while an import, export or any long job runs
(nothing CPU-heavy or blocking on the event loop). For each database: a scratch database
with a project of ``--export-items`` items and an empty one, ``labelworks serve`` as a
subprocess (``--workers``, default 1: with more, probes could simply land on an idle
process), then twice: a probe process sends ``GET /api/health`` every 10 ms over a
keep-alive connection while this process imports ``--import-items`` JSONL items with one
``POST .../items`` (upload included), then exports the big project with one streamed
``GET .../export``. Probes are in their own process so that they do not share a GIL with
the client doing the work. Printed: the work's seconds and the probes' p50/p95/max.

    python bench/responsiveness.py                        # SQLite and PostgreSQL, 1M import
    python bench/responsiveness.py --db sqlite --import-items 250000 --export-items 100000
"""

from __future__ import annotations

import argparse
import json
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from foundation_import_export import RESULTS, scratch_database, write_items
from http_server import start_server, stop_server
from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion
from labelworks.services.projects import apply_spec
from labelworks.services.users import add_user
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

SPEC = {"fields": [{"name": "sentiment", "kind": "choice", "labels": ["pos", "neg"]}]}


def probe(base: str) -> None:
    """The probe process: health probes every 10 ms until its stdin closes, then the
    latencies in ms as JSON on stdout."""
    latencies = []
    with httpx.Client(base_url=base) as client:
        client.get("/api/health")
        print("ready", flush=True)
        while not select.select([sys.stdin], [], [], 0)[0]:
            sent = time.perf_counter()
            client.get("/api/health").raise_for_status()
            latencies.append(1000 * (time.perf_counter() - sent))
            time.sleep(0.01)
    print(json.dumps(latencies))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def during(base: str, work: Any) -> dict[str, float]:
    """Run ``work()`` while a probe process probes; the probes that overlapped it."""
    prober = subprocess.Popen(
        [sys.executable, __file__, "--probe", base],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert prober.stdout is not None
    prober.stdout.readline()  # "ready": up and connected
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    latencies = json.loads(prober.communicate("")[0])  # closing stdin stops it
    return {
        "work_seconds": round(seconds, 2),
        "probes": len(latencies),
        "p50_ms": round(_quantile(latencies, 0.50), 1),
        "p95_ms": round(_quantile(latencies, 0.95), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
    }


def run(kind: str, import_items: int, export_items: int, workers: int, tmp: Path) -> list[Any]:
    big, upload = tmp / "export.jsonl", tmp / "import.jsonl"
    write_items(big, export_items, seed=1)
    write_items(upload, import_items, seed=2)
    results = []
    with scratch_database(kind, "responsive", tmp) as url:
        db = Database(url)
        upgrade(db)
        for name in ("big", "incoming"):
            apply_spec(db, spec_from_dict({**SPEC, "name": name}), guidelines=None)
        token = add_user(
            db, "lead@example.org", role="manager", projects=["big", "incoming"], with_token=True
        ).token
        with big.open("rb") as stream:
            ingestion.import_items(db, "big", stream, format="jsonl", source=str(big))
        db.dispose()
        proc, base = start_server(url, tmp / "data", tmp / f"server-{kind}.log", workers)
        headers = {"Authorization": f"Bearer {token}"}
        try:

            def post() -> None:
                with upload.open("rb") as body:
                    r = httpx.post(
                        f"{base}/api/v1/projects/incoming/items",
                        content=body,
                        headers={**headers, "Content-Type": "application/x-ndjson"},
                        timeout=900,
                    )
                r.raise_for_status()

            def export() -> None:
                with httpx.stream(
                    "GET", f"{base}/api/v1/projects/big/export", headers=headers, timeout=900
                ) as r:
                    r.raise_for_status()
                    for _ in r.iter_bytes():
                        pass

            for what, items, work in (
                ("import", import_items, post),
                ("export", export_items, export),
            ):
                result = {"db": kind, "work": what, "items": items, **during(base, work)}
                print(
                    f"{kind:10} {what} {items:>9,} items: {result['work_seconds']:6.2f} s, "
                    f"{result['probes']} probes, p50 {result['p50_ms']} ms, p95 "
                    f"{result['p95_ms']} ms, max {result['max_ms']} ms",
                    flush=True,
                )
                results.append(result)
        finally:
            stop_server(proc)
    return results


def main() -> None:
    if sys.argv[1:2] == ["--probe"]:
        probe(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--import-items", type=int, default=1_000_000)
    parser.add_argument("--export-items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    results = []
    for kind in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            results += run(kind, args.import_items, args.export_items, args.workers, Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"responsiveness-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"raw results: {out}")


if __name__ == "__main__":
    main()
