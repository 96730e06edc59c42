"""Benchmark the labelworks HTTP server (uvicorn) on SQLite and PostgreSQL.

For every database: a scratch database (a SQLite file in a temp dir, or ``CREATE DATABASE``
on the local PostgreSQL, dropped afterwards) is filled before the server starts: one project
of ``--items`` text items with overlap 3 per client count, one project per page size, one
annotator with an API token per client, and a manager with a password and a token. Then
``labelworks serve --port <free port>`` runs as a subprocess and is measured from outside:

1. cycles: N annotator clients (threads, each with its own keep-alive ``httpx.Client`` and
   Bearer token) loop ``POST /api/v1/projects/{p}/next`` then
   ``POST /api/v1/assignments/{id}/submit`` for ``--seconds`` (or ``--max-cycles``) after
   two untimed warm-up cycles each; cycles/s and p50/p95 of next and submit separately,
   then the invariants of bench/foundation_assignment.py (nothing over overlap, nobody twice
   on an item, every acknowledged submit stored);
2. pages: one client, sequential requests: the manager's project page and htmx items table
   (session cookie from ``POST /login``) and their JSON equivalents (manager token), at each
   ``--sizes``; plus two worst-case filtered item pages (a filter that matches nothing);
3. the server's VmRSS, sampled every 100 ms during each run, and VmHWM.

    python bench/http_server.py                                    # everything, both dbs
    python bench/http_server.py --db sqlite --clients 32 --sizes 100000 --seconds 10
    python bench/http_server.py --db sqlite --clients 32 --sizes 0 --py-spy /tmp/pyspy/bin/py-spy

``--py-spy`` records the server with py-spy during every cycles run (collapsed stacks in
bench/results/, and the top functions printed). Raw results go to
bench/results/http_server-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

# bench/ is not a package: share the other benchmarks' data and database helpers by path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from foundation_assignment import LABELS, invariants, make_project
from foundation_import_export import RESULTS, provenance, scratch_database, write_items
from labelworks.domain.spec import spec_from_dict
from labelworks.services import ingestion
from labelworks.services import projects as project_service
from labelworks.services import users as user_service
from labelworks.services.passwords import hash_password
from labelworks.storage.engine import Database
from labelworks.storage.migration import upgrade

MANAGER = "manager@example.com"
PASSWORD = "bench-password-123"
# Label Studio 1.23.2 on this machine, and the goals, from issue 4.
PEER = {
    "cycles_per_s_1": 3.4,
    "next_p50_ms_1": 128,
    "submit_p50_ms_1": 161,
    "cycles_per_s_8": 3.1,
    "next_p95_ms_8": 4900,
    "project_p50_ms_100k": 435,
    "rss_mb": 650,
}
TARGETS = (
    "≥ 340 cycles/s (100× LS), p95 < 50 ms at 32 annotators, pages < 100 ms at 1M, RSS < 250 MB"
)


def loadavg() -> str:
    """The machine is shared: each figure carries the 1-minute load it was measured under."""
    return Path("/proc/loadavg").read_text().split()[0]


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes under its supervisor)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def postgres_cpu_seconds() -> float:
    """User + system CPU of every PostgreSQL server process on the machine so far."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, _, rest = stat.partition(") ")
        if name.endswith("(postgres"):
            fields = rest.split()
            # Own time plus that of exited children: the postmaster accrues the backends
            # that ended during the run, which would otherwise vanish from the sum.
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """The server's VmRSS (all its processes together) every 100 ms in a thread; ``peak()``
    since the last ``reset()``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._max = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def status_mb(self, key: str) -> float:
        total = 0.0
        for pid in process_tree(self.pid):
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith(key + ":"):
                    total += int(line.split()[1]) / 1024
        return total

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self._max = max(self._max, self.status_mb("VmRSS"))
            except OSError:
                return

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes so far: a figure the shared
        machine's load spares."""
        ticks = 0
        for pid in process_tree(self.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def reset(self) -> None:
        self._max = self.status_mb("VmRSS")

    def peak(self) -> dict[str, float]:
        return {
            "rss_max_mb": round(max(self._max, self.status_mb("VmRSS")), 1),
            "hwm_mb": round(self.status_mb("VmHWM"), 1),
        }

    def stop(self) -> None:
        self._stop.set()


# --------------------------------------------------------------------------- fixtures


def seed(
    db: Database, clients: list[int], sizes: list[int], items: int, tmp: Path
) -> dict[str, Any]:
    """Projects, annotators with tokens and the manager, written before the server starts."""
    upgrade(db)
    tokens: dict[int, list[str]] = {}
    started = time.perf_counter()
    for n in clients:
        make_project(db, f"cycles{n}", items, OVERLAP, seed=n)
        tokens[n] = [
            user_service.add_user(
                db,
                f"c{n}-a{i}@example.com",
                role="annotator",
                projects=[f"cycles{n}"],
                with_token=True,
            ).token
            or ""
            for i in range(n)
        ]
    import_seconds: dict[int, float] = {}
    for size in sizes:
        name = f"pages{size}"
        spec = {
            "name": name,
            "fields": [{"name": "sentiment", "kind": "choice", "labels": list(LABELS)}],
            "overlap": 3,
        }
        project_service.apply_spec(db, spec_from_dict(spec), guidelines="# Rules\nBe kind.")
        path = tmp / f"items-{size}.jsonl"
        if not path.exists():
            write_items(path, size)
        t = time.perf_counter()
        with path.open("rb") as stream:
            ingestion.import_items(db, name, stream, format="jsonl", source=path.name)
        import_seconds[size] = time.perf_counter() - t
    manager = user_service.add_user(
        db,
        MANAGER,
        role="manager",
        projects=[f"pages{s}" for s in sizes] or None,
        with_token=True,
        password_hash=hash_password(PASSWORD),
    )
    return {
        "annotator_tokens": tokens,
        "manager_token": manager.token,
        "seed_seconds": time.perf_counter() - started,
        "import_seconds": import_seconds,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WORKERS = 0  # 0: what ``labelworks serve`` picks by itself
OVERLAP = 1


def start_server(
    url: str, data_dir: Path, log: Path, workers: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``labelworks serve`` on a free port; ``workers`` defaults to ``--workers``."""
    port = free_port()
    env = {
        **os.environ,
        "LABELWORKS_DATA_DIR": str(data_dir),
        "LABELWORKS_DATABASE_URL": url,
        "LABELWORKS_SECRET_KEY": "bench-" + "0" * 40,
    }
    exe = Path(sys.executable).with_name("labelworks")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port)]
            + (["--workers", str(workers or WORKERS)] if workers or WORKERS else []),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- cycles


def run_cycles(
    base: str,
    project: str,
    tokens: list[str],
    seconds: float,
    max_cycles: int,
    start_at: float | None = None,
) -> dict[str, Any]:
    """Every client cycles next+submit until the time or the shared cycle budget runs out
    (from ``start_at``, a ``time.time()``, when several client processes start together)."""
    n = len(tokens)
    lock = threading.Lock()
    budget = [max_cycles]
    stop = threading.Event()
    barrier = threading.Barrier(n + 1)
    next_ms: list[list[float]] = [[] for _ in tokens]
    submit_ms: list[list[float]] = [[] for _ in tokens]
    errors: list[str] = []
    exhausted = [0]

    def cycle(client: httpx.Client, slot: int, rng: random.Random, timed: bool) -> bool:
        t0 = time.perf_counter()
        r = client.post(f"/api/v1/projects/{project}/next")
        t1 = time.perf_counter()
        if r.status_code == 204:
            with lock:
                exhausted[0] += 1
            return False
        r.raise_for_status()
        aid = r.json()["assignment_id"]
        body = {
            "value": {"sentiment": rng.choice(LABELS)},
            "seconds": 4.2,
            "idempotency_key": f"bench-{slot}-{aid}",
        }
        s = client.post(f"/api/v1/assignments/{aid}/submit", json=body)
        t2 = time.perf_counter()
        s.raise_for_status()
        if timed:
            next_ms[slot].append((t1 - t0) * 1000)
            submit_ms[slot].append((t2 - t1) * 1000)
        return True

    def worker(slot: int, token: str) -> None:
        rng = random.Random(slot)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            try:
                for _ in range(2):  # connection set-up and first-use costs stay out
                    cycle(client, slot, rng, timed=False)
            except Exception as exc:  # a benchmark reports failures instead of hiding them
                with lock:
                    errors.append(f"warm-up: {type(exc).__name__}: {exc}"[:300])
            barrier.wait()
            try:
                while not stop.is_set():
                    with lock:
                        if budget[0] <= 0:
                            return
                        budget[0] -= 1
                    if not cycle(client, slot, rng, timed=True):
                        return
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])

    threads = [
        threading.Thread(target=worker, args=(i, t), daemon=True) for i, t in enumerate(tokens)
    ]
    for t in threads:
        t.start()
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join(max(0.0, start + seconds - time.perf_counter()))
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return cycles_result(
        [v for per in next_ms for v in per],
        [v for per in submit_ms for v in per],
        elapsed,
        per_client_cycles=[len(s) for s in submit_ms],
        errors=errors,
        queue_exhausted=exhausted[0],
    )


def cycles_result(
    nexts: list[float],
    submits: list[float],
    elapsed: float,
    *,
    per_client_cycles: list[int],
    errors: list[str],
    queue_exhausted: int,
) -> dict[str, Any]:
    """A cycles run's figures from its latencies (ms), whether one process or several ran it."""
    return {
        "clients": len(per_client_cycles),
        "cycles": len(submits),
        "seconds": round(elapsed, 2),
        "cycles_per_s": len(submits) / elapsed,
        "next_p50_ms": percentile(nexts, 50),
        "next_p95_ms": percentile(nexts, 95),
        "submit_p50_ms": percentile(submits, 50),
        "submit_p95_ms": percentile(submits, 95),
        "per_client_cycles": per_client_cycles,
        "errors": errors,
        "queue_exhausted": queue_exhausted,
        "next_ms": nexts,
        "submit_ms": submits,
    }


def run_cycles_in_processes(
    base: str, project: str, tokens: list[str], seconds: float, max_cycles: int, per_process: int
) -> dict[str, Any]:
    """``run_cycles`` with the clients spread over processes of ``per_process`` threads.

    Many annotators are many browsers: in one Python process their threads would queue on
    its GIL and the figure would measure the client, so each group of clients gets its own
    process, and they all start their timed cycles at the same moment.
    """
    groups = [tokens[i : i + per_process] for i in range(0, len(tokens), per_process)]
    if len(groups) <= 1:
        return run_cycles(base, project, tokens, seconds, max_cycles)
    start_at = time.time() + 3 + 0.1 * len(tokens)  # after every client's warm-up
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child-cycles",
                json.dumps([base, project, group, seconds, max_cycles // len(groups), start_at]),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    parts = [json.loads(child.communicate()[0]) for child in children]
    result = cycles_result(
        [v for p in parts for v in p["next_ms"]],
        [v for p in parts for v in p["submit_ms"]],
        max(p["seconds"] for p in parts),
        per_client_cycles=[c for p in parts for c in p["per_client_cycles"]],
        errors=[e for p in parts for e in p["errors"]],
        queue_exhausted=sum(p["queue_exhausted"] for p in parts),
    )
    return {**result, "client_processes": len(groups)}


# --------------------------------------------------------------------------- pages


def login(base: str) -> httpx.Client:
    """A client holding a manager's session cookie, logged in through the form."""
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if match is None:
        raise RuntimeError("no csrf_token on /login")
    r = client.post(
        "/login",
        data={"email": MANAGER, "password": PASSWORD, "csrf_token": match.group(1), "next": "/"},
    )
    if r.status_code != 303:
        raise RuntimeError(f"login failed: {r.status_code} {r.text[:200]}")
    return client


def time_gets(client: httpx.Client, path: str, requests: int, seconds: float) -> dict[str, Any]:
    """Sequential GETs after two warm-ups, until ``requests`` are done or ``seconds`` pass."""
    for _ in range(2):
        client.get(path).raise_for_status()
    ms: list[float] = []
    sizes: list[int] = []
    deadline = time.perf_counter() + seconds
    while len(ms) < requests and time.perf_counter() < deadline:
        t0 = time.perf_counter()
        r = client.get(path)
        ms.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        sizes.append(len(r.content))
    return {
        "path": path,
        "requests": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "bytes": sizes[-1],
    }


def run_pages(
    base: str, size: int, token: str, requests: int, seconds: float, sampler: RssSampler
) -> list[dict[str, Any]]:
    p = f"pages{size}"
    out = []
    session = login(base)

    def api() -> httpx.Client:
        # A fresh connection per endpoint: uvicorn drops a keep-alive connection after a 500.
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=base, headers=headers, timeout=120)

    checks: list[tuple[str, Callable[[], httpx.Client], str, int]] = [
        ("project page (html)", lambda: session, f"/projects/{p}", requests),
        ("items table (htmx)", lambda: session, f"/projects/{p}/items", requests),
        ("project detail (json)", api, f"/api/v1/projects/{p}", requests),
        ("items?limit=50 (json)", api, f"/api/v1/projects/{p}/items?limit=50", requests),
        ("items?status=complete", api, f"/api/v1/projects/{p}/items?status=complete", 5),
        ("items?q=<no match>", api, f"/api/v1/projects/{p}/items?q=zzqqzz", 5),
    ]
    for name, client_for, path, n in checks:
        sampler.reset()
        client = client_for()
        try:
            r = time_gets(client, path, n, seconds)
        except httpx.HTTPError as exc:  # reported, and the other endpoints still run
            got = getattr(exc, "response", None)
            why = f"{got.status_code} {got.text[:200]}" if got is not None else repr(exc)
            r = {
                "path": path,
                "requests": 0,
                "p50_ms": float("nan"),
                "p95_ms": float("nan"),
                "max_ms": float("nan"),
                "bytes": 0,
                "error": why,
            }
        if client is not session:
            client.close()
        r.update(name=name, size=size, loadavg=loadavg(), **sampler.peak())
        print_page(r)
        out.append(r)
    session.close()
    return out


# --------------------------------------------------------------------------- profiling


def profile_start(py_spy: str, pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--duration",
            str(int(seconds)),
            "--output",
            str(out),
            "--nonblocking",
            "--gil",  # only the thread holding the GIL: where the CPU goes, not the waits
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frame(text: str) -> str:
    """``function (path/file.py:line)`` becomes ``function file.py``."""
    match = re.fullmatch(r"(.*) \((.*?)(?::\d+)?\)", text.strip())
    if match is None:
        return text.strip()
    return f"{match.group(1)} {match.group(2).rsplit('/', 1)[-1]}"


def summarize_stacks(path: Path, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive shares of samples per function from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_frame(f) for f in stack.split(";")]
        c = int(count)
        total += c
        own[frames[-1]] += c
        for f in set(frames):
            inclusive[f] += c

    def share(k: Counter[str]) -> list[tuple[str, float]]:
        return [(f, round(100 * c / total, 1)) for f, c in k.most_common(top)]

    return {"self_pct": share(own), "inclusive_pct": share(inclusive), "samples": [("all", total)]}


# --------------------------------------------------------------------------- report


def print_cycles(r: dict[str, Any]) -> None:
    print(
        f"{r['db']:<11}{r['clients']:>3} clients: {r['cycles']:>6} cycles in {r['seconds']:5.1f}"
        f" s = {r['cycles_per_s']:7.1f}/s  next p50/p95 {r['next_p50_ms']:.1f}/"
        f"{r['next_p95_ms']:.1f} ms  submit p50/p95 {r['submit_p50_ms']:.1f}/"
        f"{r['submit_p95_ms']:.1f} ms  RSS max {r['rss_max_mb']} MB  load {r['loadavg']}"
        f"  server CPU {r['server_cpu_ms_per_cycle']:.1f} ms/cycle"
        f"  client CPU {r.get('client_cpu_ms_per_cycle', float('nan')):.1f} ms/cycle"
        + (
            f"  PostgreSQL CPU {r['db_cpu_ms_per_cycle']:.1f} ms/cycle"
            if "db_cpu_ms_per_cycle" in r
            else ""
        )
        + "  invariants "
        f"{'ok' if r['invariants']['ok'] else r['invariants']}"
        f"{'  errors: ' + str(len(r['errors'])) if r['errors'] else ''}",
        flush=True,
    )
    for e in r["errors"][:3]:
        print(f"    {e}")


def print_page(r: dict[str, Any]) -> None:
    print(
        f"  {r['size']:>8} items  {r['name']:<24} p50 {r['p50_ms']:8.1f}  p95 {r['p95_ms']:8.1f}"
        f" ms  ({r['requests']} req, {r['bytes']} B)  RSS max {r['rss_max_mb']} MB"
        f"{'  ERROR ' + r['error'] if 'error' in r else ''}",
        flush=True,
    )


def print_summary(record: dict[str, Any]) -> None:
    print("\nnext+submit through HTTP (uvicorn, one process), latencies in ms")
    print(
        f"{'db':<11}{'clients':>8}{'cycles/s':>10}{'next p50':>10}{'next p95':>10}"
        f"{'sub p50':>9}{'sub p95':>9}{'RSS MB':>8}{'load':>6}  vs Label Studio"
    )
    for r in record["cycles"]:
        peer = {
            1: f"LS 3.4/s, next p50 128, submit p50 161 ({r['cycles_per_s'] / 3.4:.0f}×)",
            8: f"LS 3.1/s, next p95 4900 ({r['cycles_per_s'] / 3.1:.0f}×)",
        }.get(r["clients"], f"LS ~3.1/s ({r['cycles_per_s'] / 3.1:.0f}×)")
        print(
            f"{r['db']:<11}{r['clients']:>8}{r['cycles_per_s']:>10.1f}{r['next_p50_ms']:>10.1f}"
            f"{r['next_p95_ms']:>10.1f}{r['submit_p50_ms']:>9.1f}{r['submit_p95_ms']:>9.1f}"
            f"{r['rss_max_mb']:>8}{r['loadavg']:>6}  {peer}"
        )
    print("\npages, one client, latencies in ms (LS project detail p50 435 ms at 100k tasks)")
    print(f"{'db':<11}{'items':>9}  {'endpoint':<24}{'p50':>9}{'p95':>9}{'RSS MB':>8}{'load':>6}")
    for r in record["pages"]:
        print(
            f"{r['db']:<11}{r['size']:>9}  {r['name']:<24}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
            f"{r['rss_max_mb']:>8}{r['loadavg']:>6}{'  ' + r['error'][:60] if 'error' in r else ''}"
        )
    for db, hwm in record["server_hwm_mb"].items():
        print(f"server VmHWM on {db}: {hwm} MB (LS up to 650 MB)")
    print(f"targets: {TARGETS}")


def _own_and_children_cpu() -> float:
    """CPU seconds of this process and of its finished children (the client processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    if sys.argv[1:2] == ["--child-cycles"]:
        result = run_cycles(*json.loads(sys.argv[2]))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--sizes", default="100000,1000000", help="page sizes; 0 for none")
    parser.add_argument("--items", type=int, default=10_000, help="items per cycles project")
    parser.add_argument("--overlap", type=int, default=1, help="of the cycles projects")
    parser.add_argument(
        "--clients-per-process",
        type=int,
        # 32 annotators in two processes, one per core here: four cost the clients 2.9 ms
        # of CPU per cycle against 1.7 (scheduling), which the server then lacks.
        default=16,
        help="client threads per client process (more clients: more processes)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per cycles run, at most")
    parser.add_argument("--max-cycles", type=int, default=30_000, help="per cycles run")
    parser.add_argument("--page-requests", type=int, default=40)
    parser.add_argument("--page-seconds", type=float, default=20.0, help="per endpoint, at most")
    parser.add_argument("--py-spy", help="path to py-spy: profile the server in cycles runs")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="server processes (default: what `labelworks serve` picks; RSS and CPU figures "
        "add up all of them)",
    )
    args = parser.parse_args()
    global WORKERS, OVERLAP
    WORKERS = args.workers
    OVERLAP = args.overlap
    clients = [int(c) for c in args.clients.split(",") if c]
    sizes = [int(s) for s in args.sizes.split(",") if s and int(s) > 0]

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_path = RESULTS / f"http_server-{stamp}.json"
    record: dict[str, Any] = {
        "argv": sys.argv[1:],
        "provenance": provenance(),
        "peer": PEER,
        "cycles": [],
        "pages": [],
        "seed": {},
        "server_hwm_mb": {},
    }

    def save() -> None:
        out_path.write_text(json.dumps(record, indent=2, default=str))

    with tempfile.TemporaryDirectory(prefix="lw-http-") as tmp_name:
        tmp = Path(tmp_name)
        for kind in [d for d in args.db.split(",") if d]:
            with scratch_database(kind, "http", tmp) as url:
                db = Database(url)
                print(
                    f"{kind}: seeding {len(clients)} cycles projects of {args.items} items, "
                    f"page projects {sizes} ...",
                    flush=True,
                )
                fx = seed(db, clients, sizes, args.items, tmp)
                db.dispose()
                record["seed"][kind] = {
                    "seconds": round(fx["seed_seconds"], 1),
                    "import_seconds": fx["import_seconds"],
                }
                print(f"  seeded in {fx['seed_seconds']:.1f} s", flush=True)
                proc, base = start_server(
                    url, tmp / f"data-{kind}", RESULTS / f"http_server-{stamp}-{kind}.log"
                )
                sampler = RssSampler(proc.pid)
                try:
                    print(
                        f"  server pid {proc.pid} at {base}, RSS "
                        f"{sampler.status_mb('VmRSS'):.0f} MB",
                        flush=True,
                    )
                    for n in clients:
                        spy = None
                        if args.py_spy:
                            stacks = RESULTS / f"http_server-{stamp}-{kind}-{n}.txt"
                            spy = profile_start(args.py_spy, proc.pid, stacks, args.seconds)
                        sampler.reset()
                        cpu = sampler.cpu_seconds()
                        client_cpu = _own_and_children_cpu()
                        db_cpu = postgres_cpu_seconds()
                        r = run_cycles_in_processes(
                            base,
                            f"cycles{n}",
                            fx["annotator_tokens"][n],
                            args.seconds,
                            args.max_cycles,
                            args.clients_per_process,
                        )
                        del r["next_ms"], r["submit_ms"]  # summarised above; too long to keep
                        r.update(db=kind, loadavg=loadavg(), **sampler.peak())
                        # Warm-up cycles are inside the CPU window: count them too.
                        r["server_cpu_ms_per_cycle"] = (
                            1000 * (sampler.cpu_seconds() - cpu) / max(1, r["cycles"] + 2 * n)
                        )
                        # The clients share the two cores: their cost bounds what is left.
                        if kind == "postgresql":
                            r["db_cpu_ms_per_cycle"] = (
                                1000
                                * (postgres_cpu_seconds() - db_cpu)
                                / max(1, r["cycles"] + 2 * n)
                            )
                        r["client_cpu_ms_per_cycle"] = (
                            1000
                            * (_own_and_children_cpu() - client_cpu)
                            / max(1, r["cycles"] + 2 * n)
                        )
                        check = Database(url)
                        r["invariants"] = invariants(check, f"cycles{n}", r["cycles"] + 2 * n)
                        check.dispose()
                        if spy is not None:
                            spy.wait()
                            if stacks.exists():
                                r["profile"] = summarize_stacks(stacks)
                                r["profile_file"] = str(stacks)
                        record["cycles"].append(r)
                        print_cycles(r)
                        save()
                    for size in sizes:
                        for page in run_pages(
                            base,
                            size,
                            fx["manager_token"],
                            args.page_requests,
                            args.page_seconds,
                            sampler,
                        ):
                            record["pages"].append({"db": kind, **page})
                        save()
                    record["server_hwm_mb"][kind] = sampler.peak()["hwm_mb"]
                finally:
                    sampler.stop()
                    stop_server(proc)
                save()
    print_summary(record)
    for r in record["cycles"]:
        if "profile" in r:
            print(f"\npy-spy, {r['db']} {r['clients']} clients ({r['profile_file']}):")
            for title in ("self_pct", "inclusive_pct"):
                print(f"  {title}:")
                for f, pct in r["profile"][title]:
                    print(f"    {pct:5.1f}%  {f}")
    print(f"\nraw results: {out_path}")


if __name__ == "__main__":
    main()
