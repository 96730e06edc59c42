"""CPU cost of one next+submit cycle, layer by layer, inside one process.

Where ``http_server.py`` measures the whole server over real TCP (and so also the clients
and uvicorn sharing the machine), this script isolates the server's own work, so that a
change to the hot path shows as a number that hardly depends on machine load:

- ``service``: ``assignment.next_task_for`` + ``submit_annotation`` called directly;
- ``asgi``: the whole ASGI app (middleware, routing, dependencies, validation, JSON)
  driven by a minimal in-process ASGI client, one request after another, no sockets.

Each layer runs ``--cycles`` cycles on a fresh SQLite (or PostgreSQL) database with a
20k-item project (overlap 1) and one annotator with a token, after ``--warmup`` cycles;
it reports CPU milliseconds per cycle (``time.process_time``) and, on SQLite, the SQL
statements each cycle sends (counted by the driver's trace callback over 100 more cycles,
outside the timed run).

    python bench/hot_path.py                       # SQLite, both layers
    python bench/hot_path.py --db postgresql --cycles 3000
    python bench/hot_path.py --profile asgi        # cProfile the ASGI layer, top 40
    python bench/hot_path.py --gold 0.1            # quality settings on: gold draws at 10%,
                                                   # each gold answer scored, auto-pause rule
    python bench/hot_path.py --retest 0.05         # consistency audits: 5% of leases retest
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event, select

from foundation_assignment import make_project
from foundation_import_export import scratch_database
from labelworks.config import Settings
from labelworks.domain.spec import QualitySpec
from labelworks.server.app import create_app
from labelworks.services import assignment
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.services.specs import stored_spec
from labelworks.storage import gold as gold_store
from labelworks.storage.engine import Database, utcnow
from labelworks.storage.migration import upgrade
from labelworks.storage.tables import items, projects

PROJECT = "hot"


class Asgi:
    """Just enough of an HTTP client to drive an ASGI app in-process."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"host", b"bench"),
        ]
        self.loop = asyncio.new_event_loop()

    def post(self, path: str, body: bytes = b"") -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._post(path, body))

    async def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def _answer(n: int) -> dict[str, Any]:
    return {"sentiment": ("positive", "negative", "neutral")[n % 3]}


def service_cycle(db: Database, annotator_id: int) -> Callable[[int], None]:
    def cycle(n: int) -> None:
        task = assignment.next_task_for(db, PROJECT, annotator_id)
        assert task is not None
        assignment.submit_annotation(
            db,
            task.assignment_id,
            annotator_id,
            value=_answer(n),
            seconds=1.0,
            idempotency_key=uuid.uuid4().hex,
        )

    return cycle


def asgi_cycle(client: Asgi) -> Callable[[int], None]:
    def cycle(n: int) -> None:
        status, body = client.post(f"/api/v1/projects/{PROJECT}/next")
        assert status == 200, (status, body)
        assignment_id = json.loads(body)["assignment_id"]
        payload = json.dumps(
            {"value": _answer(n), "seconds": 1.0, "idempotency_key": uuid.uuid4().hex}
        ).encode()
        status, body = client.post(f"/api/v1/assignments/{assignment_id}/submit", payload)
        assert status == 200, (status, body)

    return cycle


def measure(
    cycle: Callable[[int], None], cycles: int, warmup: int, profile: bool
) -> dict[str, float]:
    for n in range(warmup):
        cycle(n)
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for n in range(cycles):
        cycle(warmup + n)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("labelworks", 30)
    return {"cpu_ms_per_cycle": 1000 * cpu / cycles, "wall_ms_per_cycle": 1000 * wall / cycles}


def count_statements(db: Database, cycle: Callable[[int], None], start: int) -> float:
    """Statements per cycle as SQLite runs them (BEGIN and COMMIT included)."""
    if not db.is_sqlite:
        return float("nan")
    seen = [0]

    def trace(_: str) -> None:
        seen[0] += 1

    db.engine.dispose()  # new connections get the trace callback
    listener = event.listens_for(db.engine, "connect")(
        lambda dbapi_conn, _record: dbapi_conn.set_trace_callback(trace)
    )
    for n in range(100):
        cycle(start + n)
    event.remove(db.engine, "connect", listener)
    db.engine.dispose()
    return seen[0] / 100


def with_quality(db: Database, n_items: int, rate: float, retest: float) -> None:
    """Turn the quality settings on: ``gold_rate``, an auto-pause rule that is checked on
    every gold answer (its bar low enough never to stop the run), and enough gold items
    for every draw to find an unseen one; ``retest``: consistency audits at that rate,
    from items 50 annotations old (the warm-up makes them)."""
    with db.read() as conn:
        spec = stored_spec(conn.execute(select(projects.c.spec)).scalar_one())
    quality: dict[str, object] = {}
    if rate:
        quality = {"gold_rate": rate, "auto_pause": {"min_gold": 10, "below": 0.05}}
    if retest:
        quality["retest"] = {"rate": retest, "after": 50}
    project_service.apply_spec(
        db,
        spec.model_copy(update={"quality": QualitySpec.model_validate(quality)}),
        guidelines="# Rules\nBe kind.",
    )
    if not rate:
        print(f"retests: rate {retest}")
        return
    step = max(2, int(1 / rate) // 2)
    with db.write() as conn:
        ids = conn.execute(select(items.c.id).order_by(items.c.id)).scalars().all()
        rows = [(int(i), '{"sentiment":"positive"}', "") for i in ids[::step]]
        gold_store.mark_many(conn, 1, rows, utcnow())
    print(f"gold: rate {rate}, {len(rows)} gold items of {n_items}; retests: rate {retest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--cycles", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--layers", default="service,asgi")
    parser.add_argument("--profile", default="", help="a layer to cProfile")
    parser.add_argument(
        "--gold", type=float, default=0.0, help="gold_rate (with auto-pause and enough gold)"
    )
    parser.add_argument(
        "--retest", type=float, default=0.0, help="quality.retest rate (items 50 annotations old)"
    )
    parser.add_argument(
        "--overlap",
        type=int,
        default=1,
        help="annotations per item; above 1 each lease also counts the annotator's open items",
    )
    args = parser.parse_args()
    items = 2 * (args.cycles + args.warmup + 100) * len(args.layers.split(","))
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.db, "hot", Path(tmp)) as url:
        db = Database(url)
        upgrade(db)
        make_project(db, PROJECT, items, overlap=args.overlap, seed=1)
        if args.gold or args.retest:
            with_quality(db, items, args.gold, args.retest)
        added = user_service.add_user(
            db, "hot@example.com", role="annotator", projects=[PROJECT], with_token=True
        )
        assert added.token is not None
        app = create_app(Settings(data_dir=Path(tmp), database_url=url), db)
        layers = {
            "service": service_cycle(db, added.user.id),
            "asgi": asgi_cycle(Asgi(app, added.token)),
        }
        for name in args.layers.split(","):
            result = measure(layers[name], args.cycles, args.warmup, args.profile == name)
            statements = count_statements(db, layers[name], args.cycles + args.warmup)
            print(
                f"{args.db:10} {name:8} {result['cpu_ms_per_cycle']:6.2f} ms CPU/cycle  "
                f"{result['wall_ms_per_cycle']:6.2f} ms wall/cycle  "
                f"{statements:5.1f} statements/cycle"
            )
        db.dispose()


if __name__ == "__main__":
    main()
