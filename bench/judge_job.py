"""An LLM judge's whole run (``labelworks judge``): a pairwise campaign on SQLite, its judge
at a local OpenAI-compatible server (``tests.chat_server``) that answers after a fixed
latency, at the judge's concurrency 1, 8 and 32 — requests per second and the process's CPU
per request, the job's own overhead (rendering, hashing, storing every reply as it comes)
beside what the chat client alone costs (bench/judge_throughput.py), and a re-run, which
must send nothing.

    python bench/judge_job.py                       # 50 ms latency; 100, 800, 1,600 items
    python bench/judge_job.py --latency 0.2

Each concurrency runs in a fresh database; items are comparisons of a four-model arena
(``tests.services.campaign_world``), each asked in both orders.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.chat_server import ChatServer
from tests.services.campaign_world import make_arena
from tests.services.judge_world import ARENA, biased_judge, judge_arena

from labelworks.config import Settings
from labelworks.services.judges import run_judge
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

# Prompts per run: 6 comparisons each (4 models), 12 requests; sized so each run takes
# seconds at its concurrency and latency.
PROMPTS = {1: 10, 8: 60, 32: 200}


def one(concurrency: int, latency: float, prompts: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        db = Database(settings.effective_database_url)
        upgrade(db)
        make_arena(db, prompts=prompts)
        with ChatServer(biased_judge, latency=latency) as server:
            judge_arena(db, server.url, concurrency=concurrency)
            wall, cpu = time.perf_counter(), time.process_time()
            run = run_judge(db, ARENA, "gpt-judge", settings=settings)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rerun = time.perf_counter()
            again = run_judge(db, ARENA, "gpt-judge", settings=settings)
            rerun = time.perf_counter() - rerun
        db.dispose()
    sent = run.outcome.requests
    assert run.outcome.ok == sent and again.outcome.requests == 0
    return {
        "requests": sent,
        "per_second": sent / wall,
        "cpu_ms": 1000 * cpu / sent,
        "seconds": wall,
        "rerun": rerun,
        "ideal": concurrency / latency if latency else float("inf"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    print(f"judge job, server latency {args.latency * 1000:.0f} ms (SQLite, both orders)")
    print(
        f"{'concurrency':>11} {'requests':>9} {'req/s':>8} {'ideal':>8} {'CPU ms/req':>11} "
        f"{'re-run s':>9}"
    )
    for c in args.concurrency:
        r = one(c, args.latency, PROMPTS.get(c, 100))
        print(f"{c:>11} {r['requests']:>9,} {r['per_second']:>8.1f} {r['ideal']:>8.0f} "
              f"{r['cpu_ms']:>11.2f} {r['rerun']:>9.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
